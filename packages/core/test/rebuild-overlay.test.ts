/**
 * A catch-up chunk's handlers write into an in-memory overlay of rows, written in bulk when the chunk ends
 * (runtime/rebuild.ts, RowOverlay). These tests pin what handlers must still see: their own writes, within a
 * chunk, across the overlay's mid-chunk writes (every 500 rows) and across chunks (a chunk is 5,000 events), through `get`, `update`, `delete` and index reads via
 * `tx.table`; and the undo before-images of pending events, read from the overlay, still roll back right.
 * The oracle is the same projection built inline, event by event, without an overlay.
 */
import { expect, it, vi } from 'vitest'
import { createLocalClient } from '../src/client/local-client'
import { defineAggregate, defineDomain, defineEvents, defineProjection, event, table } from '../src/domain'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { failureDomain } from './fixtures/failure-domain'
import { syncClient } from './fixtures/failure-helpers'
import { freshName } from './helpers'

type Op =
  | { kind: 'add'; item: string; group: string; tag: string }
  | { kind: 'bump'; item: string }
  | { kind: 'remove'; item: string }
  | { kind: 'summarize'; tag: string }

const catalog = defineAggregate({
  name: 'catalog',
  events: defineEvents({
    Added: event<{ item: string; group: string; tag: string }>(),
    Bumped: event<{ item: string }>(),
    Removed: event<{ item: string }>(),
    Summarized: event<{ tag: string }>(),
  }),
  initialState: () => ({}),
  evolve: { Added: (s) => s, Bumped: (s) => s, Removed: (s) => s, Summarized: (s) => s },
  commands: {
    run: (_s, input: { ops: Op[] }, ctx) =>
      input.ops.map((op) =>
        op.kind === 'add'
          ? ctx.event('Added', { item: op.item, group: op.group, tag: op.tag })
          : op.kind === 'bump'
            ? ctx.event('Bumped', { item: op.item })
            : op.kind === 'remove'
              ? ctx.event('Removed', { item: op.item })
              : ctx.event('Summarized', { tag: op.tag }),
      ),
  },
})

interface ItemRow {
  id: string
  group: string
  tag: string
  bumps: number
  /** Bumps that found no row (update returned false). */
  missed?: number
}

function overlayDomain(version: number) {
  const items = defineProjection({
    name: 'items',
    version,
    from: [catalog],
    table: table<ItemRow>({ key: 'id', indexes: ['tag', 'group'] }),
    on: {
      Added: async (tx, e) => {
        const row = { id: e.data.item, group: e.data.group, tag: e.data.tag, bumps: 0 }
        await tx.put(row)
        // A flat row (no copy made beyond the runtime's own): changing it after the put changes nothing stored,
        // nor what a later read in the chunk sees.
        row.bumps = -7
        row.tag = 'changed-after-put'
      },
      Bumped: async (tx, e) => {
        // Changing a row that was read, without writing it back, changes nothing stored.
        const peek = await tx.get(e.data.item)
        if (peek) peek.bumps = -100
        const found = await tx.update(e.data.item, (row) => ({ ...row, bumps: row.bumps + 1 }))
        if (!found) {
          const misses = (await tx.get('misses')) ?? { id: 'misses', group: '-', tag: '-', bumps: 0 }
          await tx.put({ ...misses, bumps: misses.bumps + 1 })
        }
      },
      Removed: async (tx, e) => {
        await tx.delete(e.data.item)
        // Read back at once: the delete must be visible to the same handler.
        if ((await tx.get(e.data.item)) !== undefined) throw new Error('deleted row still visible')
      },
      Summarized: async (tx, e) => {
        // Hold the table before writing: reads through it must still see the put below.
        const t = tx.table
        await tx.put({ id: `mark:${e.position}`, group: 'mark', tag: e.data.tag, bumps: 0 })
        const count = await t.where('tag').equals(e.data.tag).count()
        const bumped = (await tx.table.where('tag').equals(e.data.tag).toArray()).reduce((n, r) => n + r.bumps, 0)
        await tx.put({
          id: `sum:${e.data.tag}`,
          group: 'sum',
          tag: `sum-${e.data.tag}`,
          bumps: count * 1_000_000 + bumped,
        })
      },
    },
    queries: { all: (t) => t.orderBy('id').toArray() },
  })
  const groups = defineProjection({
    name: 'groups',
    version,
    from: [catalog],
    table: table<{ group: string; n: number; row: { items: string[] } }>({ key: 'group' }),
    on: {
      Added: async (tx, e) => {
        const row = (await tx.get(e.data.group)) ?? { group: e.data.group, n: 0, row: { items: [] } }
        // Mutating a row that was read, then putting it: the overlay must hand out copies.
        row.row.items.push(e.data.item)
        row.row.items = row.row.items.slice(-3)
        await tx.put({ ...row, n: row.n + 1 })
        // After the put: must not change what was stored.
        row.row.items.push('after-put')
        row.n = -1
      },
    },
    queries: { all: (t) => t.orderBy('group').toArray() },
  })
  return defineDomain({ aggregates: { catalog }, projections: { items, groups } })
}

