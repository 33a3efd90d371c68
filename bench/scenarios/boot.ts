/** Scenario 4: boot time and memory at 10k and 100k events. */
import type { Page } from 'playwright'
import { rows, SIZES, scenario } from '../lib/harness'
import { type Bench, type BenchContext, call, load } from '../lib/pages'
import { fmt } from '../lib/report'

export async function bootAndMemory(_ctx: BenchContext, logPage: Page, burstOk: boolean): Promise<void> {
  await scenario(
    '4',
    '4. boot and memory',
    async () => {
      if (!burstOk) {
        await load(logPage)
        await call(logPage, 'fill', { db: 'log', target: SIZES.burst, chunk: 2000 })
      }
      const boots: { events: number; r: Awaited<ReturnType<Bench['boot']>> }[] = []
      for (const target of [SIZES.burst, SIZES.large]) {
        await load(logPage)
        const f = await call(logPage, 'fill', { db: 'log', target, chunk: 5000 })
        if (f.position < target) throw new Error(`fill reached ${f.position} of ${target}`)
        if (f.position > f.from)
          console.log(
            `  filled to ${f.position.toLocaleString('en')} events (${fmt(((f.position - f.from) / f.ms) * 1000)} commands/s)`,
          )
        await load(logPage)
        const r = await call(logPage, 'boot', { db: 'log', burst: SIZES.afterBoot })
        boots.push({ events: r.events, r })
        const ev = r.events.toLocaleString('en')
        rows.push({
          scenario: '4. boot and memory',
          subject: `Cairn: open a database of ${ev} events → first query result`,
          metric: 'boot (worker modules loaded → result)',
          unit: 'ms',
          value: r.fromModulesMs,
          target: '≤ 150 ms at 100k',
          status: 'ok',
          note: `incl. loading the worker's modules from the dev server: ${fmt(r.fromNewWorkerMs)} ms`,
        })
        const mb = (b: number) => b / 2 ** 20
        rows.push({
          scenario: '4. boot and memory',
          subject: `page JS heap after boot, ${ev} events`,
          metric: 'memory',
          unit: 'MB',
          value: mb(r.afterBoot.page),
          status: 'ok',
        })
        rows.push({
          scenario: '4. boot and memory',
          subject: `worker JS heap after boot, ${ev} events`,
          metric: 'memory',
          unit: 'MB',
          value: mb(r.afterBoot.workers),
          status: 'ok',
        })
        rows.push({
          scenario: '4. boot and memory',
          subject: `page JS heap after a burst of ${SIZES.afterBoot}, ${ev} events`,
          metric: 'memory',
          unit: 'MB',
          value: mb(r.afterBurst.page),
          status: 'ok',
        })
        rows.push({
          scenario: '4. boot and memory',
          subject: `worker JS heap after a burst of ${SIZES.afterBoot}, ${ev} events`,
          metric: 'memory',
          unit: 'MB',
          value: mb(r.afterBurst.workers),
          status: 'ok',
        })
      }
      const [small, large] = boots
      if (small && large) {
        const total = (x: (typeof boots)[number], k: 'afterBoot' | 'afterBurst') => x.r[k].page + x.r[k].workers
        rows.push({
          scenario: '4. boot and memory',
          subject: `page + worker heap, ${large.events.toLocaleString('en')} vs ${small.events.toLocaleString('en')} events (after burst)`,
          metric: 'memory growth with the log',
          unit: '×',
          value: total(large, 'afterBurst') / total(small, 'afterBurst'),
          ratios: [{ to: 'after boot', value: total(large, 'afterBoot') / total(small, 'afterBoot') }],
          target: 'flat (≈ 1×)',
          status: 'ok',
        })
        rows.push({
          scenario: '4. boot and memory',
          subject: `boot at ${large.events.toLocaleString('en')} vs ${small.events.toLocaleString('en')} events`,
          metric: 'boot growth with the log',
          unit: '×',
          value: large.r.fromModulesMs / small.r.fromModulesMs,
          status: 'ok',
        })
      }
    },
    420_000,
  )
}
