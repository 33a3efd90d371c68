/** Scenario 9: an offline backlog pushed on resume, beside bare fetch pushes. */
import { rows, SIZES, scenario } from '../lib/harness'
import { type BenchContext, call, load, newPage } from '../lib/pages'
import { fmt } from '../lib/report'

export async function offlineBacklog(ctx: BenchContext): Promise<void> {
  await scenario(
    '9',
    '9. offline backlog',
    async () => {
      const context = await ctx.browser.newContext()
      const page = await newPage(context)
      const r = await call(page, 'backlog', {
        db: 'backlog',
        url: ctx.server.url,
        space: `backlog-${Date.now()}`,
        n: SIZES.backlog,
      })
      if (r.lastError) throw new Error(`sync error: ${JSON.stringify(r.lastError)}`)
      await load(page)
      const raw = await call(page, 'rawBacklog', {
        url: ctx.server.url,
        space: `backlograw-${Date.now()}`,
        n: SIZES.backlog,
        batch: 500,
      })
      rows.push({
        scenario: '9. offline backlog',
        subject: `Cairn: ${r.n.toLocaleString('en')} commands made offline, resume → pending 0 (SQLite server)`,
        metric: 'push + confirm',
        unit: 'ms',
        value: r.ms,
        samples: r.pendingBefore,
        ratios: [{ to: 'bare push', value: r.ms / raw.ms }],
        status: 'ok',
        note: `${fmt((r.n / r.ms) * 1000)} events/s; server head ${r.head}`,
      })
      rows.push({
        scenario: '9. offline backlog',
        subject: `bare fetch pushes of ${raw.n.toLocaleString('en')} events in batches of 500 from the page`,
        baseline: true,
        metric: 'push + confirm',
        unit: 'ms',
        value: raw.ms,
        samples: raw.n,
        status: 'ok',
      })
      await context.close()
    },
    300_000,
  )
}
