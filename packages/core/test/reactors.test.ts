import { board, type CardRow, card, cards, columns } from '@cairn/example-kanban'
import { describe, expect, it } from 'vitest'
import { createLocalClient, type LocalClient } from '../src/client/local-client'
import {
  defineDomain,
  defineProcess,
  defineProjection,
  defineReactor,
  fromEvent,
  type ReactorErrorPolicy,
  table,
} from '../src/domain'
import { projectionSpec } from '../src/testing'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { freshName } from './helpers'

const columnsInput = {
  title: 'T',
  columns: [
    { id: 'todo', title: 'To do' },
    { id: 'doing', title: 'Doing', wipLimit: 1 },
    { id: 'done', title: 'Done' },
  ],
}

/** A domain whose reactor archives cards moved to Done, counting its invocations. */
function withAutoArchive(
  options: {
    confirmed?: boolean
    startAt?: 'beginning' | 'end'
    onError?: ReactorErrorPolicy
    fail?: () => boolean
  } = {},
) {
  const calls: string[] = []
  const autoArchive = defineReactor({
    name: 'autoArchive',
    from: [board],
    startAt: options.startAt ?? 'beginning',
    ...(options.confirmed !== undefined ? { confirmed: options.confirmed } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
    on: {
      'board.CardMoved': async (e, ctx) => {
        calls.push(e.id)
        if (options.fail?.()) throw new Error('mail server down')
        if (e.data.to === 'done')
          await ctx.execute('board.archiveCard', { id: e.streamId, input: { cardId: e.data.cardId } })
      },
    },
  })
  const domain = defineDomain({
    aggregates: { board, card },
    projections: { cards, columns },
    reactors: { autoArchive },
  })
  return { domain, calls }
}

async function setup(client: LocalClient<ReturnType<typeof withAutoArchive>['domain']>) {
  await client.execute('board.create', { id: 'b', input: columnsInput })
  await client.execute('board.addCard', { id: 'b', input: { cardId: 'c1', title: 'One', column: 'todo' } })
}

const archivedCount = async (c: { runtime: LocalClient<never>['runtime'] }) =>
  (await c.runtime.database.table('events').toArray()).filter((e) => e.type === 'CardArchived').length

describe('reactors', () => {
  it('given a card moved to Done, when the reactor runs after commit, then it archives it, once', async () => {
    const { domain, calls } = withAutoArchive()
    const c = createLocalClient(domain, { name: freshName('react') })
    await setup(c)
    await c.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'done' } })
    await expect.poll(() => archivedCount(c)).toBe(1)
    expect(calls).toHaveLength(1)
    // The command carries an id derived from the causing event, and causation metadata.
    const archived = (await c.runtime.database.table('events').toArray()).find((e) => e.type === 'CardArchived')
    expect(archived.meta.commandId).toBe(`autoArchive:${calls[0]}:0`)
    expect(archived.meta.causationId).toBe(calls[0])
    await c.close()
  })

  it('a re-delivered event never executes a command twice (derived command ids)', async () => {
    const { domain, calls } = withAutoArchive()
    const name = freshName('react')
    const c = createLocalClient(domain, { name })
    await setup(c)
    await c.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'done' } })
    await expect.poll(() => archivedCount(c)).toBe(1)
    // Forget that it handled the event, as after a crash between the handler and its checkpoint.
    await c.runtime.database.table('reactions').clear()
    await c.runtime.database.table('checkpoints').update('reactor:autoArchive', { position: 0 })
    await c.close()
    const again = createLocalClient(domain, { name })
    await expect.poll(() => again.runtime.status.get().reactors.autoArchive?.position ?? 0).toBeGreaterThan(6)
    expect(calls).toHaveLength(2)
    expect(await archivedCount(again)).toBe(1)
    await again.close()
  })

  it('startAt: end — a new reactor on an old log does not flood; beginning replays it', async () => {
    const plain = createLocalClient(defineDomain({ aggregates: { board, card }, projections: { cards, columns } }), {
      name: freshName('old'),
    })
    await plain.execute('board.create', { id: 'b', input: columnsInput })
    await plain.execute('board.addCard', { id: 'b', input: { cardId: 'c1', title: 'One', column: 'todo' } })
    await plain.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'done' } })
    const name = plain.runtime.database.name
    await plain.close()
    const fromEnd = withAutoArchive({ startAt: 'end' })
    const late = createLocalClient(fromEnd.domain, { name })
    await expect.poll(() => late.runtime.status.get().reactors.autoArchive?.position).toBe(6)
    expect(fromEnd.calls).toEqual([])
    await late.close()
    const fromStart = withAutoArchive({ startAt: 'beginning' })
    const early = createLocalClient(fromStart.domain, { name: freshName('x') })
    await setup(early)
    await early.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'done' } })
    await expect.poll(() => fromStart.calls.length).toBe(1)
    await early.close()
  })

  it('onError: stop reports the failure and stops; skip moves on and counts; retry retries until it works', async () => {
    const stopping = withAutoArchive({ onError: 'stop', fail: () => true })
    const s = createLocalClient(stopping.domain, { name: freshName('stop') })
    await setup(s)
    await s.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'done' } })
    await expect.poll(() => s.runtime.status.get().reactors.autoArchive?.state).toBe('stopped')
    expect(s.runtime.status.get().reactors.autoArchive?.lastError?.message).toContain('mail server down')
    await s.close()

    const skipping = withAutoArchive({ onError: 'skip', fail: () => true })
    const k = createLocalClient(skipping.domain, { name: freshName('skip') })
    await setup(k)
    await k.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'doing' } })
    await k.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'done' } })
    await expect.poll(() => k.runtime.status.get().reactors.autoArchive?.skipped).toBe(2)
    expect(k.runtime.status.get().reactors.autoArchive?.state).toBe('running')
    await k.close()

    let failures = 2
    const retrying = withAutoArchive({ onError: 'retry', fail: () => failures-- > 0 })
    const r = createLocalClient(retrying.domain, { name: freshName('retry') })
    await setup(r)
    await r.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'done' } })
    await expect.poll(() => archivedCount(r), { timeout: 5000 }).toBe(1)
    expect(retrying.calls).toHaveLength(3)
    expect(r.runtime.status.get().reactors.autoArchive?.state).toBe('running')
    await r.close()
  })

  it('must not double-fire through a rebase (pending events re-applied) and a projection rebuild', async () => {
    const server = new MemorySyncServer()
    const { domain, calls } = withAutoArchive()
    const name = freshName('rebase')
    const a = createLocalClient(domain, { name, sync: { transport: server.transport(), autoStart: false } })
    const b = createLocalClient(defineDomain({ aggregates: { board, card }, projections: { cards, columns } }), {
      name: freshName('other'),
      sync: { transport: server.transport(), autoStart: false },
    })
    await setup(a)
    await a.syncNow()
    await b.syncNow()
    // A moves c1 to Done (the reactor archives it, locally); B concurrently changes another stream: card c1's text.
    await a.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'done' } })
    await expect.poll(() => calls.length).toBe(1)
    await b.execute('card.rename', { id: 'c1', input: { title: 'renamed elsewhere' } })
    await b.syncNow()
    await a.syncNow() // the pull brings B's event first: A's pending events are rolled back and re-applied
    await a.syncNow()
    const last = (await a.runtime.database.table('events').orderBy(':id').last()).lpos
    await expect.poll(() => a.runtime.status.get().reactors.autoArchive?.position).toBe(last)
    expect(calls).toHaveLength(1)
    expect(server.log.filter((e) => e.type === 'CardArchived')).toHaveLength(1)
    await a.close()
    // A rebuild of the read models does not re-trigger it either.
    const rebuildDomain = defineDomain({
      aggregates: { board, card },
      projections: { cards: { ...cards, version: 50 }, columns },
      reactors: domain.reactors,
    })
    const rebuilt = createLocalClient(rebuildDomain, { name })
    expect((await rebuilt.query('cards.byId', 'c1'))?.archived).toBe(1)
    await expect.poll(() => rebuilt.runtime.status.get().reactors.autoArchive?.position).toBe(last)
    expect(calls).toHaveLength(1)
    await rebuilt.close()
    await b.close()
  })

  it('confirmed: true reacts only once the server confirmed the event', async () => {
    const server = new MemorySyncServer()
    const { domain, calls } = withAutoArchive({ confirmed: true })
    const c = createLocalClient(domain, {
      name: freshName('conf'),
      sync: { transport: server.transport(), autoStart: false },
    })
    await setup(c)
    await c.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'done' } })
    expect(calls).toEqual([])
    await c.syncNow()
    await expect.poll(() => calls.length).toBe(1)
    await c.syncNow()
    expect(server.log.filter((e) => e.type === 'CardArchived')).toHaveLength(1)
    await c.close()
  })
})

