/**
 * What erasing a forgotten subject does to the tables beside the log (see forget-local.ts): the values the
 * subject's personal fields held before they became {@link REDACTED} are searched for in the commands journal,
 * in process managers' states and in quarantine messages.
 * Values are matched as whole values in structured data (inputs), and as substrings in text meant for people
 * (messages). Numbers count only in settled commands (their inputs are not used any more) and in the subject's
 * own pending commands: elsewhere a count or a limit equal to one of them by chance would be changed.
 */
import { dequal } from 'dequal'
import type { Table } from 'dexie'
import { REDACTED } from '../domain/events'
import { type LoadedDomain, parseStream } from '../runtime/loaded-domain'
import type { CommandRecord, QuarantineRecord } from '../store/records'
import { subjectOf } from './personal-fields'

/** A subject being erased from one space, as the tables beside the log need it. */
export interface Erasure {
  space: string
  subject: string
  /** Streams of the subject's events (redacted now or before). */
  streams: ReadonlySet<string>
  /** The leaves (non-empty strings, numbers) of the personal fields redacted now. */
  values: ReadonlySet<unknown>
}

const NONE: ReadonlySet<string> = new Set()

/** The leaf values (non-empty strings and numbers) of `value`, at any depth, added to `into`. */
export function leavesOf(value: unknown, into: Set<unknown>): void {
  if (typeof value === 'string' ? value !== '' && value !== REDACTED : typeof value === 'number') into.add(value)
  else if (Array.isArray(value)) for (const v of value) leavesOf(v, into)
  else if (typeof value === 'object' && value !== null) for (const v of Object.values(value)) leavesOf(v, into)
}

/** The strings of `values`. */
function stringsOf(values: Iterable<unknown>): Set<string> {
  const out = new Set<string>()
  for (const v of values) if (typeof v === 'string') out.add(v)
  return out
}

/** `value` with keys in `fields` and values in `values` REDACTED, at any depth. */
export function redactDeep(value: unknown, fields: ReadonlySet<string>, values: ReadonlySet<unknown>): unknown {
  if (values.has(value)) return REDACTED
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, fields, values))
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value))
    out[k] = fields.has(k) && v !== undefined ? REDACTED : redactDeep(v, fields, values)
  return out
}

/** Whether `value` holds one of `values`, at any depth. */
function carries(value: unknown, values: ReadonlySet<unknown>): boolean {
  if (values.has(value)) return true
  if (Array.isArray(value)) return value.some((v) => carries(v, values))
  if (typeof value !== 'object' || value === null) return false
  return Object.values(value).some((v) => carries(v, values))
}

/** `text` with every occurrence of `strings` (the longest first) REDACTED. */
export function scrubText(text: string, strings: ReadonlySet<string>): string {
  let out = text
  for (const s of [...strings].sort((a, b) => b.length - a.length))
    if (out.includes(s)) out = out.split(s).join(REDACTED)
  return out
}

/** `value` with every string in it scrubbed of `strings` (see {@link scrubText}), at any depth. */
function scrubDeep(value: unknown, strings: ReadonlySet<string>): unknown {
  if (typeof value === 'string') return scrubText(value, strings)
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, strings))
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, strings)
  return out
}

/** Every personal field name of an aggregate's event types. */
function personalFieldsOf(loaded: LoadedDomain, aggregate: string): Set<string> {
  const fields = new Set<string>()
  for (const definition of Object.values(loaded.aggregates.get(aggregate)?.events ?? {}))
    for (const field of definition.personal?.fields ?? []) fields.add(field)
  return fields
}

/**
 * The subjects a command's input names, as the `subject` functions of its aggregate's personal event types give
 * them on it (an input often has the events' shape: `{ userId, email }`); none when they give none.
 */
function subjectsNamedBy(loaded: LoadedDomain, aggregate: string, input: unknown): Set<string> {
  const named = new Set<string>()
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return named
  for (const definition of Object.values(loaded.aggregates.get(aggregate)?.events ?? {})) {
    if (!definition.personal) continue
    const subject = subjectOf(definition.personal, input)
    if (typeof subject === 'string') named.add(subject)
  }
  return named
}

/**
 * The commands of the space whose inputs concern the subject: on one of the subject's streams, naming the
 * subject (see {@link subjectsNamedBy}), or carrying one of the erased values (a string; a number too when the
 * command is settled), whatever their outcome. A command still pending keeps its input (a rebase may decide it
 * again): the erased values in it become REDACTED, at any depth, and when it is the subject's (it names them, or
 * it is on their stream and names nobody) every key named like a personal field of its aggregate too. A settled
 * command (confirmed, rejected, failed) needs its input no more: all of it becomes REDACTED. A rejection's
 * message and details lose the erased strings, and when the command is the subject's the strings of its input's
 * personal-named keys (a rejection may repeat its input).
 */
