import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { AnyDomain } from './domain'
import type { ValidationIssue } from './errors'
import type { EventDefinition } from './events'

/** Runs a Standard Schema and returns its output or the issues found. */
export async function runSchema<T>(
  schema: StandardSchemaV1<unknown, T>,
  value: unknown,
): Promise<{ ok: true; value: T } | { ok: false; issues: ValidationIssue[] }> {
  let result = schema['~standard'].validate(value)
  if (result instanceof Promise) result = await result
  if (result.issues) return { ok: false, issues: result.issues.map(toIssue) }
  return { ok: true, value: result.value }
}

function toIssue(issue: StandardSchemaV1.Issue): ValidationIssue {
  const path = issue.path?.map((p) => {
    const key = typeof p === 'object' ? p.key : p
    return typeof key === 'number' ? key : String(key)
  })
  return path && path.length > 0 ? { message: issue.message, path } : { message: issue.message }
}

/**
 * The schema version an event's `data` is at, read from its meta. An absent or `null` `schemaVersion` means
 * version 1: events written before the field existed are the first version. Every reader — the clients'
 * upcasting, the server's validation — must use this one rule, or the server would judge data in a shape the
 * clients never see. A value that is not a number comes back as `NaN` (no valid version): callers refuse it.
 */
export function schemaVersionOf(meta: { readonly schemaVersion?: unknown } | null | undefined): number {
  const version = meta?.schemaVersion ?? 1
  return typeof version === 'number' ? version : Number.NaN
}

/**
 * Splits a stream name `<aggregate>:<id>` at its first colon; `undefined` when it has no colon or either part
 * is empty. Pure, shared by whoever must agree on which aggregate owns a stream.
 */
export function parseStreamName(stream: string): { aggregate: string; id: string } | undefined {
  const colon = stream.indexOf(':')
  if (colon <= 0 || colon === stream.length - 1) return undefined
  return { aggregate: stream.slice(0, colon), id: stream.slice(colon + 1) }
}

/**
 * Finds the definition of an event type of the aggregate that owns `stream` (`<aggregate>:<id>`). Streams not
 * of that form, and names that are only inherited members (`__proto__`, `toString`), find nothing.
 */
export function findEventDefinition(domain: AnyDomain, stream: string, type: string): EventDefinition | undefined {
  const parsed = parseStreamName(stream)
  if (!parsed || !Object.hasOwn(domain.aggregates, parsed.aggregate)) return undefined
  const aggregate = domain.aggregates[parsed.aggregate]
  if (!aggregate || !Object.hasOwn(aggregate.events, type)) return undefined
  return aggregate.events[type]
}

/** Outcome of {@link validateWireEvent}. */
export type WireEventValidation =
  | { ok: true }
  | { ok: false; code: 'UNKNOWN_EVENT_TYPE' | 'INVALID_EVENT_DATA'; message: string; issues?: ValidationIssue[] }

/**
 * Checks an incoming event against the domain: its aggregate and type must exist and its data must pass
 * the event's schema (when it has one and the event is at the current schema version). Used by the server.
 */
export async function validateWireEvent(
  domain: AnyDomain,
  event: { stream: string; type: string; data: unknown; meta?: { schemaVersion?: unknown } | undefined },
): Promise<WireEventValidation> {
  const def = findEventDefinition(domain, event.stream, event.type)
  if (!def) {
    return {
      ok: false,
      code: 'UNKNOWN_EVENT_TYPE',
      message: `Unknown event type '${event.type}' for stream '${event.stream}'`,
    }
  }
  const version = schemaVersionOf(event.meta)
  if (!def.schema || version !== def.version) return { ok: true }
  const result = await runSchema(def.schema, event.data)
  if (result.ok) return { ok: true }
  return {
    ok: false,
    code: 'INVALID_EVENT_DATA',
    message: `Data of '${event.type}' failed its schema: ${result.issues.map((i) => i.message).join('; ')}`,
    issues: result.issues,
  }
}
