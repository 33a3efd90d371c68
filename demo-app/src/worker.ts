/**
 * The Cairn runtime for one board, in a dedicated worker. The page passes its options as JSON in the
 * Worker's `name` (see `workerConfig`): the database name and the sync server, space and token.
 */

import { serve } from '@cairn/core/worker'
import { kanban } from '@cairn/example-kanban'
import type { WorkerConfig } from './config'

const config = JSON.parse(self.name || '{}') as Partial<WorkerConfig>
serve(kanban, { name: config.db ?? 'cairn-demo', ...(config.sync ? { sync: config.sync } : {}) })
