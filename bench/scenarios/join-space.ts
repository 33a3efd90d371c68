/** Scenario 13: joining a space while the database holds others, beside the same join into an empty database. */
import { ratio, rows, runLength, SIZES, scenario } from '../lib/harness'
import { type Bench, type BenchContext, call, newPage } from '../lib/pages'
import { fmt } from '../lib/report'
import { fillSpace } from '../lib/server-bench'
import { median } from '../lib/stats'

export async function joinSpace(ctx: BenchContext): Promise<void> {
  await scenario(
    '13',
    '13. join a space while holding others',
    async () => {
      const name = '13. join a space while holding others'
      const { joinHeldSpaces: k, joinHeldEvents: per, joinEvents: n, joinReps: reps } = SIZES
      const url = ctx.server.url
      const stamp = Date.now()
      const heldSpaces = Array.from({ length: k }, (_, i) => `hold${i}-${stamp}`)
      // One target space per repetition (distinct note ids): each is joined, timed, then left again.
      const targets = Array.from({ length: reps }, (_, r) => `join${r}-${stamp}`)
      const fillStart = performance.now()
      for (const [i, space] of heldSpaces.entries()) await fillSpace(url, space, per, 500, `h${i}-`)
      for (const [r, space] of targets.entries()) await fillSpace(url, space, n, 500, `t${r}-`)
      const filled = k * per + reps * n
      console.log(
        `  filled ${k} spaces × ${per.toLocaleString('en')} + ${reps} × ${n.toLocaleString('en')} events (${fmt((filled / (performance.now() - fillStart)) * 1000)} events/s)`,
      )
      const context = await ctx.browser.newContext()
      type Run = Awaited<ReturnType<Bench['joinTimed']>>
      const heldRuns: Run[] = []
      const emptyRuns: Run[] = []
      let hold: Awaited<ReturnType<Bench['holdSpaces']>>
      try {
        const page = await newPage(context)
        hold = await call(page, 'holdSpaces', { db: 'join-held', url, spaces: heldSpaces, per })
        if (hold.count !== k * per)
          throw new Error(`the held database has ${hold.count} rows, expected ${k * per}: ${JSON.stringify(hold)}`)
        console.log(
          `  the database joined ${k} spaces and synced ${hold.count.toLocaleString('en')} events in ${fmt(hold.ms)} ms (${hold.pulls} pull requests; not timed)`,
        )
        for (const [r, space] of targets.entries()) {
          // Side by side, the order alternating: the same space joined into an empty database and into the full one.
          const empty = () => call(page, 'joinTimed', { url, space, n, db: `join-empty-${r}` })
          const held = () => call(page, 'joinTimed', { url, space, n })
          if (r % 2 === 0) {
            emptyRuns.push(await empty())
            heldRuns.push(await held())
          } else {
            heldRuns.push(await held())
            emptyRuns.push(await empty())
          }
          const [h, e] = [heldRuns[r]!, emptyRuns[r]!]
          console.log(
            `  ${r + 1}/${reps}: holding ${fmt(h.ms)} ms (${h.pulls} pulls, leave ${fmt(h.leaveMs)} ms), empty ${fmt(e.ms)} ms (${e.pulls} pulls)`,
          )
        }
        await call(page, 'closeHeld')
      } finally {
        await context.close()
      }
      const bad = [
        ...heldRuns.map((x, r) =>
          x.rows !== n || x.heldRows !== k * per || x.rowsAfterLeave !== k * per
            ? `holding, run ${r + 1}: ${x.rows} rows of ${n}, ${x.heldRows} held before, ${x.rowsAfterLeave} after leaving, lastError ${JSON.stringify(x.lastError)}`
            : undefined,
        ),
        ...emptyRuns.map((x, r) =>
          x.rows !== n || x.heldRows !== 0
            ? `empty, run ${r + 1}: ${x.rows} rows of ${n}, ${x.heldRows} held before, lastError ${JSON.stringify(x.lastError)}`
            : undefined,
        ),
      ].filter((x) => x !== undefined)
      const med = (runs: Run[], f: (x: Run) => number) => median(runs.map(f))
      const detail = (runs: Run[]) =>
        `joinSpace() resolved at ${fmt(med(runs, (x) => x.joinMs))} ms, first pull sent at ${fmt(med(runs, (x) => x.firstPullAfterMs))} ms, last pull answered at ${fmt(med(runs, (x) => x.lastPullAnsweredMs))} ms, events applied (round done) at ${fmt(med(runs, (x) => x.appliedMs))} ms, query of the space's rows ${fmt(med(runs, (x) => x.queryMs))} ms; ${pullList(runs)}; ${fmt(med(runs, (x) => x.pullWaitMs))} ms of the pulls spent from request sent to answer parsed`
      const pullList = (runs: Run[]) => {
        const counts = runs.map((x) => x.pulls)
        const same = counts.every((c) => c === counts[0])
        const last = runs[runs.length - 1]!
        return `${same ? counts[0] : counts.join('/')} pull requests per join (spaces asked per request: ${runLength(last.pullSpaces)}; events per answer: ${runLength(last.pullEvents)})`
      }
      const heldMs = heldRuns.map((x) => x.ms)
      const emptyMs = emptyRuns.map((x) => x.ms)
      rows.push({
        scenario: name,
        subject: `Cairn: joinSpace of a space of ${n.toLocaleString('en')} events while the database holds ${(k * per).toLocaleString('en')} events of ${k} other spaces → its events applied, its rows queried`,
        metric: 'joinSpace() → ready',
        unit: 'ms',
        value: median(heldMs),
        p99: Math.max(...heldMs),
        samples: heldMs.length,
        ratios: [{ to: 'empty database', value: ratio(median(heldMs), median(emptyMs)) }],
        status: bad.length === 0 ? 'ok' : 'failed',
        ...(bad.length === 0
          ? {
              note: `${fmt((n / median(heldMs)) * 1000)} events/s; ${detail(heldRuns)}; leaving the space again (not timed) ${fmt(med(heldRuns, (x) => x.leaveMs))} ms; the ${k} spaces were joined and synced before (not timed: ${fmt(hold!.ms)} ms, ${hold!.pulls} pull requests); p99 column = max`,
            }
          : { error: bad.slice(0, 2).join('; ') }),
      })
      rows.push({
        scenario: name,
        subject: `the same join into an empty database (a new worker, ready before the clock starts)`,
        baseline: true,
        metric: 'joinSpace() → ready',
        unit: 'ms',
        value: median(emptyMs),
        p99: Math.max(...emptyMs),
        samples: emptyMs.length,
        status: 'ok',
        note: `${fmt((n / median(emptyMs)) * 1000)} events/s; ${detail(emptyRuns)}; p99 column = max`,
      })
    },
    600_000,
  )
}
