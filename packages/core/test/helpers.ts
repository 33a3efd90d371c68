import { type Kanban, kanban, teamBoard } from '@cairn/example-kanban'
import { createLocalClient, type LocalClient } from '../src/client/local-client'
import type { AnyDomain } from '../src/domain/domain'
import type { RuntimeOptions } from '../src/runtime/runtime'

let counter = 0

/** A fresh database name per call, so tests never share state. */
export function freshName(prefix = 'test'): string {
  counter += 1
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`
}

/** A local client on a fresh database. */
export function localClient<D extends AnyDomain = Kanban>(
  domain: D = kanban as unknown as D,
  options: RuntimeOptions = {},
): LocalClient<D> {
  return createLocalClient(domain, { name: freshName(), ...options })
}

/** Creates board `b1` with columns todo (no limit), doing (WIP 1), done. */
export async function seedBoard(client: LocalClient<Kanban>, boardId = 'b1'): Promise<void> {
  await client.execute('board.create', {
    id: boardId,
    input: teamBoard,
  })
}
