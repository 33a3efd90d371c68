/// <reference lib="webworker" />
/** The Cairn worker of the bench pages. Its name carries its options: `{ db, variant?, sync? }`. */
import { serve } from '@cairn/core/worker'
import { notes, notesV2 } from './domain'

const { db, variant, sync } = JSON.parse(self.name) as {
  db: string
  variant?: 'v2'
  sync?: { url: string; space: string }
}
// When the module graph is loaded and evaluated (absolute ms), so boot can be timed without module loading.
self.postMessage({ benchEvaluatedAt: performance.timeOrigin + performance.now() })
serve(variant === 'v2' ? notesV2 : notes, sync ? { name: db, sync } : { name: db })
