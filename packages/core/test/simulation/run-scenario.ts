/** One run of a scenario from start to end: the property the simulation checks. */

import { checkInvariants } from './invariants'
import { createRun, healNetwork, startRun } from './run'
import type { Scenario } from './scenario'
import { runStep } from './steps'

/** Runs a scenario's steps, heals the network and checks the invariants; closes every database whatever happens. */
export async function runScenario(scenario: Scenario): Promise<void> {
  const run = await createRun(scenario)
  const { dbs, oracle } = run
  try {
    await startRun(run)
    for (const step of scenario.steps) await runStep(run, step)
    const syncErrors = await healNetwork(run)
    await checkInvariants(run, syncErrors)
  } finally {
    for (const db of dbs) await db.close().catch(() => {})
    await oracle.close()
  }
}
