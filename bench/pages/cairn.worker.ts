/// <reference lib="webworker" />
/**
 * The Cairn worker of the bench pages. Its name carries its options: `{ db, variant?, sync? }`.
 * `sync.heldPushes`: a transport whose pulls go to the server and whose pushes fail as a network error would
 * (nothing leaves the device), no background loop (the page drives `syncNow()`), and a message to the page
 * (`benchPulledAt`) each time a pull brought events: scenario 11 times applying a pull with local work pending.
 */
import { httpTransport, SyncNetworkError, type SyncTransport } from '@cairn/core'
import { serve } from '@cairn/core/worker'
import { notes, notesV2 } from './domain'

const { db, variant, sync } = JSON.parse(self.name) as {
  db: string
  variant?: 'v2'
  sync?: { url: string; space: string; heldPushes?: boolean }
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

// When the module graph is loaded and evaluated (absolute ms), so boot can be timed without module loading.
self.postMessage({ benchEvaluatedAt: abs() })
serve(
  variant === 'v2' ? notesV2 : notes,
  sync?.heldPushes
    ? { name: db, sync: { transport: heldPushes(sync.url, sync.space), space: sync.space, autoStart: false } }
    : sync
      ? { name: db, sync: { url: sync.url, space: sync.space } }
      : { name: db },
)
