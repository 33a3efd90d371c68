import type { SpaceAdmission } from './admission.js'
import type { PullCache } from './pull-cache.js'
import type { SyncStorage } from './storage/types.js'
import type { SyncLimits } from './validate.js'

/** What the pull routes read with. */
export interface PullSource {
  storage: SyncStorage
  cache: PullCache
  limits: SyncLimits
  /** Runs a storage call, turning its failure into a 503 (reported once). */
  storageCall: <T>(call: () => Promise<T>) => Promise<T>
}

/**
 * The serialized events `after`..`to` of a space (every seq up to `to` committed), from the pull cache or else
 * from storage (then cached), stopping after the event that reaches `maxBytes` (so at least one event comes).
 */
export async function readPage(
  source: PullSource,
  space: string,
  after: number,
  to: number,
  maxBytes: number,
): Promise<string[]> {
  const cached = source.cache.get(space, after, to, maxBytes)
  if (cached) return cached
  const read = await source.storageCall(() => source.storage.read(space, after, to - after, maxBytes))
  return source.cache.put(space, read)
}

/**
 * The events of `events` up to the one that brings their serialized length to `budget` or more: at least one,
 * so a budget smaller than the first event still makes progress.
 */
function within(events: string[], budget: number): { events: string[]; bytes: number } {
  let bytes = 0
  for (const [i, json] of events.entries()) {
    bytes += json.length
    if (bytes >= budget) return { events: events.slice(0, i + 1), bytes }
  }
  return { events, bytes }
}

/**
 * The JSON body answering `POST /v1/pull` (`MultiPullResponse`): one result per space, in the order asked.
 * Every head is read before any event (each seq up to a head is committed, so each range is complete). Spaces
 * are filled in order within one budget of `maxPageBytes` for the whole answer; once it is spent the later
 * spaces come with no events and their head (their clients ask again). The first space with events past its
 * cursor always gets at least one. A refused space gets `{ space, status, error }` and nothing of its log.
 */
export async function pullSpaces(
  source: PullSource,
  spaces: readonly (SpaceAdmission & { after: number })[],
  limit: number,
): Promise<string> {
  const { storage, storageCall, limits } = source
  const admitted = spaces.filter((s) => s.ok)
  const [backendId, heads] = await storageCall(() =>
    Promise.all([storage.backendId(), Promise.all(admitted.map((s) => storage.head(s.space)))]),
  )
  const quotedBackendId = JSON.stringify(backendId)
  const results: string[] = []
  let budget = limits.maxPageBytes
  let index = 0
  for (const entry of spaces) {
    const space = JSON.stringify(entry.space)
    if (!entry.ok) {
      const { error } = entry
      results.push(`{"space":${space},"status":${error.status},"error":${JSON.stringify(error.toBody())}}`)
      continue
    }
    const head = heads[index++]!
    const to = Math.min(head, entry.after + limit)
    let events: string[] = []
    if (budget > 0 && to > entry.after) {
      const page = within(await readPage(source, entry.space, entry.after, to, budget), budget)
      events = page.events
      budget -= page.bytes
    }
    results.push(`{"space":${space},"events":[${events.join(',')}],"head":${head},"backendId":${quotedBackendId}}`)
  }
  return `{"results":[${results.join(',')}]}`
}
