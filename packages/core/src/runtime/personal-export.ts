/**
 * Export of a subject's personal data (the access half of GDPR): every personal field of theirs this device can
 * still read, from every joined space's log, as JSON. Fields already forgotten ({@link REDACTED}) are left out.
 */
import type { Dexie } from 'dexie'
import { REDACTED } from '../domain/events'
import type { EventRecord } from '../store/records'
import { personalOf } from '../sync/personal-fields'
import type { LoadedDomain } from './loaded-domain'

/** One event's personal data of the subject. */
export interface PersonalDataItem {
  space: string
  stream: string
  eventId: string
  type: string
  version: number
  /** When the command that wrote it was issued (ms since epoch). */
  issuedAt: number
  /** The subject's personal fields of the event, as this device holds them. */
  fields: Record<string, unknown>
}

/** What `exportPersonalData` found. */
export interface PersonalDataExport {
  subject: string
  /** When the export was made (ms since epoch). */
  exportedAt: number
  /** In the order this device applied the events. */
  items: PersonalDataItem[]
}

/** Reads every personal field of `subject` from the local log. */
export async function exportPersonalData(
  db: Dexie,
  loaded: LoadedDomain,
  subject: string,
  now: number,
): Promise<PersonalDataExport> {
  const items: PersonalDataItem[] = []
  await db
    .table<EventRecord>('events')
    .orderBy('lpos')
    .each((e) => {
      const view = personalOf(loaded, e)
      if (!view || view.subject !== subject) return
      const { personal } = view
      const fields: Record<string, unknown> = {}
      for (const field of personal.fields)
        if (field in e.data && e.data[field] !== REDACTED) fields[field] = e.data[field]
      if (Object.keys(fields).length === 0) return
      items.push({
        space: e.space,
        stream: e.stream,
        eventId: e.id,
        type: e.type,
        version: e.version,
        issuedAt: e.meta.issuedAt,
        fields,
      })
    })
  return { subject, exportedAt: now, items }
}
