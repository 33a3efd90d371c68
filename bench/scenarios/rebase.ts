/** Scenario 11: a pull of foreign events with many local events pending, beside the same pull with nothing pending. */
import { ratio, rows, SIZES, scenario } from '../lib/harness'
import { type BenchContext, call, load, newPage } from '../lib/pages'
import { fmt } from '../lib/report'
import { median } from '../lib/stats'

export async function rebaseCost(ctx: BenchContext): Promise<void> {
  await scenario(
    '11',
    '11. rebase cost',
    async () => {
      const context = await ctx.browser.newContext()
      const page = await newPage(context)
      const params = { url: ctx.server.url, foreign: SIZES.rebaseForeign, rounds: SIZES.rebaseRounds + 1 }
      const busy = await call(page, 'rebase', {
        ...params,
        db: 'rebase-pending',
        space: `rebase-${Date.now()}`,
        pending: SIZES.rebasePending,
      })
      await load(page)
      const idle = await call(page, 'rebase', {
        ...params,
        db: 'rebase-idle',
        space: `rebase0-${Date.now()}`,
        pending: 0,
      })
      await context.close()
      // The first round warms up (JIT, first transaction on the stores): dropped from both.
      const b = busy.apply.slice(1)
      const i = idle.apply.slice(1)
      const kept = busy.pendingAfter === SIZES.rebasePending && idle.pendingAfter === 0
      rows.push({
        scenario: '11. rebase cost',
        subject: `Cairn: pull of ${SIZES.rebaseForeign} foreign events (other streams) with ${SIZES.rebasePending.toLocaleString('en')} local events pending`,
        metric: 'pull response → applied (round done)',
        unit: 'ms',
        value: median(b),
        p99: Math.max(...b),
        samples: b.length,
        ratios: [{ to: 'nothing pending', value: ratio(median(b), median(i)) }],
        target: '≤ 10× nothing pending',
        status: kept ? 'ok' : 'failed',
        ...(kept
          ? {
              note: `whole syncNow round ${fmt(median(busy.round.slice(1)))} ms (its push is held: the transport fails it as offline); ${busy.pendingAfter.toLocaleString('en')} still pending after; p99 column = max`,
            }
          : {
              error: `pending after the pulls: ${busy.pendingAfter} (expected ${SIZES.rebasePending}), idle ${idle.pendingAfter}`,
            }),
      })
      rows.push({
        scenario: '11. rebase cost',
        subject: `the same pull of ${SIZES.rebaseForeign} foreign events with nothing pending`,
        baseline: true,
        metric: 'pull response → applied (round done)',
        unit: 'ms',
        value: median(i),
        p99: Math.max(...i),
        samples: i.length,
        status: 'ok',
        note: `whole syncNow round ${fmt(median(idle.round.slice(1)))} ms; p99 column = max`,
      })
    },
    300_000,
  )
}
