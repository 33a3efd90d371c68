/** Scenario 2: a burst of commands submitted at once, beside raw IndexedDB puts of the same event rows. */
import type { Page } from 'playwright'
import { rows, SIZES, scenario } from '../lib/harness'
import { type BenchContext, call } from '../lib/pages'

export async function burst(_ctx: BenchContext, logPage: Page): Promise<boolean> {
  let burstOk = false
  await scenario(
    '2',
    '2. burst',
    async () => {
      const r = await call(logPage, 'burst', { db: 'log', n: SIZES.burst })
      const rate = (r.n / r.ms) * 1000
      const rawRate = (r.raw.rows / r.raw.ms) * 1000
      const modelRate = (r.model.rows / r.model.ms) * 1000
      if (r.count !== r.n || r.position !== r.n)
        throw new Error(`expected ${r.n} rows and events, got ${r.count} rows, position ${r.position}`)
      burstOk = true
      rows.push({
        scenario: '2. burst',
        subject: `Cairn: ${r.n.toLocaleString('en')} note.add submitted at once (1 event + 1 inline projection row each)`,
        metric: 'commands/s = events appended/s',
        unit: '/s',
        value: rate,
        ratios: [
          { to: 'raw put', value: rate / rawRate },
          { to: 'data-model floor', value: rate / modelRate },
        ],
        target: '≥ 5k/s; ≥ 0.8× raw put',
        status: 'ok',
      })
      rows.push({
        scenario: '2. burst',
        subject: 'raw IndexedDB put of the same event rows, one transaction (worker)',
        baseline: true,
        metric: 'commands/s = events appended/s',
        unit: '/s',
        value: rawRate,
        samples: r.raw.rows,
        status: 'ok',
      })
      rows.push({
        scenario: '2. burst',
        subject:
          "data-model floor: Cairn's own IndexedDB reads and writes per command (stream head read; event, journal and read-model rows), raw, 500 per transaction (worker)",
        baseline: true,
        metric: 'commands/s = events appended/s',
        unit: '/s',
        value: modelRate,
        samples: r.model.rows,
        status: 'ok',
        note: 'stores of the shape of Cairn’s database, indexes included; the rows this burst wrote',
      })
    },
    180_000,
  )

  return burstOk
}
