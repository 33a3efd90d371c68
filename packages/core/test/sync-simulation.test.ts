/**
 * Deterministic simulation of sync and of the failure model (DESIGN §4, §4b): 2–4 databases, each with its own
 * syncing runtime (one of them shared with a second, non-syncing runtime: two tabs on one database), against an
 * in-memory server that refuses some events for good, through a fault-injecting transport (lost requests, lost
 * responses after the server committed, duplicated deliveries, broken pulls, offline windows). Random commands on
 * a shared aggregate with an invariant (a WIP limit), a projection with a unique index, an async projection that
 * throws on some events, a read model of every space (`scope: 'all'`), a reactor, and restarts that bump
 * projection versions while work is pending (`test/fixtures/sim-domain.ts`).
 *
 * Dimension `spaces` (two runs in three): 2–3 spaces, each its own in-memory server, reached through
 * `spacesTransport` (faults are injected per request, whichever space it goes to; an offline window may cut off
 * one space only). Each database starts joined to some of them; it joins and leaves spaces (from either runtime;
 * with `discardPending`, or without it and then, while the space has unsynced work, refused with `UNSYNCED_WORK`
 * having removed nothing) and names the space of each stream it creates (naming another space for an existing
 * stream, or a space it is not in, must fail validation; a command that names none stays in its stream's space).
 * A round without faults must sync every reachable space whatever happens to the others.
 *
 * After the network heals: every database holds exactly each joined space's server log, and nothing of the other
 * spaces (no event, command or read-model row); every read model equals both a fresh database fed the servers'
 * logs by pull and a model computed from the logs of the joined spaces, and again after a rebuild (every
 * projection version bumped); quarantined events are the same everywhere and exactly the ones the logs imply; no
 * event and no reaction appears twice; every command that appended events ends confirmed or rejected (server
 * refusals included; unless its space was left since) and each rejection is reported; commands discarded by a
 * leave reached no server unless it had accepted them before. No normalization: `updatedAt` and list order must
 * match.
 *
 * Dimension `streams` (one run in two): stream ids come from a larger pool (4 boards, 10 items, 5 users per space;
 * an item's commands go to its own board), the `stats` read model counts per type and stream instead of per type
 * (a row every event of a type would share), runs are longer and mostly commands, and databases may hold their
 * pushes back while their pulls still work (at start and by step `hold`: a network that lets reads through, or a
 * server refusing writes for a while). The others sync as they go, and the holding ones pull each of their
 * commands: their pending work meets pulled events that touch other streams and rows, the pulls applied under
 * pending work without rolling it back (`sync/rebase-commuting.ts`) that the contended runs (one board per
 * space) almost never reach.
 *
 * Dimension `encrypted` (one run in three): some spaces (every space of a single-space run) are end-to-end
 * encrypted on every database and the oracle (one key per space, `joinSpace(space, { encryption })`, again at each
 * join), hiding event types or not. The servers see envelopes: they refuse nothing for its data (a refused title
 * is stored there), and nothing they store holds a title, a handle or a personal value the commands wrote. The
 * invariants above hold on the servers' logs opened with the keys.
 *
 * Personal data (dimension `forget`): the `user.profile` command writes `ProfileSet`, whose `email` and `name`
 * are the user's personal data (sealed with the subject's key from the server's key store: no server ever holds
 * them in clear). In one run in three, step `forget` has a database call `forgetSubject(user)` (it fails offline,
 * held or with a lost request or response: then it may or may not be done; the servers' key stores tell). After
 * the network heals, for every forgotten subject no database (every table of its IndexedDB) and no server holds
 * a personal value ever written for it, and every read model shows REDACTED in its fields; the others keep
 * theirs (and every read model still equals the model of the servers' logs, opened with what the key stores
 * hold).
 *
 * fast-check prints the seed and the shrunk counterexample on failure. `CAIRN_SIM_SEED` and `CAIRN_SIM_RUNS`
 * override the fixed defaults; `CAIRN_SIM_OFF=reopen,twin,...` turns dimensions off (see `DIMENSIONS`) to
 * isolate a failure; `CAIRN_SIM_REPLAY='<counterexample JSON>'` runs one printed counterexample alone
 * (`CAIRN_SIM_DEBUG=1` also prints each database's checkpoints, events, journal and spaces; `CAIRN_SIM_STATS=1`
 * one line per run on what it exercised).
 *
 * This file is the property; the simulation's engine is in `test/simulation/`: `knobs.ts` (seed, runs, the
 * dimensions `CAIRN_SIM_OFF` turns off), `scenario.ts` (the random scenarios and their steps), `commands.ts` (a
 * generated command on the domain of `test/fixtures/sim-domain.ts`, spaces and stream prefixes), `network.ts` (the
 * fault-injecting link and transport), `database.ts` (a device: its runtimes, clock, settling), `logs.ts` (what
 * databases and servers hold, servers' logs opened with the keys), `read-models.ts` (read models and their model
 * computed from the logs), `run.ts` (a run's servers, databases and oracle; starting, healing the network),
 * `steps.ts` (what each step does), `invariants.ts` (the checks once the network healed) and `run-scenario.ts`.
 */

import fc from 'fast-check'
import { describe, it } from 'vitest'
import { RUNS, SEED } from './simulation/knobs'
import { runScenario } from './simulation/run-scenario'
import { type Scenario, scenarioArb } from './simulation/scenario'

describe('sync simulation (property-based)', () => {
  const replay = process.env.CAIRN_SIM_REPLAY
  if (replay) {
    // Debugging aid: run only the printed counterexample.
    it('replays the scenario in CAIRN_SIM_REPLAY (a printed counterexample)', async () => {
      const parsed = JSON.parse(replay) as Scenario | [Scenario]
      await runScenario(Array.isArray(parsed) ? parsed[0] : parsed)
    }, 60_000)
    return
  }

  it(`converges to the servers' logs with faults, refusals, quarantine, upgrades, reactors, two runtimes on one database and several spaces; ${RUNS} runs, seed ${SEED}`, async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, runScenario), { seed: SEED, numRuns: RUNS })
  }, 600_000)
})
