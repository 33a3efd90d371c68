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

/**
 * Creates an in-process runtime for tests: a fresh database, a clock you control (starts at `start`, default
 * 2026-01-01), ids `id-1`, `id-2`, ... unless you pass `newId`. Wait for async projections with
 * `whenProcessed(result.events.at(-1).position)` instead of sleeping.
 */
export function createTestRuntime<D extends AnyDomain>(
  domain: D,
  options: RuntimeOptions & { start?: number } = {},
): TestRuntime<D> {
  let time = options.start ?? Date.UTC(2026, 0, 1)
  let ids = 0
  runtimes += 1
  const clock: TestClock = {
    now: () => time,
    advance: (ms) => {
      time += ms
    },
    set: (ms) => {
      time = ms
    },
  }
  const client = createLocalClient(domain, {
    name: `cairn-test-${runtimes}-${Math.random().toString(36).slice(2)}`,
    now: clock.now,
    newId: () => `id-${++ids}`,
    ...options,
  })
  return Object.assign(client, { clock })
}
