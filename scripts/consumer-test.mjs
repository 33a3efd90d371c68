#!/usr/bin/env node
/**
 * The consumer test: what a user of the published packages gets. Packs @cairn/core, @cairn/react and
 * @cairn/server (`npm pack`, from their built dist/), installs the tarballs into a temporary project outside the
 * workspace, then, as that project:
 *   1. imports every entry point with plain Node and runs the built code (consumer/smoke.mjs);
 *   2. type-checks a consumer file with plain `tsc` (strict, skipLibCheck false; consumer/app.tsx);
 *   3. runs `cairn-server --help` from the installed bin;
 *   4. type-checks, tests and builds the todo starter (examples/todo) with Vite from the installed packages;
 *   5. runs the starter in Chromium (e2e/starter) against the installed cairn-server: an item added offline
 *      reaches the server.
 *
 *   node scripts/consumer-test.mjs [--json report.json] [--keep]
 *
 * Expects the packages to be built (`npm run build`). Each step is one check in the JSON report
 * (`{ checks: [{ name, ok, seconds }] }`), which scripts/test.mjs counts. Exits 1 if any step failed.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values: flags } = parseArgs({ options: { json: { type: 'string' }, keep: { type: 'boolean' } } })
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const devVersion = (name) => {
  for (const file of ['package.json', 'packages/react/package.json', 'examples/todo/package.json']) {
    const pkg = JSON.parse(readFileSync(join(root, file), 'utf8'))
    const version = pkg.devDependencies?.[name] ?? pkg.dependencies?.[name]
    if (version && !version.startsWith('0.1.0')) return version
  }
  throw new Error(`no version of ${name} in the workspace`)
}

const work = mkdtempSync(join(tmpdir(), 'cairn-consumer-'))
const tarballs = join(work, 'tarballs')
const app = join(work, 'app')
mkdirSync(tarballs)
mkdirSync(app)
const checks = []

function sh(command, args, cwd, { capture = false } = {}) {
  const result = spawnSync(command, args, { cwd, stdio: capture ? 'pipe' : 'inherit', encoding: 'utf8' })
  if (result.status !== 0) {
    if (capture) process.stdout.write(`${result.stdout}${result.stderr}`)
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`)
  }
  return result.stdout ?? ''
}

function step(name, fn) {
  const started = Date.now()
  console.log(`\n▷ consumer: ${name}`)
  let ok = true
  try {
    fn()
  } catch (error) {
    ok = false
    console.log(`  ✘ ${error instanceof Error ? error.message : String(error)}`)
  }
  const seconds = Number(((Date.now() - started) / 1000).toFixed(1))
  console.log(`${ok ? '  ✔' : '  ✘'} ${name} (${seconds}s)`)
  checks.push({ name, ok, seconds })
  return ok
}

const packages = ['@cairn/core', '@cairn/react', '@cairn/server']
const packed = {}
const installed = step('npm pack the three packages; install the tarballs into a project outside the workspace', () => {
  const out = sh(
    'npm',
    ['pack', '--json', '--pack-destination', tarballs, ...packages.flatMap((p) => ['-w', p])],
    root,
    {
      capture: true,
    },
  )
  // npm 11 prints an array, npm 12 an object keyed by package name.
  const report = JSON.parse(out)
  for (const entry of Array.isArray(report) ? report : Object.values(report)) {
    packed[entry.name] = join(tarballs, entry.filename)
    const unexpected = entry.files.filter((f) => !/^(dist\/|bin\/|README\.md$|LICENSE$|package\.json$)/.test(f.path))
    console.log(
      `  ${entry.filename}: ${entry.files.length} files, ${(entry.size / 1024).toFixed(1)} kB packed, ${(entry.unpackedSize / 1024).toFixed(1)} kB unpacked`,
    )
    for (const f of entry.files) console.log(`    ${String(f.size).padStart(7)}  ${f.path}`)
    if (unexpected.length > 0) throw new Error(`${entry.name} ships ${unexpected.map((f) => f.path).join(', ')}`)
    for (const required of ['LICENSE', 'dist/index.js', 'dist/index.d.ts']) {
      if (!entry.files.some((f) => f.path === required)) throw new Error(`${entry.name} ships no ${required}`)
    }
  }
  const pkg = {
    name: 'cairn-consumer',
    private: true,
    type: 'module',
    dependencies: {
      '@cairn/core': `file:${packed['@cairn/core']}`,
      '@cairn/react': `file:${packed['@cairn/react']}`,
      '@cairn/server': `file:${packed['@cairn/server']}`,
      '@tanstack/react-query': devVersion('@tanstack/react-query'),
      react: devVersion('react'),
      'react-dom': devVersion('react-dom'),
    },
    devDependencies: {
      '@types/node': rootPkg.devDependencies['@types/node'],
      '@types/react': devVersion('@types/react'),
      '@types/react-dom': devVersion('@types/react-dom'),
      '@vitejs/plugin-react': devVersion('@vitejs/plugin-react'),
      'fake-indexeddb': rootPkg.devDependencies['fake-indexeddb'],
      typescript: rootPkg.devDependencies.typescript,
      vite: rootPkg.devDependencies.vite,
      vitest: rootPkg.devDependencies.vitest,
    },
    // What users of @cairn/server approve for npm 12: better-sqlite3 builds its native module on install.
    allowScripts: { 'better-sqlite3': true },
  }
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)
  cpSync(join(root, 'scripts', 'consumer'), app, { recursive: true })
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], app)
})

if (installed) {
  step('plain Node imports every entry point and runs the built code', () => {
    sh(process.execPath, ['smoke.mjs'], app)
  })
  step('plain tsc type-checks a consumer file (strict, skipLibCheck false, NodeNext)', () => {
    sh(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app)
  })
  step('cairn-server --help from the installed bin', () => {
    const out = sh(join(app, 'node_modules', '.bin', 'cairn-server'), ['--help'], app, { capture: true })
    if (!out.includes('Usage: cairn-server')) throw new Error(`unexpected --help output: ${out}`)
    console.log(`  ${out.split('\n')[0]}`)
  })
  const todo = join(app, 'todo')
  const built = step(
    'the todo starter type-checks, passes its tests and builds with Vite from the installed packages',
    () => {
      cpSync(join(root, 'examples', 'todo'), todo, {
        recursive: true,
        filter: (src) => !/[/\\](node_modules|dist|data)$/.test(src),
      })
      // The starter's dependencies resolve from the consumer project's node_modules, one level up.
      const bins = join(app, 'node_modules', '.bin')
      sh(join(bins, 'tsc'), ['-p', '.'], todo)
      sh(join(bins, 'vitest'), ['run'], todo)
      sh(join(bins, 'vite'), ['build', '--logLevel', 'warn'], todo)
      if (!existsSync(join(todo, 'dist', 'index.html'))) throw new Error('no dist/index.html')
      // The page imports the client only: the runtime and Dexie belong in the worker's bundle (tree-shaking
      // through the published ESM, which keeps one module per source file).
      const assets = join(todo, 'dist', 'assets')
      for (const file of readdirSync(assets).filter((f) => f.endsWith('.js') && !f.startsWith('worker-'))) {
        if (readFileSync(join(assets, file), 'utf8').includes('DexieError'))
          throw new Error(`Dexie is bundled into the page: ${file}`)
      }
    },
  )
  if (built) {
    step('the starter in Chromium: an item added offline reaches the installed cairn-server', () => {
      const report = join(work, 'starter.json')
      const result = spawnSync(
        join(root, 'node_modules', '.bin', 'playwright'),
        ['test', '-c', 'e2e/starter/playwright.config.ts'],
        {
          cwd: root,
          stdio: 'inherit',
          env: {
            ...process.env,
            TODO_DIST: join(todo, 'dist'),
            CAIRN_SERVER_BIN: join(app, 'node_modules', '@cairn', 'server', 'bin', 'cairn-server.js'),
            PLAYWRIGHT_JSON_OUTPUT_NAME: report,
          },
        },
      )
      const stats = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')).stats : undefined
      if (result.status !== 0 || !stats || stats.expected < 1 || stats.unexpected > 0) {
        throw new Error(`Playwright: exit ${result.status}, ${JSON.stringify(stats)}`)
      }
    })
  }
}

if (flags.json) writeFileSync(flags.json, `${JSON.stringify({ checks }, null, 2)}\n`)
const failed = checks.filter((c) => !c.ok)
if (failed.length === 0 && !flags.keep) rmSync(work, { recursive: true, force: true })
else console.log(`\nconsumer project kept at ${app}`)
console.log(`\nconsumer: ${checks.length - failed.length} passed, ${failed.length} failed`)
process.exit(failed.length > 0 ? 1 : 0)
