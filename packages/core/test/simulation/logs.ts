/**
 * What the databases and the servers hold: a database's log of a space, everything it holds of a space, the space
 * of a stream; a server's log as its members read it (opened with the space key and the subjects' keys).
 */

import { expect } from 'vitest'
import { decryptEventData } from '../../src/crypto/envelope'
import { keyFromPassphrase, type SpaceKey, spaceKeys } from '../../src/crypto/keys'
import { importSubjectKey, isFieldEnvelope, openField } from '../../src/crypto/personal'
import { REDACTED } from '../../src/domain/events'
import { type StoredWireEvent, SYSTEM_STREAM_PREFIX } from '../../src/protocol'
import type { CommandRecord, EventRecord } from '../../src/store/records'
import type { MemorySyncServer } from '../../src/testing/memory-sync-server'
import type { Client } from './commands'
import { type Row, SPACE_SCOPED } from './read-models'

interface LoggedEvent {
  id: string
  stream: string
  version: number
  type: string
  data: unknown
}

export const shape = (e: LoggedEvent): LoggedEvent => ({
  id: e.id,
  stream: e.stream,
  version: e.version,
  type: e.type,
  data: e.data,
})

/** The database's log of a space in server order, its events not yet confirmed, and its last local position. */
export async function localLog(
  c: Client,
  space?: string,
): Promise<{ log: LoggedEvent[]; pending: LoggedEvent[]; maxLpos: number }> {
  const all = await c.runtime.database.table<EventRecord>('events').toArray()
  const rows = space === undefined ? all : all.filter((e) => e.space === space)
  return {
    log: rows
      .filter((e) => e.gpos !== undefined)
      .sort((a, b) => (a.gpos as number) - (b.gpos as number))
      .map(shape),
    pending: rows.filter((e) => e.gpos === undefined).map(shape),
    maxLpos: all.reduce((m, e) => Math.max(m, e.lpos ?? 0), 0),
  }
}

/** Everything a database holds of one space: events, journaled commands, rows of the space's read models. */
export async function contentsOf(c: Client, space: string) {
  const database = c.runtime.database
  const events = await database.table<EventRecord>('events').where('space').equals(space).toArray()
  const commands = await database.table<CommandRecord>('commands').where('space').equals(space).toArray()
  const rows = {} as Record<(typeof SPACE_SCOPED)[number], Row[]>
  for (const p of SPACE_SCOPED) rows[p] = ((await c.find(p)) as unknown as Row[]).filter((r) => r.space === space)
  return { events, commands, rows, pending: commands.filter((x) => x.status === 'pending') }
}

/** Dimension `encrypted`: one key per space, the same on every database (derived once). */
const spaceKeyCache = new Map<string, Promise<SpaceKey>>()
export function spaceKeyOf(space: string): Promise<SpaceKey> {
  let key = spaceKeyCache.get(space)
  if (!key) {
    key = keyFromPassphrase(`sim passphrase of ${space}`, { salt: `cairn-sim/${space}`, iterations: 1000 })
    spaceKeyCache.set(space, key)
  }
  return key
}

/**
 * A server's log as its members read it, computed without the runtime: its own events (`$cairn:` streams) left
 * out, envelopes opened with the space key (every event of an encrypted space must be one, its type hidden or
 * not as asked), personal fields opened with the key store's keys (REDACTED for a forgotten subject).
 */
export async function openedLog(
  space: string,
  server: MemorySyncServer,
  encryption: { key: SpaceKey; hideTypes: boolean } | undefined,
): Promise<StoredWireEvent[]> {
  const keys = encryption ? spaceKeys([encryption.key]) : undefined
  const out: StoredWireEvent[] = []
  for (const e of server.log) {
    if (e.stream.startsWith(SYSTEM_STREAM_PREFIX)) continue
    let type = e.type
    let data = e.data as Record<string, unknown>
    if (keys && encryption) {
      const opened = await decryptEventData(
        { space, id: e.id, stream: e.stream, version: e.version, type: e.type, data: e.data, meta: e.meta },
        keys,
      )
      if (!opened.ok) throw new Error(`event ${e.id} of encrypted space '${space}' does not open: ${opened.message}`)
      if (encryption.hideTypes) expect(e.type, `wire type of ${e.id} in '${space}'`).toBe('$encrypted')
      else expect(e.type, `wire type of ${e.id} in '${space}'`).toBe(opened.type)
      type = opened.type
      data = opened.data as Record<string, unknown>
    }
    const fields = { ...data }
    for (const [field, value] of Object.entries(data)) {
      if (!isFieldEnvelope(value)) continue
      const state = server.subjectKeys.get(value.sub)
      if (state === undefined) throw new Error(`no key for subject '${value.sub}' in '${space}' (event ${e.id})`)
      if (state === 'forgotten') {
        fields[field] = REDACTED
        continue
      }
      const opened = await openField(
        value,
        { space, eventId: e.id, field },
        await importSubjectKey(state.kid, state.key),
      )
      if (!opened.ok) throw new Error(`field '${field}' of event ${e.id} in '${space}' does not open`)
      fields[field] = opened.value
    }
    out.push({ ...e, type, data: fields as StoredWireEvent['data'] })
  }
  return out
}

/** The space of a stream the database holds (its first event's), if it holds it. */
export async function spaceOfStream(c: Client, stream: string): Promise<string | undefined> {
  const first = await c.runtime.database
    .table<EventRecord>('events')
    .where('[stream+version]')
    .between([stream, 0], [stream, Number.POSITIVE_INFINITY])
    .first()
  return first?.space
}
