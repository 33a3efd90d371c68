import { Dexie } from 'dexie'
import type { EventMeta, RecordedEvent } from '../domain/events'
import type { AnyProjection } from '../domain/projection'
import type { RuntimeProjection } from '../runtime/loaded-domain'
import { parseStream } from '../runtime/loaded-domain'
import { applyEvent, WriteSink } from '../runtime/projector'
import { readModelSchema } from '../store/schema'

/** An event given to a projection spec: stream, type and data; the rest is filled in. */
export interface GivenEvent {
  /** The event's space (default `default`); rows it writes carry it as `space`. */
  space?: string
  stream: string
  type: string
  data: unknown
  meta?: Partial<EventMeta>
}

let specCounter = 0

async function project(projection: AnyProjection, events: RecordedEvent[], passes: number): Promise<unknown[]> {
  specCounter += 1
  const db = new Dexie(`cairn-projection-spec-${specCounter}-${Math.random().toString(36).slice(2)}`)
  db.version(1).stores({ rm: readModelSchema(projection), undo: '[lpos+n], lpos' })
  const rp = { ...(projection as unknown as RuntimeProjection), tableName: 'rm' }
  try {
    await db.open()
    for (let pass = 0; pass < passes; pass++) {
      for (const e of events) {
        await db.transaction('rw', db.table('rm'), async (tx) => {
          const writes = new WriteSink()
          await applyEvent(tx, [rp], e, { recordUndo: false, writes })
          await tx.table('rm').count()
          writes.throwIfFailed()
        })
      }
    }
    return await db.table('rm').toArray()
  } finally {
    db.close()
    await Dexie.delete(db.name)
  }
}

/**
 * Given/then tests for a projection, on a real (or fake) IndexedDB. `then` applies the events once and
 * checks the rows; then applies every event a second time and checks that the rows did not change
 * (handlers must be idempotent, so a replay never corrupts a read model).
 */
export function projectionSpec(projection: AnyProjection) {
  return {
    given(given: GivenEvent[]) {
      const versions = new Map<string, number>()
      const events: RecordedEvent[] = given.map((g, i) => {
        const version = (versions.get(g.stream) ?? 0) + 1
        versions.set(g.stream, version)
        return {
          id: `spec-${i + 1}`,
          space: g.space ?? 'default',
          stream: g.stream,
          streamId: parseStream(g.stream).id,
          version,
          type: g.type,
          data: g.data,
          meta: { commandId: `cmd-${i + 1}`, clientId: 'spec', issuedAt: i + 1, schemaVersion: 1, ...g.meta },
          position: i + 1,
        }
      })
      return {
        /** Asserts the rows (order-insensitive, by JSON) or runs your own assertions; also checks idempotency. */
        // biome-ignore lint/suspicious/noThenProperty: given/when/then is the spec vocabulary users expect
        async then(expected: unknown[] | ((rows: unknown[]) => void)): Promise<void> {
          // Rows carry their space; a spec that names no space compares them without it.
          const named = given.some((g) => g.space !== undefined)
          const once = (await project(projection, events, 1)).map((r) => (named ? r : withoutSpace(r)))
          if (typeof expected === 'function') expected(once)
          else {
            const norm = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort()
            if (JSON.stringify(norm(once)) !== JSON.stringify(norm(expected))) {
              throw new Error(
                `projection '${projection.name}' rows\n${JSON.stringify(once, null, 2)}\nexpected\n${JSON.stringify(expected, null, 2)}`,
              )
            }
          }
          const twice = (await project(projection, events, 2)).map((r) => (named ? r : withoutSpace(r)))
          if (JSON.stringify(twice) !== JSON.stringify(once)) {
            throw new Error(
              `projection '${projection.name}' is not idempotent: applying the events twice gave\n${JSON.stringify(twice, null, 2)}`,
            )
          }
        },
      }
    },
  }
}

function withoutSpace(row: unknown): unknown {
  if (typeof row !== 'object' || row === null) return row
  const { space: _space, ...rest } = row as Record<string, unknown>
  return rest
}
