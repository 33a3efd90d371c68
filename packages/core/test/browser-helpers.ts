import type { Kanban } from '@cairn/example-kanban'
import { teamBoard } from '@cairn/example-kanban'
import type { CairnClient } from '../src/client/types'
import { createClient } from '../src/client/worker-client'
import type { kanbanV2 } from './fixtures/kanban-v2'

/** Starts a real module worker running the kanban domain on database `db`. */
export function startWorker(db: string, variant?: 'v2', sync?: { url: string; space: string }): Worker {
  return new Worker(new URL('./fixtures/kanban.worker.ts', import.meta.url), {
    type: 'module',
    name: JSON.stringify({ db, variant, sync }),
  })
}

/** A client whose worker syncs with the test server. */
export function syncedKanbanClient(db: string, sync: { url: string; space: string }): CairnClient<Kanban> {
  return createClient<Kanban>(startWorker(db, undefined, sync))
}

export function kanbanClient(db: string): CairnClient<Kanban> {
  return createClient<Kanban>(startWorker(db))
}

export function kanbanV2Client(db: string): CairnClient<typeof kanbanV2> {
  return createClient<typeof kanbanV2>(startWorker(db, 'v2'))
}

export function uniqueDb(prefix: string): string {
  return `${prefix}-${crypto.randomUUID()}`
}

/** Waits until `check` returns true, polling each animation frame; fails after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error('waitFor: condition not met in time')
    await new Promise((r) => setTimeout(r, 5))
  }
}

export async function seed(client: CairnClient<Kanban>, boardId = 'b1'): Promise<void> {
  await client.execute('board.create', {
    id: boardId,
    input: teamBoard,
  })
}
