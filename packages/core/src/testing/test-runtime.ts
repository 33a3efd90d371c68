import { createLocalClient, type LocalClient } from '../client/local-client'
import type { AnyDomain } from '../domain/domain'
import type { RuntimeOptions } from '../runtime/runtime'

/** A controllable clock. */
export interface TestClock {
  now(): number
  /** Moves time forward by `ms`. */
  advance(ms: number): void
  set(ms: number): void
}

/** A test runtime: a local client with an injectable clock and deterministic ids, on a fresh database. */
export interface TestRuntime<D extends AnyDomain> extends LocalClient<D> {
  readonly clock: TestClock
}

let runtimes = 0

/** Options of {@link createTestRuntime}. */
export interface TestRuntimeOptions extends RuntimeOptions {
  /** Start of the clock (ms since epoch); default 2026-01-01. */
  start?: number
  /**
   * Prefix of the generated ids (`<idPrefix><n>`). Default `id-<k>-`, where k counts the test runtimes created in
   * this process (1, 2, ...): ids stay deterministic and never collide between runtimes (e.g. two clients
   * of one sync server). Give runtimes distinct prefixes of your own if you like (`'a-'`, `'b-'`).
   */
  idPrefix?: string
}

/**
 * Creates an in-process runtime for tests: a fresh database, a clock you control (starts at `start`, default
 * 2026-01-01), ids `id-<k>-1`, `id-<k>-2`, ... (k: the k-th test runtime of the process; see `idPrefix`)
 * unless you pass `newId`. Wait for async projections with `whenProcessed(result.events.at(-1).position)`
 * instead of sleeping.
 */
export function createTestRuntime<D extends AnyDomain>(domain: D, options: TestRuntimeOptions = {}): TestRuntime<D> {
  let time = options.start ?? Date.UTC(2026, 0, 1)
  let ids = 0
  runtimes += 1
  const prefix = options.idPrefix ?? `id-${runtimes}-`
  const clock: TestClock = {
    now: () => time,
    advance: (ms) => {
      time += ms
    },
    set: (ms) => {
      time = ms
    },
  }
  const { start: _start, idPrefix: _idPrefix, ...rest } = options
  const client = createLocalClient(domain, {
    name: `cairn-test-${runtimes}-${Math.random().toString(36).slice(2)}`,
    now: clock.now,
    newId: () => `${prefix}${++ids}`,
    ...rest,
  })
  return Object.assign(client, { clock })
}
