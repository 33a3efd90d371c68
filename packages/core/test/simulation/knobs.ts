/**
 * The simulation's knobs from the environment: the seed and number of runs (`CAIRN_SIM_SEED`, `CAIRN_SIM_RUNS`),
 * and the dimensions turned off (`CAIRN_SIM_OFF=reopen,twin,...`) to isolate a failure.
 */

export const SEED = Number(process.env.CAIRN_SIM_SEED ?? 20261130)
export const RUNS = Number(process.env.CAIRN_SIM_RUNS ?? 200)

/** Dimensions beyond plain sync with faults; each can be turned off with `CAIRN_SIM_OFF`. */
export const DIMENSIONS = [
  'async',
  'reactor',
  'reopen',
  'refuse',
  'poison',
  'unique',
  'twin',
  'spaces',
  'streams',
  'encrypted',
  'forget',
] as const
export type Dimension = (typeof DIMENSIONS)[number]
const OFF = new Set((process.env.CAIRN_SIM_OFF ?? '').split(',').filter(Boolean))
for (const d of OFF) if (!(DIMENSIONS as readonly string[]).includes(d)) throw new Error(`unknown dimension '${d}'`)
export const on = (d: Dimension) => !OFF.has(d)
