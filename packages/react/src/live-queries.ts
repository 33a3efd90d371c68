import type { CairnError } from '@cairn/core'
import { hashKey, type QueryCacheNotifyEvent, type QueryClient } from '@tanstack/react-query'
import type { UntypedClient } from './context'

/** The TanStack query key of a Cairn query: `['cairn', path, arg]`. */
export type CairnQueryKey = readonly ['cairn', string, unknown]

/** Builds the query key of a Cairn query; use it with `queryClient.getQueryData` and friends. */
export function cairnQueryKey<P extends string, A>(path: P, arg: A): readonly ['cairn', P, A] {
  return ['cairn', path, arg] as const
}

interface Waiter {
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

interface Entry {
  key: CairnQueryKey
  latest: { value: unknown } | undefined
  failure: CairnError | undefined
  waiters: Waiter[]
  stop: () => void
}

/**
 * Keeps cached Cairn queries live: one worker subscription per query hash, started by the query's first
 * fetch and ended when TanStack removes the query from its cache (so `gcTime` is respected).
 * Every fetch is answered from the subscription, so a fetch can never overwrite a newer pushed result.
 */
export class LiveQueries {
  private readonly entries = new Map<string, Entry>()
  private unwatchCache: (() => void) | undefined

  constructor(
    private readonly client: Pick<UntypedClient, 'subscribe'>,
    private readonly queryClient: QueryClient,
  ) {}

  /** The `queryFn` of every Cairn query: the subscription's latest result, or its first one. */
  readonly fetch = ({ queryKey }: { queryKey: CairnQueryKey }): Promise<unknown> => {
    const hash = hashKey(queryKey)
    const entry = this.entries.get(hash) ?? this.start(hash, queryKey)
    if (entry.failure) return Promise.reject(entry.failure)
    if (entry.latest) return Promise.resolve(entry.latest.value)
    return new Promise((resolve, reject) => entry.waiters.push({ resolve, reject }))
  }

  /** Number of worker subscriptions held. */
  get size(): number {
    return this.entries.size
  }

  private start(hash: string, key: CairnQueryKey): Entry {
    const entry: Entry = { key, latest: undefined, failure: undefined, waiters: [], stop: () => {} }
    this.entries.set(hash, entry)
    this.unwatchCache ??= this.queryClient.getQueryCache().subscribe(this.onCacheEvent)
    const [, path, arg] = key
    let stop: () => void
    try {
      stop = this.client.subscribe(
        path,
        arg,
        (value) => this.receive(hash, entry, value),
        (error) => this.fail(hash, entry, error),
      )
    } catch (error) {
      // An in-process client throws at once (unknown path, say): fail this fetch, let a retry start afresh.
      this.stop(hash)
      throw error
    }
    // A client may report synchronously; if it already failed, the entry is gone and so is the need.
    if (this.entries.get(hash) === entry) entry.stop = stop
    else stop()
    return entry
  }

  private receive(hash: string, entry: Entry, value: unknown): void {
    if (this.entries.get(hash) !== entry) return
    entry.latest = { value }
    const waiters = entry.waiters.splice(0)
    if (waiters.length > 0) for (const w of waiters) w.resolve(value)
    else this.queryClient.setQueryData(entry.key, value)
  }

  private fail(hash: string, entry: Entry, error: CairnError): void {
    if (this.entries.get(hash) !== entry) return
    this.stop(hash)
    entry.failure = error
    const waiters = entry.waiters.splice(0)
    for (const w of waiters) w.reject(error)
    // The live query broke after delivering data: fetch again through a fresh subscription.
    if (waiters.length === 0 && entry.latest)
      void this.queryClient.invalidateQueries({ queryKey: entry.key, exact: true })
  }

  private stop(hash: string): void {
    const entry = this.entries.get(hash)
    if (!entry) return
    this.entries.delete(hash)
    entry.stop()
    if (this.entries.size === 0) {
      this.unwatchCache?.()
      this.unwatchCache = undefined
    }
  }

  private readonly onCacheEvent = (event: QueryCacheNotifyEvent): void => {
    if (event.type === 'removed' && event.query.queryKey[0] === 'cairn') this.stop(hashKey(event.query.queryKey))
  }
}
