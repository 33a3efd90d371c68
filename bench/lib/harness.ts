/**
 * What every scenario of bench/run.ts shares: the command line (`--quick`, `--only`), the sizes, the rows
 * collected, and the two wrappers that turn a failure into a failed row (never an omitted one).
 */
import { parseArgs } from 'node:util'
import type { Row } from './report'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    'no-install': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
})
export const QUICK = values.quick === true
export const ONLY = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : undefined
export const NO_INSTALL = values['no-install'] === true
export const VERBOSE = values.verbose === true
/** Whether scenario `n` runs (all do without `--only`). */
export const wanted = (n: string) => !ONLY || ONLY.has(n)

export const SIZES = QUICK
  ? {
      renderWarmup: 10,
      renderSamples: 50,
      burst: 500,
      serial: 200,
      large: 2000,
      afterBoot: 200,
      propagationWarmup: 3,
      propagation: 20,
      ingest: 5000,
      backlog: 500,
      firstSync: 3000,
      rebasePending: 1000,
      rebaseForeign: 10,
      rebaseRounds: 1,
      loadClients: 20,
      loadSeconds: 2,
      loadStepSeconds: 1,
      loadMaxSteps: 2,
      joinHeldSpaces: 10,
      joinHeldEvents: 300,
      joinEvents: 1000,
      joinReps: 3,
    }
  : {
      renderWarmup: 50,
      renderSamples: 1000,
      burst: 10_000,
      serial: 2000,
      large: 100_000,
      afterBoot: 2000,
      propagationWarmup: 10,
      propagation: 200,
      ingest: 50_000,
      backlog: 10_000,
      firstSync: 100_000,
      rebasePending: 10_000,
      rebaseForeign: 10,
      rebaseRounds: 3,
      loadClients: 200,
      loadSeconds: 20,
      loadStepSeconds: 10,
      loadMaxSteps: 7,
      joinHeldSpaces: 10,
      joinHeldEvents: 10_000,
      joinEvents: 10_000,
      joinReps: 5,
    }

/** Every row measured so far, in order; written to bench/results at the end. */
export const rows: Row[] = []

export const errText = (e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e)
  return msg
    .split('\n')[0]!
    .replace(/^page\.evaluate: /, '')
    .slice(0, 300)
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} timed out after ${ms / 1000} s`)), ms)),
  ])
}

/** Runs one scenario; an exception becomes a failed row (never an omitted one). */
export async function scenario(id: string, name: string, body: () => Promise<void>, timeoutMs: number) {
  if (!wanted(id)) return
  const t = Date.now()
  console.log(`▶ ${name}`)
  const before = rows.length
  try {
    await withTimeout(body(), timeoutMs, name)
  } catch (e) {
    rows.push({
      scenario: name,
      subject: rows.length > before ? '(rest of the scenario)' : 'scenario',
      metric: '',
      unit: '',
      status: 'failed',
      error: errText(e),
    })
    console.log(`  ✘ ${errText(e)}`)
  }
  console.log(`  (${((Date.now() - t) / 1000).toFixed(1)} s)`)
}

/** Runs one sub-measurement; failure → a failed row for that subject. */
export async function part(base: Omit<Row, 'status'>, run: () => Promise<Partial<Row> | undefined>): Promise<Row> {
  let row: Row
  try {
    row = { ...base, status: 'ok', ...(await run()) }
  } catch (e) {
    row = { ...base, status: 'failed', error: errText(e) }
  }
  rows.push(row)
  if (row.status !== 'ok') console.log(`  ${row.status}: ${row.subject}: ${row.error ?? row.note}`)
  return row
}

/** `[11, 1, 1, 1]` → `11, 1 × 3`: a list as runs of equal values. */
export const runLength = (list: number[]) => {
  const out: string[] = []
  for (let i = 0; i < list.length; ) {
    let j = i
    while (j < list.length && list[j] === list[i]) j++
    out.push(j - i > 1 ? `${list[i]} × ${j - i}` : String(list[i]))
    i = j
  }
  return out.join(', ') || 'none'
}

export const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b !== 0 && Number.isFinite(a / b) ? a / b : Number.NaN