/** 5,200 events over 52 commands: adds, bumps (some of missing rows), removes and re-adds, index summaries. */
function script(): Op[][] {
  const commands: Op[][] = []
  let i = 0
  for (let c = 0; c < 52; c++) {
    const ops: Op[] = []
    while (ops.length < 100) {
      const k = i++
      if (k % 10 === 9) ops.push({ kind: 'bump', item: `i${k - 1}` })
      else if (k % 50 === 13) ops.push({ kind: 'remove', item: `i${k - 5}` })
      else if (k % 50 === 14)
        ops.push({ kind: 'bump', item: `i${k - 6}` }) // removed just before: a miss
      else if (k % 50 === 15) ops.push({ kind: 'add', item: `i${k - 7}`, group: 'readded', tag: 't0' })
      else if (k % 100 === 55) ops.push({ kind: 'summarize', tag: `t${k % 3}` })
      else if (k % 300 === 1)
        ops.push({ kind: 'bump', item: `i${k - 150}` }) // across chunk boundaries too
      else ops.push({ kind: 'add', item: `i${k}`, group: `g${k % 7}`, tag: `t${k % 3}` })
    }
    commands.push(ops)
  }
  return commands
}

it('a rebuild through the overlay yields what applying event by event yields', async () => {
  const name = freshName('overlay')
  const v1 = createLocalClient(overlayDomain(1), { name })
  for (const ops of script()) await v1.execute('catalog.run', { id: 'c1', input: { ops } })
  const items = await v1.query('items.all')
  const groups = await v1.query('groups.all')
  expect(v1.runtime.status.get().position).toBe(5200)
  await v1.close()

  // Sanity of the oracle itself (built inline, one event at a time).
  const byId = new Map(items.map((r) => [r.id, r]))
  expect(byId.get('misses')?.bumps).toBeGreaterThan(0)
  expect(byId.get('i8')).toMatchObject({ group: 'readded', tag: 't0' })
  expect(byId.get('sum:t1')?.bumps).toBeGreaterThan(1_000_000)
  expect(groups.find((g) => g.group === 'g0')?.n).toBeGreaterThan(0)
  expect(groups.every((g) => g.n > 0 && g.row.items.length <= 3)).toBe(true)

  const v2 = createLocalClient(overlayDomain(2), { name })
  await v2.runtime.ready
  expect(v2.runtime.status.get().errors).toEqual([])
  expect(v2.runtime.status.get().quarantined).toEqual([])
  expect(await v2.query('items.all')).toEqual(items)
  expect(await v2.query('groups.all')).toEqual(groups)
  await v2.close()
  // 5,200 commands and a rebuild: a guard against a hang, not a timing (it takes ~2–4 s on a busy machine).
}, 30_000)

