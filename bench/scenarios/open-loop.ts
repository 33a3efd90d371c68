/** Scenario 12: the server under an open-loop load of many clients with live streams open. */
import { QUICK, ratio, rows, SIZES, scenario } from '../lib/harness'
import { fmt, type Row } from '../lib/report'
import { openLoopLoad } from '../lib/server-bench'
import { startServerProcess } from '../lib/server-process'
import { median, p99 } from '../lib/stats'

export async function openLoop(): Promise<void> {
  await scenario(
    '12',
    '12. server open-loop load',
    async () => {
      // A server of its own, limits raised: every simulated client comes from 127.0.0.1, which the default
      // limits (32 live streams per address, 1,000 connections, a rate limit per address) would refuse.
      const SERVER_FLAGS = ['--max-live-streams', '100000', '--max-connections', '10000']
      const loadServer = await startServerProcess(SERVER_FLAGS)
      const flags = `cairn-server --no-rate-limit ${SERVER_FLAGS.join(' ')} (SQLite)`
      try {
        const clients = SIZES.loadClients
        const opts = {
          ...(loadServer.child.pid === undefined ? {} : { serverPid: loadServer.child.pid }),
          warmup: QUICK ? 0.25 : 1,
        }
        const one = await openLoopLoad(loadServer.url, 1, 10, QUICK ? 1 : 3, opts)
        const steps: Awaited<ReturnType<typeof openLoopLoad>>[] = []
        const holds = (r: (typeof steps)[number]) =>
          r.failedRequests === 0 && r.missed === 0 && r.violations.length === 0 && p99(r.pushLatencies) <= 100
        let rate = 1
        let okRate: number | undefined
        let badRate: number | undefined
        for (let s = 0; s < SIZES.loadMaxSteps; s++) {
          const r = await openLoopLoad(
            loadServer.url,
            clients,
            rate,
            s === 0 ? SIZES.loadSeconds : SIZES.loadStepSeconds,
            opts,
          )
          steps.push(r)
          console.log(
            `  ${clients} × ${fmt(rate)}/s: p50 ${fmt(median(r.pushLatencies))} ms, p99 ${fmt(p99(r.pushLatencies))} ms, ${r.missed} missed, ${r.failedRequests} failed`,
          )
          if (holds(r)) okRate = Math.max(okRate ?? 0, rate)
          else badRate = Math.min(badRate ?? Number.POSITIVE_INFINITY, rate)
          // Doubled while it holds, halved while it does not, then bisected.
          if (badRate === undefined) rate *= 2
          else if (okRate === undefined) rate /= 2
          else if (badRate / okRate <= 1.25) break
          else rate = (okRate + badRate) / 2
        }
        const row = (r: (typeof steps)[number], first: boolean): Row => ({
          scenario: '12. server open-loop load',
          subject: `${r.clients} clients × ${fmt(r.rate)} push/s (${fmt(r.clients * r.rate)}/s total, 1 event each), live streams open, ${r.seconds} s (first ${opts.warmup} s not timed)`,
          metric: 'push latency from its scheduled time',
          unit: 'ms',
          value: median(r.pushLatencies),
          p99: p99(r.pushLatencies),
          samples: r.pushLatencies.length,
          ratios: [{ to: '1 client (p99)', value: ratio(p99(r.pushLatencies), p99(one.pushLatencies)) }],
          ...(first ? { target: 'p99 ≤ 100 ms' } : {}),
          status: 'ok',
          note: `${fmt(r.events / r.seconds)} events/s accepted, ${r.liveMessages.toLocaleString('en')} live messages received; CPU server ${fmt(r.cpu.server)}%, load generator ${fmt(r.cpu.generator)}% of a core${r.missed ? `, ${r.missed} scheduled pushes never sent (server behind)` : ''}${r.failedRequests ? `, ${r.failedRequests} failed: ${r.firstErrors[0]}` : ''}${first ? `; ${flags}; the load generator (Node: fetch for pushes, node:http for the streams) shares the 2 cores with the server` : ''}`,
        })
        for (const [i, r] of steps.entries()) rows.push(row(r, i === 0))
        rows.push({
          scenario: '12. server open-loop load',
          subject: `highest total push rate with p99 ≤ 100 ms (no misses, no failures), ${clients} clients, rate doubled or halved then bisected`,
          metric: 'pushes/s',
          unit: '/s',
          ...(okRate !== undefined
            ? { value: okRate * clients, status: 'ok' as const }
            : { status: 'failed' as const, error: `no step held p99 ≤ 100 ms (from ${clients} × 1 push/s)` }),
          note:
            badRate !== undefined
              ? `${fmt(badRate * clients)}/s did not hold`
              : `every step up to ${fmt((rate * clients) / 2)}/s held (step budget reached)`,
        })
        rows.push({
          scenario: '12. server open-loop load',
          subject: '1 client × 10 push/s, live stream open (uncontended)',
          baseline: true,
          metric: 'push latency from its scheduled time',
          unit: 'ms',
          value: median(one.pushLatencies),
          p99: p99(one.pushLatencies),
          samples: one.pushLatencies.length,
          status: 'ok',
        })
        // The same first step with no live stream open: what the fan-out to the streams costs.
        const noLive = await openLoopLoad(loadServer.url, clients, 1, SIZES.loadStepSeconds, { ...opts, live: false })
        rows.push({
          scenario: '12. server open-loop load',
          subject: `${clients} clients × 1 push/s, no live stream open, ${noLive.seconds} s`,
          baseline: true,
          metric: 'push latency from its scheduled time',
          unit: 'ms',
          value: median(noLive.pushLatencies),
          p99: p99(noLive.pushLatencies),
          samples: noLive.pushLatencies.length,
          status: 'ok',
          note: `CPU server ${fmt(noLive.cpu.server)}%, load generator ${fmt(noLive.cpu.generator)}% of a core${noLive.missed ? `; ${noLive.missed} scheduled pushes never sent` : ''}`,
        })
        const bad = [one, noLive, ...steps].filter((r) => r.violations.length > 0)
        const events = [noLive, ...steps].reduce((sum, r) => sum + r.events, 0)
        const checked = steps.reduce((sum, r) => sum + r.liveEventsChecked, 0)
        rows.push({
          scenario: '12. server open-loop load',
          subject: `log check after each step: seq 1..N, every accepted id exactly once; 4 live streams per step parsed`,
          metric: 'events in the logs',
          unit: '',
          value: events,
          status: bad.length === 0 ? 'ok' : 'failed',
          ...(bad.length === 0
            ? {
                note: `${steps.length} steps, every log gapless; ${checked.toLocaleString('en')} live events checked in order`,
              }
            : {
                error: bad
                  .flatMap((r) => r.violations)
                  .slice(0, 4)
                  .join('; '),
              }),
        })
      } finally {
        await loadServer.stop()
      }
    },
    420_000,
  )
}
