/// <reference lib="webworker" />
/**
 * The Cairn worker of the bench pages. Its name carries its options: `{ db, variant?, sync? }`.
 * `sync.space` is optional: without it the database starts with no space joined (`joinSpace` at run time).
 * `sync.heldPushes`: a transport whose pulls go to the server and whose pushes fail as a network error would
 * (nothing leaves the device), no background loop (the page drives `syncNow()`), and a message to the page
 * (`benchPulledAt`) each time a pull brought events: scenario 11 times applying a pull with local work pending.
 * `sync.traceRequests`: every `fetch` of the worker is reported to the page (`benchRequest`: route, when it was
 * sent, when its headers and its JSON body arrived, spaces asked and events brought by a multi-space pull):
 * scenario 13 counts the pull requests of a join and the time spent waiting for them.
 */
import { httpTransport, SyncNetworkError, type SyncTransport } from '@cairn/core'
import { serve } from '@cairn/core/worker'
import { notes, notesV2 } from './domain'
import type { BenchRequest } from './shared'

const { db, variant, sync } = JSON.parse(self.name) as {
  db: string
  variant?: 'v2'
  sync?: { url: string; space?: string; heldPushes?: boolean; traceRequests?: boolean }
}
const abs = () => performance.timeOrigin + performance.now()

function heldPushes(url: string, space: string): SyncTransport {
  const http = httpTransport({ url, space })
  return {
    push: async () => {
      throw new SyncNetworkError('bench: pushes are held')
    },
    pull: async (after, limit) => {
      const page = await http.pull(after, limit)
      if (page.events.length > 0) self.postMessage({ benchPulledAt: abs(), events: page.events.length })
      return page
    },
  }
}

/** Wraps the worker's `fetch` (the sync transports call the global one at each request) to report each request. */
function traceRequests(): void {
  const original = self.fetch.bind(self)
  self.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
    const request: BenchRequest = { route: new URL(url).pathname, start: abs() }
    if (typeof init?.body === 'string' && request.route === '/v1/pull')
      request.spaces = (JSON.parse(init.body) as { spaces: unknown[] }).spaces.length
    const response = await original(input, init)
    request.headersAt = abs()
    request.status = response.status
    const json = response.json.bind(response)
    // The transport reads the body with `json()`: report when it is parsed, and what a pull brought.
    response.json = async () => {
      const value = (await json()) as { results?: { events?: unknown[] }[] }
      request.bodyAt = abs()
      if (Array.isArray(value?.results))
        request.events = value.results.reduce((sum, r) => sum + (r.events?.length ?? 0), 0)
      self.postMessage({ benchRequest: request })
      return value
    }
    if (request.route === '/v1/live') self.postMessage({ benchRequest: request })
    return response
  }
}

if (sync?.traceRequests) traceRequests()

// When the module graph is loaded and evaluated (absolute ms), so boot can be timed without module loading.
self.postMessage({ benchEvaluatedAt: abs() })
serve(
  variant === 'v2' ? notesV2 : notes,
  sync?.heldPushes
    ? {
        name: db,
        sync: {
          transport: heldPushes(sync.url, sync.space ?? 'default'),
          space: sync.space ?? 'default',
          autoStart: false,
        },
      }
    : sync
      ? { name: db, sync: sync.space === undefined ? { url: sync.url } : { url: sync.url, space: sync.space } }
      : { name: db },
)
