/** Scenario 14: the cost of end-to-end encryption (burst, backlog, first sync), beside the same in clear. */
import { encryptEventData, spaceKeys } from '@cairn/core'
import { rows, SIZES, scenario } from '../lib/harness'
import { type Bench, type BenchContext, call, load, newPage } from '../lib/pages'
import { fmt } from '../lib/report'
import { fillSpace } from '../lib/server-bench'
import { benchKey } from '../pages/keys'

export async function encryptionCost(ctx: BenchContext): Promise<void> {
  await scenario(
    '14',
    '14. encryption cost',
    async () => {
      const name = '14. encryption cost'
      const stamp = Date.now()
      const passphrase = 'bench passphrase'
      // The backlog of scenario 9, in clear and end-to-end encrypted (each event sealed before its push).
      const context = await ctx.browser.newContext()
      const page = await newPage(context)
      const backlog: Record<'clear' | 'sealed', Awaited<ReturnType<Bench['backlog']>>> = {} as never
      for (const kind of ['clear', 'sealed'] as const) {
        backlog[kind] = await call(page, 'backlog', {
          db: `enc-backlog-${kind}`,
          url: ctx.server.url,
          space: `encb-${kind}-${stamp}`,
          n: SIZES.backlog,
          ...(kind === 'sealed' ? { passphrase } : {}),
        })
        if (backlog[kind].lastError) throw new Error(`sync error: ${JSON.stringify(backlog[kind].lastError)}`)
        await load(page)
      }
      // A burst in a synced space: the commands run while sync seals and pushes them in the background.
      const burst: Record<'clear' | 'sealed', Awaited<ReturnType<Bench['burstSynced']>>> = {} as never
      for (const kind of ['clear', 'sealed'] as const) {
        burst[kind] = await call(page, 'burstSynced', {
          db: `enc-burst-${kind}`,
          url: ctx.server.url,
          space: `encs-${kind}-${stamp}`,
          n: SIZES.burst,
          ...(kind === 'sealed' ? { passphrase } : {}),
        })
        if (burst[kind].lastError) throw new Error(`sync error: ${JSON.stringify(burst[kind].lastError)}`)
        await load(page)
      }
      // First sync of scenario 10, both joined at run time: in clear, and encrypted (each event opened).
      const n = SIZES.firstSync
      const first: Record<'clear' | 'sealed', Awaited<ReturnType<Bench['firstSync']>>> = {} as never
      for (const kind of ['clear', 'sealed'] as const) {
        const space = `encf-${kind}-${stamp}`
        const seal = kind === 'sealed' ? await sealerOf(passphrase, space) : undefined
        const fill = await fillSpace(ctx.server.url, space, n, 500, 'n', seal)
        first[kind] = await call(page, 'firstSync', {
          db: `enc-first-${kind}`,
          url: ctx.server.url,
          space,
          n,
          lastId: fill.lastId,
          join: kind === 'sealed' ? { passphrase } : {},
        })
        if (first[kind].count !== n) throw new Error(`first sync (${kind}) incomplete: ${JSON.stringify(first[kind])}`)
        await load(page)
      }
      await context.close()
      const rate = (r: { n: number; ms: number }) => (r.n / r.ms) * 1000
      const burstRate = (r: { n: number; ms: number }) => (r.n / r.ms) * 1000
      rows.push({
        scenario: name,
        subject: `Cairn: burst of ${SIZES.burst.toLocaleString('en')} commands in a synced, end-to-end encrypted space`,
        metric: 'commands/s',
        unit: '/s',
        value: burstRate(burst.sealed),
        samples: burst.sealed.n,
        ratios: [{ to: 'same in clear', value: burstRate(burst.sealed) / burstRate(burst.clear) }],
        status: 'ok',
        note: `burst ${fmt(burst.sealed.ms)} ms; all confirmed after ${fmt(burst.sealed.syncedMs)} ms (${fmt(burst.sealed.syncedMs / burst.clear.syncedMs)}× clear); sync seals and pushes while the burst runs`,
      })
      rows.push({
        scenario: name,
        subject: `the same burst in a synced space in clear`,
        baseline: true,
        metric: 'commands/s',
        unit: '/s',
        value: burstRate(burst.clear),
        samples: burst.clear.n,
        status: 'ok',
        note: `burst ${fmt(burst.clear.ms)} ms; all confirmed after ${fmt(burst.clear.syncedMs)} ms`,
      })
      rows.push({
        scenario: name,
        subject: `Cairn: offline backlog of ${SIZES.backlog.toLocaleString('en')} commands → pending 0, end-to-end encrypted space`,
        metric: 'events/s',
        unit: '/s',
        value: rate(backlog.sealed),
        samples: backlog.sealed.n,
        ratios: [{ to: 'same in clear', value: rate(backlog.sealed) / rate(backlog.clear) }],
        status: 'ok',
        note: `${fmt(backlog.sealed.ms)} ms; every event sealed (AES-GCM) and its envelope saved before its push`,
      })
      rows.push({
        scenario: name,
        subject: `the same backlog in a space in clear`,
        baseline: true,
        metric: 'events/s',
        unit: '/s',
        value: rate(backlog.clear),
        samples: backlog.clear.n,
        status: 'ok',
        note: `${fmt(backlog.clear.ms)} ms`,
      })
      rows.push({
        scenario: name,
        subject: `Cairn: first sync of ${n.toLocaleString('en')} events (joinSpace → read model queried), end-to-end encrypted space`,
        metric: 'events/s',
        unit: '/s',
        value: rate(first.sealed),
        samples: n,
        ratios: [{ to: 'same in clear', value: rate(first.sealed) / rate(first.clear) }],
        status: 'ok',
        note: `${fmt(first.sealed.ms)} ms; every event opened (AES-GCM) before it is applied`,
      })
      rows.push({
        scenario: name,
        subject: `the same first sync of a space in clear`,
        baseline: true,
        metric: 'events/s',
        unit: '/s',
        value: rate(first.clear),
        samples: n,
        status: 'ok',
        note: `${fmt(first.clear.ms)} ms`,
      })
    },
    900_000,
  )
}

/** Seals fill events for an encrypted space of scenario 14, with the key the page derives too. */
async function sealerOf(passphrase: string, space: string) {
  const keys = spaceKeys([await benchKey(passphrase, space)])
  return async <E extends { id: string; stream: string; version: number; type: string; data: unknown }>(e: E) => {
    const sealed = await encryptEventData({ space, ...e }, keys)
    return { ...e, type: sealed.type, data: sealed.data }
  }
}
