/** Scenario 5: a projection rebuilt from the log after a version bump, beside raw chunked reads and puts. */
import type { Page } from 'playwright'
import { rows, SIZES, scenario, wanted } from '../lib/harness'
import { type BenchContext, call, load } from '../lib/pages'
import { fmt } from '../lib/report'

export async function projectionRebuild(_ctx: BenchContext, logPage: Page): Promise<void> {
  await scenario(
    '5',
    '5. projection rebuild',
    async () => {
      if (!wanted('4')) {
        // Run alone (`--only 5`): fill the log to what scenarios 2 and 4 leave in it.
        await load(logPage)
        const target = SIZES.large + SIZES.afterBoot
        const f = await call(logPage, 'fill', { db: 'log', target, chunk: 5000 })
        if (f.position < target) throw new Error(`fill reached ${f.position} of ${target}`)
      }
      await load(logPage)
      const r = await call(logPage, 'rebuild', { db: 'log' })
      const rate = (r.total / r.ms) * 1000
      const rawRate = (r.raw.rows / r.raw.ms) * 1000
      const indexedRate = (r.rawIndexed.rows / r.rawIndexed.ms) * 1000
      rows.push({
        scenario: '5. projection rebuild',
        subject: `Cairn: notes v1 → v2, rebuilt from ${r.total.toLocaleString('en')} events (${r.updates} progress updates)`,
        metric: 'events/s',
        unit: '/s',
        value: rate,
        samples: r.total,
        ratios: [
          { to: 'raw', value: rate / rawRate },
          { to: 'raw with the space index', value: rate / indexedRate },
        ],
        target: '≥ 50k/s',
        status: r.total > 0 && r.updates > 0 ? 'ok' : 'failed',
        ...(r.total > 0 && r.updates > 0
          ? { note: `${fmt(r.ms)} ms to ready; ${r.count.toLocaleString('en')} rows` }
          : { error: `no rebuild observed (total ${r.total}, updates ${r.updates})` }),
      })
      rows.push({
        scenario: '5. projection rebuild',
        subject: 'raw IndexedDB: read the log in chunks of 2,000, put one row per event',
        baseline: true,
        metric: 'events/s',
        unit: '/s',
        value: rawRate,
        samples: r.raw.rows,
        status: 'ok',
      })
      rows.push({
        scenario: '5. projection rebuild',
        subject: 'raw IndexedDB, the same with each row’s space indexed (as every Cairn read-model table is)',
        baseline: true,
        metric: 'events/s',
        unit: '/s',
        value: indexedRate,
        samples: r.rawIndexed.rows,
        status: 'ok',
        note: 'the old table is not deleted here; Cairn drops it at the upgrade',
      })
    },
    300_000,
  )
}
