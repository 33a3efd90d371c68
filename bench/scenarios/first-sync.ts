/** Scenario 10: first sync of a new device, beside bare paged pulls plus raw puts. */
import { rows, SIZES, scenario } from '../lib/harness'
import { type BenchContext, call, load, newPage } from '../lib/pages'
import { fmt } from '../lib/report'
import { fillSpace } from '../lib/server-bench'

export async function firstSync(ctx: BenchContext): Promise<void> {
  await scenario(
    '10',
    '10. first sync',
    async () => {
      const n = SIZES.firstSync
      const space = `first-${Date.now()}`
      const fill = await fillSpace(ctx.server.url, space, n, 500)
      console.log(`  filled the space with ${n.toLocaleString('en')} events (${fmt((n / fill.ms) * 1000)} events/s)`)
      const context = await ctx.browser.newContext()
      const page = await newPage(context)
      const r = await call(page, 'firstSync', { db: 'first-sync', url: ctx.server.url, space, n, lastId: fill.lastId })
      await load(page)
      const raw = await call(page, 'rawFirstSync', { url: ctx.server.url, space, limit: 500 })
      await context.close()
      const rate = (n / r.ms) * 1000
      const rawRate = (raw.rows / raw.ms) * 1000
      const complete = r.count === n && r.lastShown && r.firstRows > 0 && raw.rows === n
      rows.push({
        scenario: '10. first sync',
        subject: `Cairn: empty database, worker serve with sync → ${n.toLocaleString('en')} events applied, read model queried`,
        metric: 'events/s',
        unit: '/s',
        value: rate,
        samples: n,
        ratios: [{ to: 'bare pulls + raw puts', value: rate / rawRate }],
        target: '≥ 0.5× baseline',
        status: complete ? 'ok' : 'failed',
        ...(complete
          ? {
              note: `${fmt(r.ms)} ms from worker modules evaluated to the last row queried (${fmt(r.fromNewWorkerMs)} ms from new Worker); pull pages of 500 (default); space filled by HTTP pushes of 500 at ${fmt((n / fill.ms) * 1000)} events/s`,
            }
          : {
              error: `incomplete: ${r.count} rows of ${n}, last row shown ${r.lastShown}, baseline ${raw.rows} rows; lastError ${JSON.stringify(r.lastError)}`,
            }),
      })
      rows.push({
        scenario: '10. first sync',
        subject: `bare fetch of /pull pages (limit 500) + raw IndexedDB put of each page's events, one transaction per page (worker)`,
        baseline: true,
        metric: 'events/s',
        unit: '/s',
        value: rawRate,
        samples: raw.rows,
        status: 'ok',
        note: `${fmt(raw.ms)} ms, ${raw.pages} pages`,
      })
    },
    600_000,
  )
}
