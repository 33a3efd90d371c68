/**
 * Scenario 8: bundle sizes. Small entry files are built with Vite's `build` API in library mode (minified,
 * ES module, tree-shaken) into a temp dir, and every output file is gzipped with node:zlib (level 9).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, defaultClientConditions } from 'vite'
import { repoRoot } from './paths'

export interface BundleSize {
  name: string
  what: string
  external: string[]
  raw: number
  gzip: number
  /** Dexie's code is in the output (it should not be, on the page). */
  dexieInside: boolean
}

const ENTRIES: { name: string; what: string; code: string; external: string[] }[] = [
  {
    name: 'page: @cairn/core client + @cairn/react',
    what: 'createClient, isCairnError, CairnProvider, useQuery, useCommand, useSyncStatus (zustand, comlink included; react, react-dom, @tanstack/react-query external)',
    code: `export { createClient, isCairnError } from '@cairn/core'
export { CairnProvider, useQuery, useCommand, useSyncStatus } from '@cairn/react'`,
    external: ['react', 'react-dom', '@tanstack/react-query', 'react/jsx-runtime'],
  },
  {
    name: 'page: @cairn/core client only',
    what: 'createClient, isCairnError (comlink included)',
    code: `export { createClient, isCairnError } from '@cairn/core'`,
    external: [],
  },
  {
    name: 'worker: serve() with Dexie',
    what: "serve from '@cairn/core/worker' (runtime, Dexie, comlink, sync engine)",
    code: `export { serve } from '@cairn/core/worker'`,
    external: [],
  },
  {
    name: 'baseline: Dexie alone',
    what: "import Dexie, { liveQuery } from 'dexie'",
    code: `export { Dexie, liveQuery } from 'dexie'`,
    external: [],
  },
  {
    name: 'reference: react + react-dom/client',
    what: 'not counted in the page figure',
    code: `export { createElement, useState } from 'react'
export { createRoot } from 'react-dom/client'`,
    external: [],
  },
  {
    name: 'reference: @tanstack/react-query',
    what: 'QueryClient, QueryClientProvider, useQuery, useMutation (react external); not counted in the page figure',
    code: `export { QueryClient, QueryClientProvider, useQuery, useMutation } from '@tanstack/react-query'`,
    external: ['react', 'react/jsx-runtime'],
  },
]

function sizes(dir: string): { raw: number; gzip: number; dexieInside: boolean } {
  let raw = 0
  let gzip = 0
  let dexieInside = false
  for (const f of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, f)
    if (!statSync(path).isFile() || f.endsWith('.map')) continue
    const buf = readFileSync(path)
    raw += buf.length
    if (buf.includes('dexie.org') || buf.includes('Dexie.semVer') || buf.includes('DexieError')) dexieInside = true
    gzip += gzipSync(buf, { level: 9 }).length
  }
  return { raw, gzip, dexieInside }
}

export async function bundleSizes(): Promise<BundleSize[]> {
  const tmp = mkdtempSync(join(repoRoot, 'bench', '.tmp-bundle-'))
  const out: BundleSize[] = []
  try {
    for (const [i, e] of ENTRIES.entries()) {
      const entry = join(tmp, `entry-${i}.ts`)
      writeFileSync(entry, `${e.code}\n`)
      const outDir = join(tmp, `out-${i}`)
      await build({
        configFile: false,
        logLevel: 'silent',
        root: tmp,
        mode: 'production',
        define: { 'process.env.NODE_ENV': JSON.stringify('production') },
        // The packages' sources (as the rest of the suite), not a dist/ that may be stale or missing.
        resolve: { conditions: ['@cairn/source', ...defaultClientConditions] },
        build: {
          outDir,
          emptyOutDir: true,
          minify: true,
          sourcemap: false,
          lib: { entry, formats: ['es'], fileName: 'bundle' },
          rollupOptions: {
            external: (id: string) => e.external.some((x) => id === x || id.startsWith(`${x}/`)),
          },
        },
      })
      out.push({ name: e.name, what: e.what, external: e.external, ...sizes(outDir) })
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
  return out
}
