/** Scenario 6: client A execute → client B live query through cairn-server, beside bare fetch → EventSource. */
import { ratio, rows, SIZES, scenario } from '../lib/harness'
import { type BenchContext, call, load, newPage } from '../lib/pages'
import type { Row } from '../lib/report'
import { median, p99 } from '../lib/stats'

export async function propagation(ctx: BenchContext): Promise<void> {
  await scenario(
    '6',
    '6. propagation',
    async () => {
      const context = await ctx.browser.newContext()
      const a = await newPage(context)
      const b = await newPage(context)
      const space = `prop-${Date.now()}`
      await call(a, 'syncStart', { db: 'prop-a', url: ctx.server.url, space })
      await call(b, 'syncStart', { db: 'prop-b', url: ctx.server.url, space })
      await call(b, 'syncWatch')
      const samples: number[] = []
      for (let i = 0; i < SIZES.propagationWarmup + SIZES.propagation + 1; i++) {
        const title = `p ${i}`
        await call(b, 'expect', title)
        const at = await call(a, 'syncCommand', { kind: i === 0 ? 'add' : 'rename', title })
        const seen = await call(b, 'waitExpected')
        if (i > SIZES.propagationWarmup) samples.push(seen - at)
      }
      const cairn: Row = {
        scenario: '6. propagation',
        subject: 'Cairn: client A execute → client B live query, via cairn-server (SQLite)',
        metric: 'A → B latency',
        unit: 'ms',
        value: median(samples),
        p99: p99(samples),
        samples: samples.length,
        target: 'p50 ≤ 50 ms',
        status: 'ok',
      }
      rows.push(cairn)
      const rawSpace = `propraw-${Date.now()}`
      await load(b)
      await call(b, 'rawWatch', { url: ctx.server.url, space: rawSpace })
      const raw: number[] = []
      for (let i = 0; i < SIZES.propagationWarmup + SIZES.propagation; i++) {
        const id = `raw-${i}`
        await call(b, 'expect', id)
        const at = await call(a, 'rawPush', { url: ctx.server.url, space: rawSpace, id, version: i + 1 })
        const seen = await call(b, 'waitExpected')
        if (i >= SIZES.propagationWarmup) raw.push(seen - at)
      }
      rows.push({
        scenario: '6. propagation',
        subject: 'bare fetch push (A) → EventSource message (B), same server',
        baseline: true,
        metric: 'A → B latency',
        unit: 'ms',
        value: median(raw),
        p99: p99(raw),
        samples: raw.length,
        status: 'ok',
      })
      cairn.ratios = [{ to: 'bare HTTP', value: ratio(cairn.value, median(raw)) }]
      await context.close()
    },
    180_000,
  )
}
