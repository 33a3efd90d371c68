/**
 * Optional baseline libraries (bench/package.json `benchPeerGroups`), installed on demand into
 * bench/node_modules with `npm install --prefix bench --no-save --no-package-lock`: the root lock file is never
 * touched. Packages the root already provides (react, react-dom, scheduler, dexie) are removed from
 * bench/node_modules afterwards, so the pages keep ONE copy of each (two Reacts break hooks; two Dexies break
 * liveQuery).
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { benchDir } from './paths'

const ROOT_PROVIDED = ['react', 'react-dom', 'scheduler', 'dexie']

interface Group {
  packages: string[]
  legacyPeerDeps: boolean
  /** Install prefix, relative to bench/ (one per group: npm prunes what another install added). */
  prefix: string
}

export function peerGroups(): Record<string, Group> {
  return JSON.parse(readFileSync(join(benchDir, 'package.json'), 'utf8')).benchPeerGroups
}

const nameOf = (spec: string) => spec.slice(0, spec.lastIndexOf('@') > 0 ? spec.lastIndexOf('@') : undefined)

export function groupInstalled(group: Group): boolean {
  return group.packages.every((p) =>
    existsSync(join(benchDir, group.prefix, 'node_modules', nameOf(p), 'package.json')),
  )
}

/** Installs a group unless present. Resolves with undefined on success, else the error text. */
export async function ensureGroup(name: string, timeoutMs = 300_000): Promise<string | undefined> {
  const group = peerGroups()[name]
  if (!group) return `no peer group ${name}`
  const prefix = join(benchDir, group.prefix)
  const dedupe = () => {
    for (const p of ROOT_PROVIDED) rmSync(join(prefix, 'node_modules', p), { recursive: true, force: true })
  }
  if (groupInstalled(group)) {
    dedupe()
    return undefined
  }
  mkdirSync(prefix, { recursive: true })
  const args = ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund']
  if (group.legacyPeerDeps) args.push('--legacy-peer-deps')
  args.push(...group.packages)
  console.log(`  installing ${name} into ${prefix}: npm ${args.join(' ')}`)
  const started = Date.now()
  const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('npm', args, { cwd: prefix, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (c) => (out += c))
    child.stderr.on('data', (c) => (out += c))
    const timer = setTimeout(() => {
      out += `\n(timed out after ${timeoutMs / 1000} s)`
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, out })
    })
  })
  dedupe()
  console.log(`  … ${name}: exit ${result.code} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  if (result.code !== 0 || !groupInstalled(group)) {
    const lines = result.out
      .split('\n')
      .filter((l) => /ERR|error|timed out/i.test(l))
      .slice(0, 6)
      .join(' | ')
    return `npm install failed (exit ${result.code}): ${lines || result.out.slice(-400)}`
  }
  return undefined
}