it('undo images recorded during a rebuild come from the chunk overlay: a rebase rolls pending events back right', async () => {
  const server = new MemorySyncServer()
  const name = freshName('overlay-undo')
  const b = syncClient(failureDomain(), server)
  const a = syncClient(failureDomain(), server, { name })
  // Confirmed events first, then pending ones on the same row: one chunk holds both.
  await a.execute('counter.inc', { id: 'x', input: { by: 1 } })
  await a.execute('counter.inc', { id: 'x', input: { by: 1 } })
  await a.syncNow()
  await a.execute('counter.inc', { id: 'x', input: { by: 2 } })
  await a.execute('counter.inc', { id: 'x', input: { by: 3 } })
  await a.execute('counter.setTo', { id: 'y', input: { n: 5 } })
  await a.close()

  // The version bump rebuilds `counts`: the first pending event's before-image is {n: 2} (written earlier in the
  // same chunk, not yet in the table), the one of y is "no row".
  const a2 = syncClient(failureDomain({ counts: { version: 2 } }), server, { name })
  await a2.runtime.ready
  expect(await a2.query('counts.byId', 'x')).toMatchObject({ n: 7, applied: 4 })
  const undo = (await a2.runtime.database.table('undo').toArray()) as { table: string; key: unknown; before: unknown }[]
  const images = undo.filter((u) => u.table.includes('counts'))
  expect(images.map((u) => u.before)).toEqual(
    expect.arrayContaining([
      { id: 'x', n: 2, applied: 2, space: 'default' },
      { id: 'x', n: 4, applied: 3, space: 'default' },
      undefined,
    ]),
  )

  await b.syncNow()
  await b.execute('counter.inc', { id: 'x', input: { by: 10 } })
  await b.execute('counter.inc', { id: 'y', input: { by: 10 } })
  await b.syncNow()
  await a2.syncNow() // rebase: roll back a's pending events, apply b's, re-apply a's
  expect(await a2.query('counts.byId', 'x')).toMatchObject({ n: 17, applied: 5 })
  expect(await a2.query('counts.byId', 'y')).toMatchObject({ n: 5, applied: 2 })
  await a2.syncNow()
  expect(a2.runtime.status.get().pending).toBe(0)
  expect(await a2.query('counts.byId', 'x')).toMatchObject({ n: 17, applied: 5 })
  await a2.close()
  await b.close()
})

it('a bulk write the store refuses (an invalid key) is retried event by event and quarantines only that event', async () => {
  const pair = defineAggregate({
    name: 'pair',
    events: defineEvents({ Set: event<{ a: string; b: unknown }>() }),
    initialState: () => ({}),
    evolve: { Set: (s) => s },
    commands: { set: (_s, input: { a: string; b: unknown }, ctx) => ctx.event('Set', input) },
  })
  const pairs = defineProjection({
    name: 'pairs',
    version: 1,
    mode: 'async',
    from: [pair],
    table: table<{ a: string; b: unknown }>({ key: '[a+b]' }),
    on: {
      Set: async (tx, e) => {
        await tx.put({ a: e.data.a, b: e.data.b })
      },
    },
    queries: { count: (t) => t.count() },
  })
  const client = createLocalClient(defineDomain({ aggregates: { pair }, projections: { pairs } }), {
    name: freshName('overlay-bulk'),
  })
  for (let i = 0; i < 10; i++) {
    // `true` is not a valid IndexedDB key: the chunk's bulkPut fails on that row.
    await client.execute('pair.set', { id: `p${i}`, input: { a: `a${i}`, b: i === 4 ? true : `b${i}` } })
  }
  await vi.waitFor(() => expect(client.runtime.status.get().quarantined).toHaveLength(1))
  expect(client.runtime.status.get().quarantined[0]).toMatchObject({ projection: 'pairs' })
  await vi.waitFor(async () => expect(await client.query('pairs.count')).toBe(9))
  await client.close()
})

it('live queries over a table a catch-up wrote in bulk see the rows (an async projection)', async () => {
  const tally = defineAggregate({
    name: 'tally',
    events: defineEvents({ Counted: event<{ n: number }>() }),
    initialState: () => ({}),
    evolve: { Counted: (s) => s },
    commands: { count: (_s, input: { n: number }, ctx) => ctx.event('Counted', input) },
  })
  const tallies = defineProjection({
    name: 'tallies',
    version: 1,
    mode: 'async',
    from: [tally],
    table: table<{ id: string; n: number }>({ key: 'id', indexes: ['n'] }),
    on: {
      Counted: async (tx, e) => {
        await tx.put({ id: e.streamId, n: e.data.n })
      },
    },
    queries: { big: (t) => t.where('n').above(10).count() },
  })
  const client = createLocalClient(defineDomain({ aggregates: { tally }, projections: { tallies } }), {
    name: freshName('overlay-live'),
  })
  const seen: unknown[] = []
  const stop = client.subscribe('tallies.big', undefined, (value) => seen.push(value))
  await vi.waitFor(() => expect(seen).toEqual([0]))
  await client.execute('tally.count', { id: 't1', input: { n: 11 } })
  await vi.waitFor(() => expect(seen.at(-1)).toBe(1))
  await client.execute('tally.count', { id: 't2', input: { n: 12 } })
  await vi.waitFor(() => expect(seen.at(-1)).toBe(2))
  stop()
  await client.close()
})
