import { type Kanban, kanban, teamBoard } from '@cairn/example-kanban'
import Dexie from 'dexie'
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

/** Every row of every table of an IndexedDB database, as JSON text (what a device holds, read around Cairn). */
export async function dumpDatabase(name: string): Promise<string> {
  const db = new Dexie(name)
  await db.open()
  try {
    const dump: unknown[] = []
    for (const table of db.tables) dump.push(table.name, await table.toArray())
    return JSON.stringify(dump)
  } finally {
    db.close()
  }
}