export async function eraseFromCommands(
  commands: Table<CommandRecord, string>,
  loaded: LoadedDomain,
  erasure: Erasure,
): Promise<void> {
  const strings = stringsOf(erasure.values)
  const changed: CommandRecord[] = []
  await commands
    .where('space')
    .equals(erasure.space)
    .each((row) => {
      const next = erasedCommand(row, loaded, erasure, strings)
      if (next) changed.push(next)
    })
  if (changed.length > 0) await commands.bulkPut(changed)
}

/** A command with the subject's data erased (see {@link eraseFromCommands}); undefined when nothing changes. */
function erasedCommand(
  row: CommandRecord,
  loaded: LoadedDomain,
  erasure: Erasure,
  strings: ReadonlySet<string>,
): CommandRecord | undefined {
  const aggregate = parseStream(row.stream).aggregate
  const named = subjectsNamedBy(loaded, aggregate, row.input)
  const onStream = erasure.streams.has(row.stream)
  const own = named.has(erasure.subject) || (onStream && named.size === 0)
  const settled = row.status !== 'pending'
  const concerned = own || onStream || carries(row.input, settled ? erasure.values : strings)
  const fields = own ? personalFieldsOf(loaded, aggregate) : NONE
  let input = row.input
  if (concerned && settled) input = REDACTED
  else if (concerned) input = redactDeep(row.input, fields, own ? erasure.values : strings)
  const rejection = row.rejection && scrubRejection(row.rejection, personalStrings(row.input, fields, strings))
  if (dequal(input, row.input) && dequal(rejection, row.rejection)) return undefined
  return { ...row, input, ...(rejection === undefined ? {} : { rejection }) }
}

/** A rejection's message and details scrubbed of `strings`. */
function scrubRejection(
  rejection: NonNullable<CommandRecord['rejection']>,
  strings: ReadonlySet<string>,
): CommandRecord['rejection'] {
  const out = { ...rejection, message: scrubText(rejection.message, strings) }
  if (rejection.details !== undefined) out.details = scrubDeep(rejection.details, strings)
  return out
}

/** `strings`, with the strings of an input under keys in `fields` (at any depth) added. */
function personalStrings(input: unknown, fields: ReadonlySet<string>, strings: ReadonlySet<string>): Set<string> {
  const out = new Set(strings)
  if (fields.size === 0) return out
  const leaves = new Set<unknown>()
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const v of value) visit(v)
    else if (typeof value === 'object' && value !== null)
      for (const [k, v] of Object.entries(value)) fields.has(k) ? leavesOf(v, leaves) : visit(v)
  }
  visit(input)
  for (const s of stringsOf(leaves)) out.add(s)
  return out
}

/** A row of the `processes` table: a process manager's state for one correlation key (`<reactor>:<key>`). */
interface ProcessRow {
  key: string
  state: unknown
}

/**
 * Process managers' states lose every string equal to an erased one, at any depth (a sentence quoting one
 * stays: states are the app's data, not text), and a correlation key equal to one moves to `<reactor>:REDACTED`
 * (where the subject's redacted events correlate from now on).
 * States are not kept per space: a state of another space holding the same string loses it too.
 */
export async function eraseFromProcesses(processes: Table<ProcessRow, string>, erasure: Erasure): Promise<void> {
  const strings = stringsOf(erasure.values)
  if (strings.size === 0) return
  const moved: string[] = []
  const changed: ProcessRow[] = []
  await processes.each((row) => {
    const colon = row.key.indexOf(':')
    const key = strings.has(row.key.slice(colon + 1)) ? `${row.key.slice(0, colon)}:${REDACTED}` : row.key
    const state = redactDeep(row.state, NONE, strings)
    if (key === row.key && dequal(state, row.state)) return
    if (key !== row.key) moved.push(row.key)
    changed.push({ key, state })
  })
  if (moved.length > 0) await processes.bulkDelete(moved)
  if (changed.length > 0) await processes.bulkPut(changed)
}

/**
 * Quarantine messages (an error's message may quote the event's data) lose the erased strings: those of every
 * projection, the app's current ones (a rebuild redid theirs from the redacted log) and the ones it dropped.
 */
export async function eraseFromQuarantine(quarantine: Table<QuarantineRecord>, erasure: Erasure): Promise<void> {
  const strings = stringsOf(erasure.values)
  if (strings.size === 0) return
  const changed: QuarantineRecord[] = []
  await quarantine.each((row) => {
    const message = scrubText(row.message, strings)
    if (message !== row.message) changed.push({ ...row, message })
  })
  if (changed.length > 0) await quarantine.bulkPut(changed)
}
