/**
 * An event's form on the server, made before a push and undone after a pull (issue 16): personal fields sealed
 * with their subject's key, then, in an end-to-end encrypted space, the whole data sealed with the space key.
 * Both run outside any IndexedDB transaction (WebCrypto is asynchronous: a transaction would commit meanwhile).
 */
import type { Dexie } from 'dexie'
import { decryptEventData, encryptEventData } from '../crypto/envelope'
import { SyncError } from '../domain/errors'
import { ENCRYPTED_TYPE, isEnvelope, type StoredWireEvent, SYSTEM_STREAM_PREFIX } from '../protocol'
import type { LoadedDomain } from '../runtime/loaded-domain'
import type { EventRecord, WireForm } from '../store/records'
import { openPersonal, type PersonalView, personalOf, sealedSubjects, sealPersonal } from './personal-fields'
import type { Refusal } from './pull-state'
import type { SpaceCipher } from './space-encryption'
import type { SubjectKeyring } from './subject-keys'

/** What making wire forms needs. */
export interface WireDeps {
  db: Dexie
  loaded: LoadedDomain
  keyring: SubjectKeyring
}

/** A batch made ready to push. */
export interface WireBatch {
  /** The events, each with its wire form where it differs from its data. */
  events: EventRecord[]
  /** Commands that can never be pushed (an event whose subject cannot be told): to reject. */
  refused: Map<string, Refusal>
  /** Subjects found forgotten on the server while their data was still here in clear: to erase locally. */
  forgotten: Set<string>
}

/**
 * The events of `batch` as the server must get them. An event that has its wire form (for its current version)
 * keeps it: a push that may have reached the server is sent again byte for byte. New wire forms are saved
 * before they are sent.
 *
 * @throws SyncError `KEY_MISSING` when this device has no space key to seal with, `ENCRYPT_FAILED`,
 *   `NO_KEY_STORE`, or the key store's error.
 */
export async function wireBatch(
  deps: WireDeps,
  space: string,
  cipher: SpaceCipher | undefined,
  batch: readonly EventRecord[],
): Promise<WireBatch> {
  const refused = new Map<string, Refusal>()
  const forgotten = new Set<string>()
  const todo = batch.filter((e) => e.wire?.version !== e.version)
  // Subjects first, one key store request for the batch.
  const subjects = new Map<string, string>()
  const views = new Map<string, PersonalView>()
  for (const e of todo) {
    const view = personalOf(deps.loaded, e)
    if (!view) continue
    views.set(e.id, view)
    const { subject } = view
    if (typeof subject === 'string') subjects.set(e.id, subject)
    else if (e.meta?.commandId !== undefined)
      refused.set(e.meta.commandId, {
        commandId: e.meta.commandId,
        code: 'INVALID_SUBJECT',
        message: `event ${e.id} (${e.type}): ${subject.error}`,
      })
  }
  const keys = subjects.size > 0 ? await deps.keyring.get(space, subjects.values(), true) : new Map()
  const made: EventRecord[] = []
  const events = await Promise.all(
    batch.map(async (e): Promise<EventRecord> => {
      if (e.wire?.version === e.version || refused.has(e.meta?.commandId)) return e
      let data = e.data
      const subject = subjects.get(e.id)
      const personal = subject === undefined ? undefined : views.get(e.id)?.personal
      if (personal && subject !== undefined) {
        const key = keys.get(subject)
        if (key === 'forgotten') forgotten.add(subject)
        data = await sealPersonal(space, e.id, data, personal, subject, key)
      }
      let wire: WireForm | undefined
      if (cipher) {
        let sealed: Awaited<ReturnType<typeof encryptEventData>>
        try {
          sealed = await encryptEventData(
            { space, id: e.id, stream: e.stream, version: e.version, type: e.type, data, meta: e.meta },
            cipher.keys,
            { hideType: cipher.hideTypes },
          )
        } catch (error) {
          // This event can never be sealed (its data is not JSON, or uses the reserved `$cairn`): its command is
          // rejected, the rest is pushed. A missing key is the space's to wait for (thrown).
          const eventAtFault = (error as SyncError).details as { event?: boolean } | undefined
          if (!(error instanceof SyncError) || eventAtFault?.event !== true || e.meta?.commandId === undefined)
            throw error
          refused.set(e.meta.commandId, { commandId: e.meta.commandId, code: error.code, message: error.message })
          return e
        }
        wire = { version: e.version, type: sealed.type, data: sealed.data }
      } else if (personal) wire = { version: e.version, type: e.type, data: data as WireForm['data'] }
      if (!wire) return e
      const record = { ...e, wire }
      made.push(record)
      return record
    }),
  )
  if (made.length > 0) await saveWireForms(deps.db, made)
  return { events: events.filter((e) => !refused.has(e.meta?.commandId)), refused, forgotten }
}

/** Saves new wire forms on events still at the version they were made for (a rebase may have moved one since). */
async function saveWireForms(db: Dexie, records: readonly EventRecord[]): Promise<void> {
  const byId = new Map(records.map((r) => [r.id, r.wire]))
  await db
    .table<EventRecord>('events')
    .where('id')
    .anyOf([...byId.keys()])
    .modify((row) => {
      const wire = byId.get(row.id)
      if (wire && row.version === wire.version) row.wire = wire
    })
}

