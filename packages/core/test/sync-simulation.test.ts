/**
 * Deterministic simulation of sync: 3–5 in-process clients, each with its own database, against an in-memory
 * server through a fault-injecting transport (lost requests, lost responses after the server committed,
 * duplicated deliveries, broken pulls, offline windows), random commands on shared aggregates with an
 * invariant (the WIP limit). After the network heals, every client must hold exactly the server's log, every
 * read model must equal a rebuild from that log, no event may appear twice, and every command must end
 * confirmed or reported rejected. fast-check prints the seed and the shrunk counterexample on failure;
 * `CAIRN_SIM_SEED` and `CAIRN_SIM_RUNS` override the fixed defaults.
 */

import { board, card, cards, columns, type Kanban, kanban } from '@cairn/example-kanban'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createLocalClient, type LocalClient } from '../src/client/local-client'
import { defineDomain } from '../src/domain'
import type { PushRequest } from '../src/protocol'
import type { RejectedCommand } from '../src/runtime/status'
import { SyncNetworkError, type SyncTransport } from '../src/sync/transport'
import { MemorySyncServer } from '../src/testing/memory-sync-server'
import { freshName } from './helpers'

const SEED = Number(process.env.CAIRN_SIM_SEED ?? 20261124)
const RUNS = Number(process.env.CAIRN_SIM_RUNS ?? 200)
const COLUMNS = ['todo', 'doing', 'done'] as const

type Fault = 'none' | 'lose-request' | 'lose-response' | 'duplicate' | 'break-pull'

type Command =
  | { kind: 'add'; card: number; column: number }
  | { kind: 'move'; card: number; column: number }
  | { kind: 'rename'; card: number; title: string }
  | { kind: 'archive'; card: number }
  | { kind: 'limit'; column: number; limit: number | null }

type Step =
  | { kind: 'command'; client: number; command: Command }
  | { kind: 'sync'; client: number; faults: Fault[] }
  | { kind: 'offline'; client: number; offline: boolean }

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), card: fc.nat(5), column: fc.nat(2) }),
  fc.record({ kind: fc.constant('move' as const), card: fc.nat(5), column: fc.nat(2) }),
  fc.record({ kind: fc.constant('rename' as const), card: fc.nat(5), title: fc.constantFrom('a', 'b', 'c') }),
  fc.record({ kind: fc.constant('archive' as const), card: fc.nat(5) }),
  fc.record({
    kind: fc.constant('limit' as const),
    column: fc.nat(2),
    limit: fc.option(fc.integer({ min: 1, max: 2 })),
  }),
)
const faultArb = fc.constantFrom<Fault>('none', 'none', 'lose-request', 'lose-response', 'duplicate', 'break-pull')

const scenarioArb = fc.integer({ min: 3, max: 5 }).chain((clients) =>
  fc.record({
    clients: fc.constant(clients),
    steps: fc.array(
      fc.oneof(
        {
          weight: 5,
          arbitrary: fc.record({
            kind: fc.constant('command' as const),
            client: fc.nat(clients - 1),
            command: commandArb,
          }),
        },
        {
          weight: 3,
          arbitrary: fc.record({
            kind: fc.constant('sync' as const),
            client: fc.nat(clients - 1),
            faults: fc.array(faultArb, { maxLength: 4 }),
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('offline' as const),
            client: fc.nat(clients - 1),
            offline: fc.boolean(),
          }),
        },
      ),
      { minLength: 4, maxLength: 24 },
    ),
  }),
)

/** A transport that misbehaves according to a queue of faults, or fails everything while offline. */
class FaultyTransport implements SyncTransport {
  faults: Fault[] = []
  offline = false
  constructor(private readonly server: MemorySyncServer) {}

  private next(): Fault {
    if (this.offline) throw new SyncNetworkError('offline')
    return this.faults.shift() ?? 'none'
  }

  async push(request: PushRequest) {
    const fault = this.next()
    if (fault === 'lose-request') throw new SyncNetworkError('request lost')
    const response = this.server.push(structuredClone(request))
    if (fault === 'lose-response') throw new SyncNetworkError('response lost after commit')
    if (fault === 'duplicate') return this.server.push(structuredClone(request))
    return response
  }

  async pull(after: number, limit: number) {
    const fault = this.next()
    if (fault === 'lose-request' || fault === 'break-pull') throw new SyncNetworkError('pull broken')
    const response = this.server.pull(after, limit)
    if (fault === 'lose-response') throw new SyncNetworkError('pull response lost')
    return response
  }
}

function toCommand(c: Command): { path: Parameters<LocalClient<Kanban>['execute']>[0]; request: never } {
  const cardId = `card${c.kind === 'limit' ? 0 : c.card}`
  switch (c.kind) {
    case 'add':
      return {
        path: 'board.addCard',
        request: { id: 'b', input: { cardId, title: cardId, column: COLUMNS[c.column] } } as never,
      }
    case 'move':
      return { path: 'board.moveCard', request: { id: 'b', input: { cardId, to: COLUMNS[c.column] } } as never }
    case 'rename':
      return { path: 'card.rename', request: { id: cardId, input: { title: c.title } } as never }
    case 'archive':
      return { path: 'board.archiveCard', request: { id: 'b', input: { cardId } } as never }
    case 'limit':
      return {
        path: 'board.setWipLimit',
        request: { id: 'b', input: { column: COLUMNS[c.column], wipLimit: c.limit } } as never,
      }
  }
}

