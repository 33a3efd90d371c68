#!/usr/bin/env node
/**
 * The one test command (`npm test`): lint + format check, type check, the packages' build and what users get
 * from it (publint, Are the Types Wrong, the consumer test of the packed tarballs), every Vitest project (Node
 * unit tests, real-Chromium tests, type tests), then the Playwright end-to-end suite and the quick benchmark run
 * when they exist. Ends with one line `N passed, N failed` totalling every suite, read from the runners' JSON
 * reports, so a run that executed nothing is visible.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const reports = join(root, 'test-results')
rmSync(reports, { recursive: true, force: true })
mkdirSync(reports, { recursive: true })

let passed = 0
let failed = 0
const problems = []

function run(label, command, args, env = {}) {
  const started = Date.now()
  console.log(`\n▶ ${label}: ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  const ok = result.status === 0
  console.log(`${ok ? '✔' : '✘'} ${label} (${seconds}s)`)
  if (!ok) problems.push(`${label} exited with ${result.status ?? result.signal}`)
  return ok
}

/** Counts tests in a Vitest (Jest-compatible) JSON report. */
function countVitest(file, label) {
  if (!existsSync(file)) {
    problems.push(`${label}: no JSON report was written`)
    failed += 1
    return
  }
  const report = JSON.parse(readFileSync(file, 'utf8'))
  passed += report.numPassedTests ?? 0
  failed += (report.numFailedTests ?? 0) + (report.numTotalTestSuites > 0 ? 0 : 0)
  const suitesFailed = (report.testResults ?? []).filter(
    (r) => r.status === 'failed' && r.assertionResults?.length === 0,
  )
  failed += suitesFailed.length
  console.log(
    `  ${label}: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests ?? 0} skipped`,
  )
}

/** Counts tests in a Playwright JSON report. */
function countPlaywright(file, label) {
  if (!existsSync(file)) {
    problems.push(`${label}: no JSON report was written`)
    failed += 1
    return
  }
  const report = JSON.parse(readFileSync(file, 'utf8'))
  const s = report.stats ?? {}
  passed += (s.expected ?? 0) + (s.flaky ?? 0)
  failed += s.unexpected ?? 0
  if ((report.errors ?? []).length > 0) failed += report.errors.length
  console.log(
    `  ${label}: ${s.expected ?? 0} passed, ${s.unexpected ?? 0} failed, ${s.flaky ?? 0} flaky, ${s.skipped ?? 0} skipped`,
  )
}

const bin = (name) => join(root, 'node_modules', '.bin', name)

if (run('lint + format (Biome)', bin('biome'), ['check', '.'])) passed += 1
else failed += 1
if (run('type check (tsc -b --force)', bin('tsc'), ['-b', '--force'])) passed += 1
else failed += 1

/** Counts the checks of a `{ checks: [{ name, ok }] }` report (scripts/consumer-test.mjs). */
function countChecks(file, label) {
  if (!existsSync(file)) {
    problems.push(`${label}: no JSON report was written`)
    failed += 1
    return
  }
  const { checks } = JSON.parse(readFileSync(file, 'utf8'))
  const ok = checks.filter((c) => c.ok).length
  passed += ok
  failed += checks.length - ok
  console.log(`  ${label}: ${ok} passed, ${checks.length - ok} failed`)
}

const published = ['core', 'react', 'server']
if (run('build the packages (tsdown: ESM + .d.ts)', 'npm', ['run', 'build'])) {
  passed += 1
  for (const name of published) {
    if (run(`publint @cairn/${name}`, bin('publint'), ['--strict', `packages/${name}`])) passed += 1
    else failed += 1
    // ESM only: the CommonJS resolutions (node10, node16 from CJS) are out of scope by design.
    if (run(`are the types wrong @cairn/${name}`, bin('attw'), ['--pack', `packages/${name}`, '--profile', 'esm-only']))
      passed += 1
    else failed += 1
  }
  const consumerJson = join(reports, 'consumer.json')
  run('consumer test (packed tarballs in a fresh project)', process.execPath, [
    'scripts/consumer-test.mjs',
    '--json',
    consumerJson,
  ])
  countChecks(consumerJson, 'consumer')
} else failed += 1

// The API reference from the TSDoc; warnings (a broken link in a doc comment or a README) fail it.
if (run('API reference (TypeDoc, warnings are errors)', bin('typedoc'), [])) passed += 1
else failed += 1

const vitestJson = join(reports, 'vitest.json')
run('unit, browser and type tests (Vitest)', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestJson}`,
])
countVitest(vitestJson, 'vitest')

if (existsSync(join(root, 'e2e', 'playwright.config.ts'))) {
  const e2eJson = join(reports, 'e2e.json')
  run('end-to-end (Playwright)', bin('playwright'), ['test', '-c', 'e2e/playwright.config.ts'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: e2eJson,
  })
  countPlaywright(e2eJson, 'e2e')
}

if (existsSync(join(root, 'bench', 'run.ts'))) {
  if (run('benchmarks, quick mode (every scenario must produce figures)', bin('tsx'), ['bench/run.ts', '--quick']))
    passed += 1
  else failed += 1
}

if (problems.length > 0) {
  console.log('\nProblems:')
  for (const p of problems) console.log(`  - ${p}`)
}
console.log(`\n${passed} passed, ${failed} failed`)
process.exit(failed > 0 || problems.length > 0 ? 1 : 0)
