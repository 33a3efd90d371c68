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
      rows.push({
        scenario: '3. serial commands',
        subject: `Cairn: ${r.n} awaited note.add, one after another`,
        metric: 'commands/s',
        unit: '/s',
        value: rate,
        samples: r.n,
        ratios: floorSerialRate ? [{ to: 'floor', value: rate / floorSerialRate }] : [],
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
    },
    180_000,
  )
}
