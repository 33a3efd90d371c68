/**
 * Sealing pushed events and opening pulled ones in an end-to-end encrypted space. Both run outside any
 * IndexedDB transaction (WebCrypto is asynchronous, and a transaction would commit while it waits).
 */
import type { Dexie } from 'dexie'
import { decryptEventData, encryptEventData } from '../crypto/envelope'
import { SyncError } from '../domain/errors'
import { ENCRYPTED_TYPE, isEnvelope, type StoredWireEvent } from '../protocol'
import type { EventRecord, SealedRecord } from '../store/records'
import type { SpaceCipher } from './space-encryption'

/** A pulled event, opened: its real type and data, and the sealed form the server holds (kept for re-uploads). */
export type OpenedEvent = StoredWireEvent & { sealed?: SealedRecord }

/**
 * The events of `batch` sealed for the server. An event sealed before (for its current version) keeps its
 * envelope: a push that may have reached the server is sent again byte for byte. New seals are saved before they
 * are sent.
 *
 * @throws SyncError `KEY_MISSING` when this device has no key to seal with, `ENCRYPT_FAILED` for an event it
 *   cannot seal.
 */
export async function sealBatch(
  db: Dexie,
  space: string,
  cipher: SpaceCipher,
  batch: readonly EventRecord[],
): Promise<EventRecord[]> {
  const fresh: EventRecord[] = []
  const sealed = await Promise.all(
    batch.map(async (e) => {
      if (e.sealed?.version === e.version) return e
      const { type, data } = await encryptEventData(
        { space, id: e.id, stream: e.stream, version: e.version, type: e.type, data: e.data },
        cipher.keys,
        { hideType: cipher.hideTypes },
      )
      const record: EventRecord = { ...e, sealed: { version: e.version, type, data } }
      fresh.push(record)
      return record
    }),
  )
  if (fresh.length > 0) await saveSeals(db, fresh)
  return sealed
}

/** Saves new seals on events still at the version they were sealed for (a rebase may have moved one since). */
async function saveSeals(db: Dexie, records: readonly EventRecord[]): Promise<void> {
  const byId = new Map(records.map((r) => [r.id, r.sealed]))
  await db
    .table<EventRecord>('events')
    .where('id')
    .anyOf([...byId.keys()])
    .modify((row) => {
      const seal = byId.get(row.id)
      if (seal && row.version === seal.version) row.sealed = seal
    })
}

/** What opening a page of pulled events gave: the events up to the first that cannot be opened, and why not. */
export interface OpenedPage {
  events: OpenedEvent[]
  /** Why the event after the opened ones waits (`KEY_MISSING`, `DECRYPT_FAILED`, `NOT_ENCRYPTED`). */
  held?: SyncError
}

/**
 * Opens a page of pulled events of `space` (in server order). In an encrypted space every event must open; in a
 * space in clear, an encrypted event means this device lacks the space's keys. Events from the first one that
 * does not open on are left out: they wait, unapplied, on the server, and the space's cursor stays before them.
 */
export async function openPage(
  space: string,
  cipher: SpaceCipher | undefined,
  events: readonly StoredWireEvent[],
): Promise<OpenedPage> {
  if (!cipher) {
    const first = events.findIndex((e) => isEnvelope(e.data) || e.type === ENCRYPTED_TYPE)
    if (first < 0) return { events: [...events] }
    const e = events[first] as StoredWireEvent
    const held = new SyncError(
      'KEY_MISSING',
      `Event ${e.id} (seq ${e.seq}) of space '${space}' is encrypted and the space is not: join it with its keys ` +
        '(joinSpace(space, { encryption: { keys } }))',
      { space, seq: e.seq, id: e.id },
    )
    return { events: events.slice(0, first), held }
  }
  const results = await Promise.all(
    events.map((e) =>
      decryptEventData(
        { space, id: e.id, stream: e.stream, version: e.version, type: e.type, data: e.data },
        cipher.keys,
      ),
    ),
  )
  const opened: OpenedEvent[] = []
  for (const [i, result] of results.entries()) {
    const e = events[i] as StoredWireEvent
    if (!result.ok) {
      const details = { space, seq: e.seq, id: e.id, ...(result.kid === undefined ? {} : { kid: result.kid }) }
      const message =
        result.code === 'NOT_ENCRYPTED'
          ? `Event ${e.id} (seq ${e.seq}) of encrypted space '${space}' came in clear: refused`
          : `${result.message} (space '${space}', seq ${e.seq})`
      return { events: opened, held: new SyncError(result.code, message, details) }
    }
    opened.push({
      ...e,
      type: result.type,
      data: result.data as StoredWireEvent['data'],
      sealed: { version: e.version, type: e.type, data: e.data as SealedRecord['data'] },
    })
  }
  return { events: opened }
}
