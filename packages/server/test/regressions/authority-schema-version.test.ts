// Review (issue 15): the authority validates an event without `meta.schemaVersion` (or with `null`) as the
// CURRENT schema version, while every client reads it as version 1 (`record.meta?.schemaVersion ?? 1` in
// core's toRecorded) and runs the upcasters on it. So a token holder can store data that passes the server's
// schema but that every client's handlers see in a shape the schema refuses.

import { upcast } from '@cairn/core/domain'
import type { JsonObject, WireEvent } from '@cairn/core/protocol'
import { describe, expect, it } from 'vitest'
import { createSyncServer } from '../../src/app.js'
import { createMemoryStorage } from '../../src/storage/memory.js'

// CardRenamed v1 was { name }, v2 is { title }: the upcaster renames the field.
const schema = {
  '~standard': {
    version: 1,
    vendor: 'review',
    validate: (v: unknown) =>
      typeof (v as { title?: unknown })?.title === 'string' && (v as { title: string }).title !== ''
        ? { value: v }
        : { issues: [{ message: 'title must be a non-empty string', path: ['title'] }] },
  },
} as const
const CardRenamed = { version: 2, schema, upcast: { 1: (v1: Record<string, unknown>) => ({ title: v1.name }) } }
const domain = { aggregates: { card: { name: 'card', events: { CardRenamed } } }, projections: {}, reactors: {} }

const push = async (meta: JsonObject | undefined) => {
  const sync = createSyncServer({ storage: createMemoryStorage(), rateLimit: false, domain: domain as never })
  const event: WireEvent = { id: 'e1', stream: 'card:1', version: 1, type: 'CardRenamed', data: { title: 'v2 data' } }
  if (meta) event.meta = meta
  const res = await sync.fetch('http://cairn.test/v1/spaces/s/push', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: 'c', events: [event] }),
  })
  return { status: res.status, event }
}

/** What a client's handlers receive for the stored event: core's read path, packages/core/src/runtime/recorded.ts:16-17. */
const clientView = (event: WireEvent) => {
  const from = (event.meta?.schemaVersion as number | undefined) ?? 1
  return upcast(CardRenamed as never, event.data, from) ?? event.data
}

describe('review: meta.schemaVersion absent or null', () => {
  it.each([
    ['no meta', undefined],
    ['meta without schemaVersion', { commandId: 'cmd-1' }],
    ['schemaVersion null', { commandId: 'cmd-1', schemaVersion: null }],
  ])('%s: the server must not accept data that clients upcast into schema-invalid data', async (_, meta) => {
    const { status, event } = await push(meta as JsonObject | undefined)
    const seenByClients = clientView(event)
    const valid = schema['~standard'].validate(seenByClients)
    // Either the server refuses (422), or what it accepted is valid where it is used.
    if (status === 200) expect(valid, `clients see ${JSON.stringify(seenByClients)}`).not.toHaveProperty('issues')
    else expect(status).toBe(422)
  })
})
