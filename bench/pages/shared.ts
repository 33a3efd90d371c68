/** Helpers shared by the bench page modules. */
import { type CairnClient, createClient, type RuntimeStatus } from '@cairn/core'
import * as Comlink from 'comlink'
import type { Notes } from './domain'
import type { RawApi } from './raw.worker'

/** Absolute time in ms (comparable across pages and workers of one browser), µs-precise when isolated. */
export const abs = () => performance.timeOrigin + performance.now()

export interface StartedCairn {
  client: CairnClient<Notes>
  worker: Worker
  /** When the worker had loaded and evaluated its modules (absolute ms). */
  evaluatedAt: Promise<number>
  /** When `new Worker` was called (absolute ms). */
  startedAt: number
  /** With `sync.heldPushes`: when each pull that brought events returned in the worker (absolute ms). */
  pulls: { at: number; events: number }[]
  /** With `sync.traceRequests`: the worker's requests, in the order their answers came back. */
  requests: BenchRequest[]
  status: () => RuntimeStatus | undefined
  waitStatus: (pred: (s: RuntimeStatus) => boolean, timeoutMs?: number) => Promise<RuntimeStatus>
  close: () => Promise<void>
}

/** A request of the worker, as `sync.traceRequests` reports it (absolute ms). */
export interface BenchRequest {
  /** URL path, e.g. `/v1/pull`. */
  route: string
  start: number
  headersAt?: number
  /** When the JSON body was parsed (not for the live stream). */
  bodyAt?: number
  status?: number
  /** A multi-space pull: spaces asked, events brought (every space). */
  spaces?: number
  events?: number
}

export function startCairn(options: {
  db: string
  variant?: 'v2'
  sync?: { url: string; space?: string; heldPushes?: boolean; traceRequests?: boolean }
}): StartedCairn {
  const startedAt = abs()
  const worker = new Worker(new URL('./cairn.worker.ts', import.meta.url), {
    type: 'module',
    name: JSON.stringify(options),
  })
  const evaluatedAt = new Promise<number>((resolve) => {
    const on = (e: MessageEvent) => {
      if (e.data && typeof e.data.benchEvaluatedAt === 'number') {
        worker.removeEventListener('message', on)
        resolve(e.data.benchEvaluatedAt)
      }
    }
    worker.addEventListener('message', on)
  })
  const pulls: { at: number; events: number }[] = []
  const requests: BenchRequest[] = []
  worker.addEventListener('message', (e: MessageEvent) => {
    if (e.data && typeof e.data.benchPulledAt === 'number')
      pulls.push({ at: e.data.benchPulledAt, events: e.data.events })
    if (e.data?.benchRequest) requests.push(e.data.benchRequest)
  })
  const client = createClient<Notes>(worker)
  let current: RuntimeStatus | undefined
  const waiters = new Set<{ pred: (s: RuntimeStatus) => boolean; resolve: (s: RuntimeStatus) => void }>()
  const stop = client.subscribeStatus((s) => {
    current = s
    for (const w of waiters)
      if (w.pred(s)) {
        waiters.delete(w)
        w.resolve(s)
      }
  })
  return {
    client,
    worker,
    evaluatedAt,
    startedAt,
    pulls,
    requests,
    status: () => current,
    waitStatus: (pred, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        if (current && pred(current)) return resolve(current)
        const w = { pred, resolve }
        waiters.add(w)
        setTimeout(() => {
          if (waiters.delete(w)) reject(new Error(`status wait timed out; last status ${JSON.stringify(current)}`))
        }, timeoutMs)
      }),
    async close() {
      stop()
      await client.close()
      worker.terminate()
    },
  }
}

export function startRaw(): { api: Comlink.Remote<RawApi>; worker: Worker } {
  const worker = new Worker(new URL('./raw.worker.ts', import.meta.url), { type: 'module' })
  return { api: Comlink.wrap<RawApi>(worker), worker }
}

/** Page and worker JS heap (and DOM) as the browser attributes it. Needs cross-origin isolation. */
export async function memory(): Promise<{ total: number; page: number; workers: number; other: number }> {
  const perf = performance as Performance & {
    measureUserAgentSpecificMemory?: () => Promise<{
      bytes: number
      breakdown: { bytes: number; types: string[]; attribution: { scope: string; url: string }[] }[]
    }>
  }
  if (!crossOriginIsolated) throw new Error('page is not cross-origin isolated (COOP/COEP headers missing)')
  if (!perf.measureUserAgentSpecificMemory) throw new Error('performance.measureUserAgentSpecificMemory is missing')
  const m = await perf.measureUserAgentSpecificMemory()
  let page = 0
  let workers = 0
  let other = 0
  for (const b of m.breakdown) {
    const scopes = b.attribution.map((a) => a.scope)
    if (scopes.includes('DedicatedWorkerGlobalScope')) workers += b.bytes
    else if (scopes.includes('Window')) page += b.bytes
    else other += b.bytes
  }
  return { total: m.bytes, page, workers, other }
}

/** Runs `n` tasks with at most `chunk` in flight at once (all submitted together within a chunk). */
export async function inChunks(n: number, chunk: number, task: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < n; start += chunk) {
    const jobs: Promise<unknown>[] = []
    for (let i = start; i < Math.min(n, start + chunk); i++) jobs.push(task(i))
    await Promise.all(jobs)
  }
}

/**
 * A render probe: `mutate(title)` starts a change, and `committed(title)` (called from a layout effect of the
 * component that shows the data) reports when it is on screen. Returns the samples in ms after warm-up.
 */
export function renderProbe() {
  let waiting: { title: string; resolve: (at: number) => void } | undefined
  return {
    committed(title: string | undefined) {
      if (waiting && title === waiting.title) {
        const w = waiting
        waiting = undefined
        w.resolve(performance.now())
      }
    },
    async measure(
      mutate: (title: string) => void,
      { warmup, samples, prefix }: { warmup: number; samples: number; prefix: string },
    ) {
      const out: number[] = []
      for (let i = 0; i < warmup + samples; i++) {
        const title = `${prefix} ${i}`
        const shown = new Promise<number>((resolve, reject) => {
          waiting = { title, resolve }
          setTimeout(() => reject(new Error(`no render of '${title}' within 10 s`)), 10_000)
        })
        const start = performance.now()
        mutate(title)
        const end = await shown
        if (i >= warmup) out.push(end - start)
        // Let the browser settle (effects, GC slices) between samples, as between user interactions.
        await new Promise((r) => setTimeout(r, 0))
      }
      return out
    },
  }
}
