/**
 * CPU profile of the page and the Cairn worker during one bench scenario, to see where a command's time goes
 * before changing anything (`npm run bench` says how fast; this says why).
 *
 *   npx tsx bench/profile.ts serial|burst|render [--n 1000] [--top 15] [--no-profile]
 *
 * Prints the scenario's figure, each thread's busy CPU (samples that were not idle) per item, and the functions
 * with the most self time; writes the profiles to bench/results/profile-{page,worker}.cpuprofile (open them
 * in Chrome DevTools' Performance panel). Profiling itself slows the run: compare busy CPU between two builds
 * profiled alike, not against `npm run bench`. Native calls (an IndexedDB request, a postMessage) show as the
 * self time of the function that made them.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { type CDPSession, chromium } from 'playwright'
import { benchDir } from './lib/paths'
import { startPages } from './lib/vite-server'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { n: { type: 'string' }, top: { type: 'string', default: '15' }, 'no-profile': { type: 'boolean' } },
})
const scenario = positionals[0] ?? 'serial'
if (!['serial', 'burst', 'render'].includes(scenario)) throw new Error(`unknown scenario '${scenario}'`)
const n = Number(values.n ?? (scenario === 'render' ? 300 : scenario === 'burst' ? 5000 : 1000))
const profiling = !values['no-profile']

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** Workers are reached through the page's session (Target.sendMessageToTarget): Playwright has no worker CDP. */
class WorkerSessions {
  private next = 1
  private readonly waiting = new Map<number, (result: unknown) => void>()
  readonly ids: string[] = []
  constructor(private readonly cdp: CDPSession) {
    cdp.on('Target.attachedToTarget', (e) => {
      if (e.targetInfo.type === 'worker') this.ids.push(e.sessionId)
    })
    cdp.on('Target.receivedMessageFromTarget', (e) => {
      const message = JSON.parse(e.message) as { id?: number; result?: unknown }
      if (message.id !== undefined) this.waiting.get(message.id)?.(message.result)
    })
  }
  send<T>(sessionId: string, method: string, params: object = {}): Promise<T> {
    const id = this.next++
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (result: unknown) => void)
      void this.cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) })
    })
  }
}

function summary(profile: Profile, items: number, top: number): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<string, number>()
  let busy = 0
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame
    const us = profile.timeDeltas[i] ?? 0
    if (!frame || frame.functionName === '(idle)') return
    busy += us
    const file = frame.url.split('/').slice(-2).join('/').replace(/\?.*/, '')
    const key = `${frame.functionName || '(anonymous)'} ${file ? `${file}:${frame.lineNumber + 1}` : ''}`
    self.set(key, (self.get(key) ?? 0) + us)
  })
  const lines = [`  busy ${(busy / 1000).toFixed(0)} ms, ${(busy / 1000 / items).toFixed(3)} ms per item`]
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${(us / 1000).toFixed(1).padStart(8)} ms  ${key}`)
  return lines.join('\n')
}

const pages = await startPages()
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--disable-gpu', '--no-sandbox'],
})
try {
  const page = await browser.newPage()
  // tsx keeps function names with a helper the page does not have.
  await page.addInitScript('window.__name = (f) => f')
  const cdp = await page.context().newCDPSession(page)
  const workers = new WorkerSessions(cdp)
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false })
  await page.goto(`${pages.url}/index.html`)
  await page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true)
  const profiled = new Set<string>()
  if (profiling) {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 })
    await cdp.send('Profiler.start')
  }
  // A worker starts during the scenario: start its profiler as soon as it is attached.
  const watch = setInterval(() => {
    if (!profiling) return
    for (const id of workers.ids) {
      if (profiled.has(id)) continue
      profiled.add(id)
      void workers
        .send(id, 'Profiler.enable')
        .then(() => workers.send(id, 'Profiler.setSamplingInterval', { interval: 100 }))
        .then(() => workers.send(id, 'Profiler.start'))
    }
  }, 2)
  const result = await page.evaluate(
    async ([name, count]) => {
      const module = (await import('/profiled.ts')) as Record<
        string,
        (p: { n: number }) => Promise<{ items: number; figure: string }>
      >
      return (module[name] as (p: { n: number }) => Promise<{ items: number; figure: string }>)({ n: count })
    },
    [scenario, n] as const,
  )
  clearInterval(watch)
  console.log(`${scenario}, n = ${n}: ${result.figure}${profiling ? ' (under the profiler)' : ''}`)
  if (profiling) {
    const out = join(benchDir, 'results')
    mkdirSync(out, { recursive: true })
    const top = Number(values.top)
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile }
    writeFileSync(join(out, 'profile-page.cpuprofile'), JSON.stringify(profile))
    console.log(`page:\n${summary(profile, result.items, top)}`)
    for (const [i, id] of [...profiled].entries()) {
      const stopped = await workers.send<{ profile?: Profile }>(id, 'Profiler.stop')
      if (!stopped?.profile) continue
      writeFileSync(join(out, `profile-worker${i === 0 ? '' : i}.cpuprofile`), JSON.stringify(stopped.profile))
      console.log(`worker${i === 0 ? '' : ` ${i}`}:\n${summary(stopped.profile, result.items, top)}`)
    }
  }
} finally {
  await browser.close()
  await pages.server.close()
}