describe('process managers', () => {
  it('given events of one card, the process keeps its state per card and issues commands', async () => {
    const reviews = defineProcess({
      name: 'reviews',
      from: [board],
      initialState: () => ({ moves: 0 }),
      correlate: { 'board.CardMoved': (e) => e.data.cardId },
      on: {
        'board.CardMoved': (state, e) => {
          const moves = state.moves + 1
          return {
            state: { moves },
            commands:
              moves === 2 ? [{ path: 'card.describe', id: e.data.cardId, input: { description: 'moved twice' } }] : [],
          }
        },
      },
      startAt: 'beginning',
    })
    const domain = defineDomain({ aggregates: { board, card }, projections: { cards, columns }, reactors: { reviews } })
    const c = createLocalClient(domain, { name: freshName('process') })
    await c.execute('board.create', { id: 'b', input: columnsInput })
    await c.execute('board.addCard', { id: 'b', input: { cardId: 'c1', title: 'One', column: 'todo' } })
    await c.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'doing' } })
    await c.execute('board.moveCard', { id: 'b', input: { cardId: 'c1', to: 'done' } })
    await expect.poll(async () => (await c.query('cards.byId', 'c1'))?.description).toBe('moved twice')
    expect(await c.runtime.database.table('processes').get('reviews:c1')).toEqual({
      key: 'reviews:c1',
      state: { moves: 2 },
    })
    await c.close()
  })
})