/** A pulled event, opened: its real type and data, and the form the server holds (kept for re-uploads). */
export type OpenedEvent = StoredWireEvent & { wire?: WireForm }

/** What opening a page of pulled events gave. */
export interface OpenedPage {
  /** The events up to the first that cannot be opened, the server's own events left out. */
  events: OpenedEvent[]
  /** The server's own events among them (e.g. `$SubjectForgotten`), in order. */
  system: StoredWireEvent[]
  /** Highest seq of the page taken (opened or the server's own): the space's cursor may move up to it. */
  through: number | undefined
  /** Why the event after them waits (`KEY_MISSING`, `DECRYPT_FAILED`, `NOT_ENCRYPTED`, `SUBJECT_KEY_MISSING`). */
  held?: SyncError
}

/**
 * Opens a page of pulled events of `space` (in server order). In an encrypted space every event must open; in a
 * space in clear, an encrypted event means this device lacks the space's keys. Personal fields are opened with
 * their subjects' keys ({@link REDACTED} for a forgotten subject). From the first event that does not open on,
 * the page is left out: those events wait, unapplied, on the server, and the space's cursor stays before them.
 */
export async function openPage(
  deps: Pick<WireDeps, 'keyring'>,
  space: string,
  cipher: SpaceCipher | undefined,
  page: readonly StoredWireEvent[],
): Promise<OpenedPage> {
  const system: StoredWireEvent[] = []
  const events: OpenedEvent[] = []
  let through: number | undefined
  const sealedOpen = await openSpaceLayer(space, cipher, page)
  const subjects = new Set(sealedOpen.events.flatMap((e) => ('data' in e ? sealedSubjects(e.data) : [])))
  const keys = subjects.size > 0 ? await deps.keyring.get(space, subjects, false) : new Map()
  for (const opened of sealedOpen.events) {
    if ('system' in opened) {
      system.push(opened.system)
      through = opened.system.seq
      continue
    }
    const e = opened
    let data = e.data
    if (sealedSubjects(data).length > 0) {
      const result = await openPersonal(space, e.id, data, keys)
      if (!('data' in result)) {
        const held = new SyncError(result.code, `${result.message} (space '${space}', seq ${e.seq})`, {
          space,
          seq: e.seq,
          id: e.id,
          subject: result.subject,
        })
        return { events, system, through, held }
      }
      data = result.data as StoredWireEvent['data']
    }
    const wire = data === e.wireData && e.wireType === e.type ? undefined : e.wireForm
    events.push({ ...stripOpened(e), data, ...(wire ? { wire } : {}) })
    through = e.seq
  }
  return { events, system, through, ...(sealedOpen.held ? { held: sealedOpen.held } : {}) }
}

/** A pulled event after the space layer: its real type and data, and what the server holds. */
type SpaceOpened = StoredWireEvent & { wireType: string; wireData: StoredWireEvent['data']; wireForm: WireForm }

/** The space layer of {@link openPage}: end-to-end envelopes opened (or refused), the server's events apart. */
async function openSpaceLayer(
  space: string,
  cipher: SpaceCipher | undefined,
  page: readonly StoredWireEvent[],
): Promise<{ events: (SpaceOpened | { system: StoredWireEvent })[]; held?: SyncError }> {
  const results = await Promise.all(
    page.map((e) =>
      cipher && !e.stream.startsWith(SYSTEM_STREAM_PREFIX)
        ? decryptEventData(
            { space, id: e.id, stream: e.stream, version: e.version, type: e.type, data: e.data, meta: e.meta },
            cipher.keys,
          )
        : undefined,
    ),
  )
  const events: (SpaceOpened | { system: StoredWireEvent })[] = []
  for (const [i, e] of page.entries()) {
    const original = {
      wireType: e.type,
      wireData: e.data,
      wireForm: { version: e.version, type: e.type, data: e.data },
    }
    if (e.stream.startsWith(SYSTEM_STREAM_PREFIX)) {
      events.push({ system: e })
      continue
    }
    const result = results[i]
    if (result === undefined) {
      if (isEnvelope(e.data) || e.type === ENCRYPTED_TYPE) {
        const held = new SyncError(
          'KEY_MISSING',
          `Event ${e.id} (seq ${e.seq}) of space '${space}' is encrypted and the space is not: join it with its keys ` +
            '(joinSpace(space, { encryption: { keys } }))',
          { space, seq: e.seq, id: e.id, ...(isEnvelope(e.data) ? { kid: e.data.kid } : {}) },
        )
        return { events, held }
      }
      events.push({ ...e, ...original })
      continue
    }
    if (!result.ok) {
      const details = { space, seq: e.seq, id: e.id, ...(result.kid === undefined ? {} : { kid: result.kid }) }
      const message =
        result.code === 'NOT_ENCRYPTED'
          ? `Event ${e.id} (seq ${e.seq}) of encrypted space '${space}' came in clear: refused`
          : `${result.message} (space '${space}', seq ${e.seq})`
      return { events, held: new SyncError(result.code, message, details) }
    }
    events.push({ ...e, ...original, type: result.type, data: result.data as StoredWireEvent['data'] })
  }
  return { events }
}

function stripOpened(e: SpaceOpened): StoredWireEvent {
  const { wireType: _t, wireData: _d, wireForm: _f, ...rest } = e
  return rest
}
