/** Scenario 3: serial awaited commands, beside the floor measured in scenario 1. */
import type { Page } from 'playwright'
import { rows, SIZES, scenario } from '../lib/harness'
import { type BenchContext, call } from '../lib/pages'

export async function serialCommands(
  _ctx: BenchContext,
  logPage: Page,
  floorSerialRate: number | undefined,
): Promise<void> {
  await scenario(
    '3',
    '3. serial commands',
    async () => {
      const r = await call(logPage, 'serial', { n: SIZES.serial, warmup: 50 })
      const rate = (r.n / r.ms) * 1000
      const modelRate = (r.n / r.modelMs) * 1000
      rows.push({
        scenario: '3. serial commands',
        subject: `Cairn: ${r.n} awaited note.add, one after another`,
        metric: 'commands/s',
        unit: '/s',
        value: rate,
        samples: r.n,
        ratios: [
          ...(floorSerialRate ? [{ to: 'floor', value: rate / floorSerialRate }] : []),
          { to: 'data-model floor', value: rate / modelRate },
        ],
        target: '≥ 1k/s',
        status: 'ok',
      })
      rows.push(
        floorSerialRate
          ? {
              scenario: '3. serial commands',
              subject: 'floor: awaited Comlink + one IndexedDB put, serially',
              baseline: true,
              metric: 'commands/s',
              unit: '/s',
              value: floorSerialRate,
              samples: SIZES.serial,
              status: 'ok',
            }
          : {
              scenario: '3. serial commands',
              subject: 'floor: awaited Comlink + one IndexedDB put, serially',
              baseline: true,
              metric: 'commands/s',
              unit: '/s',
              status: 'failed',
              error: 'measured in scenario 1, which did not run or failed',
            },
      )
      rows.push({
        scenario: '3. serial commands',
        subject:
          "data-model floor: awaited Comlink + Cairn's own IndexedDB reads and writes per command (log tail, high-water mark, stream head; event, journal and read-model rows), raw, serially",
        baseline: true,
        metric: 'commands/s',
        unit: '/s',
        value: modelRate,
        samples: r.n,
        status: 'ok',
        note: 'one transaction per command; stores of the shape of Cairn’s database; the rows this run wrote',
      })
    },
    180_000,
  )
}