/** The domain with every projection's version bumped: opening a database with it rebuilds the read models. */
const rebuildDomain = defineDomain({
  aggregates: { board, card },
  projections: { cards: { ...cards, version: 99 }, columns: { ...columns, version: 99 } },
})

async function readModels(c: { query: LocalClient<Kanban>['query']; find: LocalClient<Kanban>['find'] }) {
  const byId = (a: { id: string }, b: { id: string }) => a.id.localeCompare(b.id)
  const cardRows = (await c.find('cards')).map(({ updatedAt: _, ...row }) => row).sort(byId)
  const columnRows = (await c.find('columns')).map((row) => ({ ...row, cardIds: [...row.cardIds].sort() })).sort(byId)
  return { cards: cardRows, columns: columnRows }
}

async function runScenario(scenario: { clients: number; steps: Step[] }) {
  const server = new MemorySyncServer()
  const transports = Array.from({ length: scenario.clients }, () => new FaultyTransport(server))
  const names = transports.map(() => freshName('sim'))
  const clients = transports.map((transport, i) =>
    createLocalClient(kanban, { name: names[i] ?? '', sync: { transport, autoStart: false } }),
  )
  const reported = new Set<string>()
  for (const c of clients) c.onRejected((r: RejectedCommand) => reported.add(r.commandId))
  const executed: { client: number; commandId: string }[] = []
  try {
    await clients[0]?.execute('board.create', {
      id: 'b',
      input: {
        title: 'B',
        columns: [
          { id: 'todo', title: 'To do' },
          { id: 'doing', title: 'Doing', wipLimit: 1 },
          { id: 'done', title: 'Done' },
        ],
      },
    })
    for (const c of clients) await c.syncNow()
    for (const c of clients) await c.syncNow()

    for (const step of scenario.steps) {
      const client = clients[step.client] as LocalClient<Kanban>
      const transport = transports[step.client] as FaultyTransport
      if (step.kind === 'command') {
        const { path, request } = toCommand(step.command)
        const result = await client.execute(path, request).catch(() => undefined)
        if (result && result.events.length > 0) executed.push({ client: step.client, commandId: result.commandId })
      } else if (step.kind === 'sync') {
        transport.faults = [...step.faults]
        await client.syncNow().catch(() => {})
      } else {
        transport.offline = step.offline
      }
    }

    // Heal the network and sync until quiet.
    for (const t of transports) {
      t.offline = false
      t.faults = []
    }
    for (let round = 0; round < 10; round++) {
      for (const c of clients) await c.syncNow()
      const quiet = await Promise.all(
        clients.map(async (c) => {
          const db = c.runtime.database
          const pending = await db
            .table('events')
            .filter((e) => e.gpos === undefined)
            .count()
          const cursor = (await db.table('meta').get('cursor'))?.value ?? 0
          return pending === 0 && cursor === server.head
        }),
      )
      if (quiet.every(Boolean)) break
    }

    const serverIds = server.log.map((e) => e.id)
    expect(new Set(serverIds).size).toBe(serverIds.length)
    expect(server.log.map((e) => e.seq)).toEqual(server.log.map((_, i) => i + 1))
    const expected = await readModelsOfRebuild(server)
    for (const [i, c] of clients.entries()) {
      const events = await c.runtime.database.table('events').toArray()
      expect(
        events.filter((e) => e.gpos === undefined),
        `client ${i} still has pending events`,
      ).toEqual([])
      const log = [...events].sort((a, b) => a.gpos - b.gpos).map((e) => e.id)
      expect(log, `client ${i} log`).toEqual(serverIds)
      expect(await readModels(c), `client ${i} read models`).toEqual(expected)
    }
    // Every command that appended events ended confirmed, or rejected and reported.
    for (const { client, commandId } of executed) {
      const record = await clients[client]?.runtime.database.table('commands').get(commandId)
      expect(['confirmed', 'rejected'], `command ${commandId}`).toContain(record?.status)
      if (record?.status === 'rejected') {
        await expect.poll(() => reported.has(commandId), { timeout: 1000 }).toBe(true)
      }
    }
    // And a rebuild of a client's read models from its own log gives the same rows.
    const name = names[0] ?? ''
    await clients[0]?.close()
    const rebuilt = createLocalClient(rebuildDomain, { name })
    expect(await readModels(rebuilt as never)).toEqual(expected)
    await rebuilt.close()
  } finally {
    for (const c of clients) await c.close()
  }
}

/** Read models of a fresh client that only pulls the server's log (no pending, no rollback). */
async function readModelsOfRebuild(server: MemorySyncServer) {
  const fresh = createLocalClient(kanban, {
    name: freshName('oracle'),
    sync: { transport: server.transport(), autoStart: false },
  })
  try {
    await fresh.syncNow()
    return await readModels(fresh)
  } finally {
    await fresh.close()
  }
}

describe('sync simulation (property-based)', () => {
  it(`converges to the server's log with faults, ${RUNS} runs, seed ${SEED}`, async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, runScenario), { seed: SEED, numRuns: RUNS, endOnFailure: true })
  }, 600_000)
})
