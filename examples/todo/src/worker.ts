/**
 * The Cairn runtime, in a dedicated worker: the event log and the read models in IndexedDB, commands executed
 * here, synced with the server at this page's origin. The page passes the list's name (the sync space) as the
 * worker's `name`.
 */
import { serve } from '@cairn/core/worker'
import { domain } from './domain'

const space = self.name || 'todos'
serve(domain, { name: `todo-${space}`, sync: { url: self.location.origin, space } })
