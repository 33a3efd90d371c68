/**
 * The Vite dev server for the bench pages, created programmatically, with the COOP/COEP headers that make the
 * pages cross-origin isolated (precise `performance.now()`, `performance.measureUserAgentSpecificMemory()`).
 */
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createServer, defaultClientConditions, type ViteDevServer } from 'vite'
import { benchDir, repoRoot } from './paths'

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

/** Optional peer libraries present in bench/node_modules (installed on demand in full mode). */
export function installed(name: string): boolean {
  return ['node_modules', 'pages/node_modules'].some((d) => existsSync(join(benchDir, d, name, 'package.json')))
}

export async function startPages(): Promise<{ server: ViteDevServer; url: string }> {
  // Vite decides production vs development (React's build, JSX runtime) from NODE_ENV.
  process.env.NODE_ENV = 'production'
  rmSync(join(benchDir, 'pages', 'node_modules', '.vite-bench'), { recursive: true, force: true })
  const include = [
    'react',
    'react/jsx-runtime',
    'react-dom',
    'react-dom/client',
    'dexie',
    'comlink',
    '@tanstack/react-query',
    'zustand/vanilla',
    'zustand',
  ]
  if (installed('dexie-react-hooks')) include.push('dexie-react-hooks')
  if (installed('@livestore/adapter-web'))
    include.push(
      '@livestore/livestore',
      '@livestore/react',
      '@livestore/adapter-web',
      '@livestore/adapter-web/worker',
      '@livestore/adapter-web/shared-worker',
    )
  const server = await createServer({
    configFile: false,
    root: join(benchDir, 'pages'),
    // Production React and library builds: what users ship (development React is several times slower).
    mode: 'production',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    logLevel: 'warn',
    clearScreen: false,
    // Inside pages/node_modules so pre-bundled deps resolve the optional peers installed there; emptied per run.
    cacheDir: join(benchDir, 'pages', 'node_modules', '.vite-bench'),
    server: {
      host: '127.0.0.1',
      port: 0,
      strictPort: false,
      headers: ISOLATION_HEADERS,
      fs: { allow: [repoRoot] },
      hmr: false,
      watch: null,
    },
    resolve: { dedupe: ['react', 'react-dom', 'dexie'], conditions: ['@cairn/source', ...defaultClientConditions] },
    // No discovery mid-run: a late dependency optimization reloads the page under a running benchmark.
    optimizeDeps: { noDiscovery: true, include, exclude: ['@livestore/wa-sqlite'] },
    worker: { format: 'es' },
    // The workspace's .tsx (packages/react) compiled for production React, not jsxDEV.
    oxc: { jsx: { runtime: 'automatic', development: false } },
  })
  await server.listen()
  const address = server.httpServer?.address()
  if (!address || typeof address === 'string') throw new Error('vite: no address')
  return { server, url: `http://127.0.0.1:${address.port}` }
}
