/**
 * The Cairn runtime of the whole app, in a dedicated worker: one database holding every board this device
 * joined (each board is a sync space), synced with the server of this origin. Which boards, and each one's
 * token, the page tells the runtime with `joinSpace(board, { token })`: kept in the database, shared by tabs.
 */

import { serve } from '@cairn/core/worker'
import { kanban } from '@cairn/example-kanban'
import { DATABASE } from './config'

serve(kanban, { name: DATABASE, sync: { url: self.location.origin } })
