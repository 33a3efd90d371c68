/**
 * The Cairn runtime of the whole app, in a dedicated worker: one database holding every board this device
 * joined (each board is a sync space), synced with the server of this origin. Which boards, and each one's
 * token, the page tells the runtime with `joinSpace(board, { token })`: kept in the database, shared by tabs.
 * The domain is the kanban board plus its members (`@cairn/example-kanban/members`), whose names are personal
 * data: sealed with a key per user on the server, erased everywhere by `forgetSubject`.
 */

import { serve } from '@cairn/core/worker'
import { kanbanWithMembers } from '@cairn/example-kanban/members'
import { DATABASE } from './config'

serve(kanbanWithMembers, { name: DATABASE, sync: { url: self.location.origin } })
