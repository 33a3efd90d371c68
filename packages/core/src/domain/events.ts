import type { StandardSchemaV1 } from '@standard-schema/spec'

/**
 * Upcasters of one event type: `{ 1: (v1) => v2, 2: (v2) => v3 }`, keyed by the version they read.
 * Events are never rewritten; upcasters run on every read path.
 */
export type Upcasters = Readonly<Record<number, (data: Record<string, unknown>) => Record<string, unknown>>>

/** The definition of one event type: its payload type, an optional runtime schema and its schema version. */
export interface EventDefinition<Data extends object = object> {
  /** Schema version of the payload (1 unless upcasters were declared). */
  readonly version: number
  /** Optional Standard Schema (zod 4, valibot, arktype, ...) that validates the payload at run time. */
  readonly schema?: StandardSchemaV1<unknown, Data> | undefined
  /** Upcasters from older payload versions to the current one. */
  readonly upcast?: Upcasters | undefined
  /** Whose personal data the payload holds, and in which fields (crypto-shredding: see {@link PersonalData}). */
  readonly personal?: DeclaredPersonalData<Data> | undefined
  /** Phantom field carrying the payload type. Never set at run time. */
  readonly __data?: Data
}

/**
 * The personal data of an event type (crypto-shredding): whose it is and which top-level fields hold it. Those
 * fields travel and are stored on the server encrypted with a key per subject; `forget(subject)` destroys the key,
 * and every device then sees the fields as {@link REDACTED}. It covers events of the type at every schema
 * version: the subject is computed on the data upcast to the current version, the fields are the names given.
 */
export interface PersonalData<Data> {
  /** The subject the data is about (a user id...): 1..100 characters. Must not read a personal field. */
  subject: (data: Data) => string
  /** Top-level fields of the data that hold the subject's personal data. */
  fields: readonly (keyof Data & string)[]
}

/** {@link PersonalData} as a definition keeps it (method syntax: any event definition is an `EventDefinition`). */
export interface DeclaredPersonalData<Data> {
  subject(data: Data): string
  readonly fields: readonly string[]
}

/**
 * What a personal field holds once its subject was forgotten (or on a device that may not read it). Handlers,
 * deciders and queries meet it in place of the value: test with {@link isRedacted}.
 */
export const REDACTED = '\u27e6redacted\u27e7'

/** Whether a field value is {@link REDACTED}. */
export function isRedacted(value: unknown): boolean {
  return value === REDACTED
}

/** A keyed map of event definitions: `{ CardAdded: event<...>(), ... }`. */
export type EventMap = Record<string, EventDefinition>

/** The payload type of an event definition. */
export type DataOf<E> = E extends EventDefinition<infer D> ? D : never

/** Options of {@link event} when a runtime schema is given. */
export interface EventOptions<S extends StandardSchemaV1<unknown, object>> {
  schema: S
  /** Schema version; defaults to 1. Declare `upcast` for every older version still in logs. */
  version?: number
  upcast?: Upcasters
  /** Personal data of the event (see {@link PersonalData}). */
  personal?: PersonalData<StandardSchemaV1.InferOutput<S>>
}

/**
 * Declares an event type.
 *
 * @example
 * event<{ title: string }>()                       // typed, no runtime validation
 * event({ schema: z.object({ title: z.string() }) }) // typed from the schema, validated on append
 */
export function event<Data extends object>(options?: {
  version?: number
  upcast?: Upcasters
  personal?: PersonalData<Data>
}): EventDefinition<Data>
export function event<S extends StandardSchemaV1<unknown, object>>(
  options: EventOptions<S>,
): EventDefinition<StandardSchemaV1.InferOutput<S>>
export function event(
  options: {
    schema?: StandardSchemaV1<unknown, object>
    version?: number
    upcast?: Upcasters
    personal?: PersonalData<object>
  } = {},
): EventDefinition {
  const version = options.version ?? 1
  if (!Number.isInteger(version) || version < 1) throw new TypeError(`event version must be an integer >= 1`)
  for (let v = 1; v < version; v++) {
    if (typeof options.upcast?.[v] !== 'function') {
      throw new TypeError(
        `event at version ${version} needs an upcaster for version ${v} (upcast: { ${v}: (data) => ... })`,
      )
    }
  }
  const personal = options.personal
  if (personal !== undefined) {
    if (typeof personal.subject !== 'function') throw new TypeError('event personal.subject must be a function')
    if (!Array.isArray(personal.fields) || personal.fields.length === 0)
      throw new TypeError('event personal.fields must list at least one field')
  }
  return { version, schema: options.schema, upcast: options.upcast, personal }
}

/**
 * Brings stored data written at `fromVersion` up to the definition's current version through its upcaster chain
 * (v1 → v2 → … → current). Returns undefined when the data is newer than the code knows (a newer app version
 * wrote it): such events are kept as they are.
 */
export function upcast(
  definition: EventDefinition,
  data: Record<string, unknown>,
  fromVersion: number,
): Record<string, unknown> | undefined {
  if (fromVersion === definition.version) return data
  if (fromVersion > definition.version) return undefined
  let current = data
  for (let v = Math.max(1, fromVersion); v < definition.version; v++) {
    const step = definition.upcast?.[v]
    if (!step) return undefined
    current = step(current)
  }
  return current
}

/** Groups event definitions; returns them unchanged with their types intact. */
export function defineEvents<const M extends EventMap>(events: M): M {
  return events
}

/** Metadata carried by every event. */
export interface EventMeta {
  /** Id of the command that produced the event. */
  commandId: string
  /** Id of the client (device + database) that produced the event. */
  clientId: string
  /** Milliseconds since the epoch when the command was issued. */
  issuedAt: number
  /** Schema version of `data`. */
  schemaVersion: number
  /** Id shared by everything caused by one user intent. */
  correlationId?: string
  /** Id of the event or command that caused this one. */
  causationId?: string
}

/** A recorded event as handlers see it. */
export interface RecordedEvent<Type extends string = string, Data = unknown> {
  /** Globally unique id (UUIDv7), chosen by the client. */
  id: string
  /** The space (shared log) of the event's stream: fixed by the stream's first event. */
  space: string
  /** Stream name, `<aggregate>:<id>`. */
  stream: string
  /** The aggregate id part of the stream name. */
  streamId: string
  /** 1-based position in the stream. */
  version: number
  type: Type
  data: Data
  meta: EventMeta
  /** Local log position (order of application in this database). */
  position: number
}

/** The union of recorded events of an event map, narrowed by type. */
export type EventOf<M extends EventMap, K extends keyof M & string = keyof M & string> = {
  [P in K]: RecordedEvent<P, DataOf<M[P]>>
}[K]
