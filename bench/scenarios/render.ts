/** Scenario 1: command → render (Cairn, Dexie + useLiveQuery, LiveStore) and the Comlink + put floor, whose serial rate scenario 3 compares with. */
import { part, QUICK, ratio, SIZES, scenario } from '../lib/harness'
import { type BenchContext, call, load, newPage } from '../lib/pages'
import type { Row } from '../lib/report'
import { median, p99 } from '../lib/stats'

export async function commandToRender(ctx: BenchContext): Promise<number | undefined> {
  let floorSerialRate: number | undefined
  await scenario(
    '1',
    '1. command → render',
    async () => {
      const context = await ctx.browser.newContext()
      const page = await newPage(context)
      const p = { warmup: SIZES.renderWarmup, samples: SIZES.renderSamples }
      const metric = 'mutate → commit showing the data'
      const cairn = await part(
        {
          scenario: '1. command → render',
          subject: 'Cairn: useCommand().mutate → useQuery component commit',
          metric,
          unit: 'ms',
          target: 'p50 ≤ 1.8 ms, p99 ≤ 5 ms',
        },
        async () => {
          const { samples } = await call(page, 'renderCairn', p)
          return { value: median(samples), p99: p99(samples), samples: samples.length }
        },
      )
      await load(page)
      let dexie: Row | undefined
      if (QUICK) {
        dexie = await part(
          {
            scenario: '1. command → render',
            subject: 'Dexie (main thread) + useLiveQuery',
            baseline: true,
            metric,
            unit: 'ms',
            optional: true,
          },
          async () => ({
            status: 'skipped',
            note: 'quick mode: dexie-react-hooks is installed on demand in full mode only',
          }),
        )
      } else {
        dexie = await part(
          {
            scenario: '1. command → render',
            subject: 'Dexie (main thread) + useLiveQuery',
            baseline: true,
            metric,
            unit: 'ms',
            optional: true,
          },
          async () => {
            if (ctx.peerErrors['dexie-react-hooks']) throw new Error(ctx.peerErrors['dexie-react-hooks'])
            const { samples } = await call(page, 'renderDexie', p)
            return {
              value: median(samples),
              p99: p99(samples),
              samples: samples.length,
              note: 'Dexie updates useLiveQuery optimistically in the writing context, before the write commits',
            }
          },
        )
        await load(page)
      }
      const live = await part(
        {
          scenario: '1. command → render',
          subject: 'LiveStore 0.4: commit → useQuery component commit',
          baseline: true,
          metric,
          unit: 'ms',
          optional: true,
        },
        async () => {
          if (QUICK) return { status: 'skipped', note: 'quick mode: LiveStore is attempted in full mode only' }
          if (ctx.peerErrors.livestore) throw new Error(ctx.peerErrors.livestore)
          const { samples } = await call(page, 'renderLiveStore', p)
          return {
            value: median(samples),
            p99: p99(samples),
            samples: samples.length,
            note: "store.commit applies the event to the page's in-memory SQLite synchronously; OPFS persistence in its worker follows",
          }
        },
      )
      await load(page)
      const floor = await part(
        {
          scenario: '1. command → render',
          subject: 'floor: Comlink round trip + one IndexedDB put in a worker',
          baseline: true,
          metric: 'round trip',
          unit: 'ms',
        },
        async () => {
          const r = await call(page, 'floor', { ...p, serial: SIZES.serial })
          floorSerialRate = (r.serial / r.serialMs) * 1000
          return { value: median(r.samples), p99: p99(r.samples), samples: r.samples.length }
        },
      )
      for (const r of [cairn, dexie, live]) {
        if (r.status !== 'ok' || r.value === undefined) continue
        r.ratios = [{ to: 'floor', value: ratio(r.value, floor.value) }]
        if (r !== dexie && dexie?.status === 'ok') r.ratios.push({ to: 'Dexie', value: ratio(r.value, dexie.value) })
      }
      await context.close()
    },
    600_000,
  )
  return floorSerialRate
}