describe('fromEvent: one-line projections', () => {
  const simple = defineProjection({
    name: 'simpleCards',
    version: 1,
    from: [board, card],
    table: table<Pick<CardRow, 'id' | 'title' | 'column' | 'archived'>>({ key: 'id' }),
    on: {
      CardAdded: fromEvent({
        key: (e) => e.data.cardId,
        keyField: 'id',
        copy: ['title', 'column'],
        set: { archived: 0 },
      }),
      CardMoved: fromEvent({ key: (e) => e.data.cardId, rename: { column: 'to' } }),
      CardRenamed: fromEvent({ key: (e) => e.streamId, copy: ['title'] }),
      CardArchived: fromEvent({ key: (e) => e.data.cardId, remove: true }),
    },
  })

  it('copies fields onto rows, idempotently', async () => {
    await projectionSpec(simple)
      .given([
        { stream: 'board:b', type: 'CardAdded', data: { cardId: 'c1', title: 'One', column: 'todo' } },
        { stream: 'board:b', type: 'CardAdded', data: { cardId: 'c2', title: 'Two', column: 'todo' } },
        { stream: 'board:b', type: 'CardMoved', data: { cardId: 'c1', from: 'todo', to: 'done' } },
        { stream: 'card:c1', type: 'CardRenamed', data: { title: 'Uno' } },
        { stream: 'board:b', type: 'CardArchived', data: { cardId: 'c2', column: 'todo' } },
      ])
      .then([{ id: 'c1', title: 'Uno', column: 'done', archived: 0 }])
  })
})
