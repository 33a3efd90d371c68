/**
 * Cairn's benchmark suite: `npm run bench` (full, < 10 min) or `npm run bench -- --quick` (small sizes, inside
 * `npm test`). Real headless Chromium through Playwright for the browser scenarios (pages served by a Vite dev
 * server with COOP/COEP), a real `cairn-server` process for sync, the server's ingest benchmark, Vite library
 * builds for bundle sizes. Writes bench/results/{latest,quick}.{json,md,svg} and prints a table.
 *
 *   npx tsx bench/run.ts [--quick] [--only 1,2,7] [--no-install]
 *
 * Each scenario lives in bench/scenarios/; this file sets up what they share and runs them in order.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, release, totalmem, type } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright'
import { errText, NO_INSTALL, ONLY, QUICK, rows, SIZES, wanted } from './lib/harness'
import { type BenchContext, call, newPage, servePagesFrom } from './lib/pages'
import { repoRoot, resultsDir } from './lib/paths'
import { ensureGroup } from './lib/peers'
import { type Environment, fmt, markdown, stdoutTable, svgChart } from './lib/report'
import { startServerProcess } from './lib/server-process'
import { startPages } from './lib/vite-server'
import { offlineBacklog } from './scenarios/backlog'
import { bootAndMemory } from './scenarios/boot'
import { bundles } from './scenarios/bundle-sizes'
import { burst } from './scenarios/burst'
import { encryptionCost } from './scenarios/encryption'
import { firstSync } from './scenarios/first-sync'
import { serverIngest } from './scenarios/ingest'
import { joinSpace } from './scenarios/join-space'
import { openLoop } from './scenarios/open-loop'
import { propagation } from './scenarios/propagation'
import { rebaseCost } from './scenarios/rebase'
import { projectionRebuild } from './scenarios/rebuild'
import { commandToRender } from './scenarios/render'
import { serialCommands } from './scenarios/serial'

const started = Date.now()
const pkgVersion = (name: string) =>
  (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version

const env: Environment = {
  date: new Date().toISOString(),
  mode: QUICK ? 'quick' : 'full',
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
  },
  node: process.version,
  chromium: '',
  playwright: pkgVersion('playwright'),
  vite: pkgVersion('vite'),
}

let browser: Browser | undefined
const closers: (() => Promise<unknown>)[] = []

async function main() {
  mkdirSync(resultsDir, { recursive: true })
  console.log(`Cairn benchmarks — ${QUICK ? 'quick' : 'full'} mode\n`)

  // Optional third-party baselines (full mode only).
  const peerErrors: Record<string, string | undefined> = {}
  if (!QUICK && (wanted('1') || wanted('8'))) {
    for (const g of ['dexie-react-hooks', 'livestore']) {
      if (NO_INSTALL) continue
      peerErrors[g] = await ensureGroup(g).catch((e) => errText(e))
    }
  }

  const server = await startServerProcess()
  closers.push(() => server.stop())
  const pages = await startPages()
  servePagesFrom(pages.url)
  closers.push(() => pages.server.close())
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--disable-gpu',
      '--disable-quic',
      '--no-sandbox',
      '--disable-background-networking',
      // Answer measureUserAgentSpecificMemory() at once (it otherwise waits up to 20 s for a natural GC).
      '--enable-blink-features=ForceEagerMeasureMemory',
    ],
  })
  closers.push(async () => browser?.close())
  env.chromium = browser.version()
  {
    const context = await browser.newContext()
    const page = await newPage(context)
    const info = await call(page, 'info')
    env.userAgent = info.userAgent
    env.crossOriginIsolated = info.crossOriginIsolated
    await context.close()
  }
  console.log(`  pages ${pages.url}, cairn-server ${server.url}, Chromium ${env.chromium}\n`)
  const ctx: BenchContext = { browser, server, peerErrors }

  const floorSerialRate = await commandToRender(ctx)

  // 2, 3, 4, 5 share one database ('log') in one browser context.
  const logContext = await browser.newContext()
  closers.unshift(() => logContext.close())
  const logPage = await newPage(logContext)
  const burstOk = await burst(ctx, logPage)
  await serialCommands(ctx, logPage, floorSerialRate)
  await bootAndMemory(ctx, logPage, burstOk)
  await projectionRebuild(ctx, logPage)
  await logContext.close().catch(() => {})

  await propagation(ctx)
  await offlineBacklog(ctx)
  await firstSync(ctx)
  await rebaseCost(ctx)
  await joinSpace(ctx)
  await encryptionCost(ctx)
  // The server scenarios measure CPU-bound Node processes: the browser is closed first.
  await browser.close().catch(() => {})
  browser = undefined

  await serverIngest()
  await openLoop()
  await bundles(ctx)
}
async function finish(fatal?: unknown) {
  for (const c of closers) await c().catch(() => {})
  if (fatal)
    rows.push({ scenario: 'suite', subject: 'setup', metric: '', unit: '', status: 'failed', error: errText(fatal) })
  env.wallSeconds = (Date.now() - started) / 1000
  const base = QUICK ? 'quick' : 'latest'
  if (!ONLY) {
    writeFileSync(
      join(resultsDir, `${base}.json`),
      `${JSON.stringify({ environment: env, sizes: SIZES, rows }, null, 2)}\n`,
    )
    writeFileSync(join(resultsDir, `${base}.md`), markdown(env, rows))
    writeFileSync(join(resultsDir, `${base}.svg`), svgChart(env, rows))
  } else {
    writeFileSync(
      join(resultsDir, `partial.json`),
      `${JSON.stringify({ environment: env, sizes: SIZES, rows }, null, 2)}\n`,
    )
  }
  console.log(`\n${stdoutTable(rows)}\n`)
  console.log(
    `${env.mode} run, ${fmt(env.wallSeconds)} s · ${env.machine.cpus} cores, ${env.machine.memoryGB} GB · Node ${env.node} · Chromium ${env.chromium}`,
  )
  if (!ONLY) console.log(`wrote bench/results/${base}.json, ${base}.md, ${base}.svg`)
  const failed = rows.filter((r) => r.status === 'failed' && !r.optional)
  const optionalFailed = rows.filter((r) => r.status === 'failed' && r.optional)
  if (optionalFailed.length) console.log(`${optionalFailed.length} optional baseline(s) failed (reported above).`)
  if (failed.length) console.log(`${failed.length} scenario row(s) FAILED.`)
  process.exit(failed.length > 0 ? 1 : 0)
}

main().then(
  () => finish(),
  (e) => finish(e),
)
