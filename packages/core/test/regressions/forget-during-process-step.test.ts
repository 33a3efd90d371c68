/**
 * Found in review (forget gaps): a process manager reads its state, decides on the event it holds in memory, runs
 * the step's commands, and only then writes the new state. A forget that commits while those commands run erases
 * the event's personal fields (and any process state holding them), and the write that follows put them back: the
 * state was computed from the event as it was before the forget.
 * Expected: after the step, the `processes` table holds no personal value of the forgotten subject; the state is
 * the one decided on the event as it is stored now.
 */
import { expect, it } from 'vitest'
import {
  type CommandRequest,
  type CommandResult,
  createLocalClient,
  defineAggregate,
  defineDomain,
  defineEvents,
  defineProcess,
  event,
  REDACTED,
} from '../../src'
import { MemorySyncServer } from '../../src/testing'
import { dumpDatabase, freshName } from '../helpers'

const member = defineAggregate({
  name: 'member',
  events: defineEvents({
    Joined: event<{ userId: string; email: string; name: string }>({
      personal: { subject: (d) => d.userId, fields: ['email', 'name'] },
    }),
  }),
  initialState: () => ({ joined: false }),
  evolve: { Joined: () => ({ joined: true }) },
  commands: {
    join: (s, input: { email: string; name: string }, ctx) =>
      s.joined ? ctx.reject('AlreadyJoined') : ctx.event('Joined', { userId: ctx.id, ...input }),
  },
})

const notice = defineAggregate({
  name: 'notice',
  events: defineEvents({ Queued: event<{ userId: string }>() }),
  initialState: () => ({ queued: false }),
  evolve: { Queued: () => ({ queued: true }) },
  commands: { queue: (_s, input: { userId: string }, ctx) => ctx.event('Queued', input) },
})

/** Keeps the member's address, and queues a notice (no personal value in it) for each member who joins. */
const welcome = defineProcess({
  name: 'welcome',
  from: [member],
  startAt: 'beginning',
  initialState: () => ({ to: null as { email: string; name: string } | null }),
  correlate: { 'member.Joined': (e) => e.data.userId },
  on: {
    'member.Joined': (_s, e) => ({
      state: { to: { email: e.data.email, name: e.data.name } },
      commands: [{ path: 'notice.queue', id: e.data.userId, input: { userId: e.data.userId } }],
    }),
  },
})

const domain = defineDomain({ aggregates: { member, notice }, reactors: { welcome } })
const ALICE = { email: 'alice@example.com', name: 'Alice Liddell' }

/** Holds the commands a process issues (ids `<reactor>:…`) until `release()`: the window a real forget can land in. */
interface Executes {
  runtime: { execute(path: string, request: CommandRequest): Promise<CommandResult> }
}

function holdCommandsOf(a: Executes, reactor: string) {
  let entered!: () => void
  const inStep = new Promise<void>((resolve) => {
    entered = resolve
  })
  let release!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const runtime = a.runtime
  const execute = runtime.execute.bind(runtime)
  runtime.execute = async (path: string, request: CommandRequest) => {
    if (request.commandId?.startsWith(`${reactor}:`)) {
      entered()
      await gate
    }
    return execute(path, request)
  }
  return { inStep, release }
}

const device = (d: typeof domain | typeof rosterDomain, server: MemorySyncServer, name: string) =>
  createLocalClient(d, { name, sync: { space: 'team', transport: server.transport(), autoStart: false } })

it('a forget committed while a process step runs its commands is not undone by the step', async () => {
  const server = new MemorySyncServer()
  const name = freshName('forget-process-step')
  const a = device(domain, server, name)
  const held = holdCommandsOf(a, 'welcome')

  await a.execute('member.join', { id: 'alice', input: ALICE })
  await held.inStep
  await a.syncNow()
  await a.forgetSubject('alice')
  await a.syncNow()
  held.release()

  const processes = a.runtime.database.table('processes')
  await expect.poll(() => processes.count()).toBe(1)
  expect(await processes.toArray()).toEqual([
    { key: 'welcome:alice', state: { to: { email: REDACTED, name: REDACTED } } },
  ])
  const stored = await dumpDatabase(name)
  for (const secret of [ALICE.email, ALICE.name]) expect(stored).not.toContain(secret)
  await a.close()
})

/** One state for the whole team: every member's address, in the order they joined. */
const roster = defineProcess({
  name: 'roster',
  from: [member],
  startAt: 'beginning',
  initialState: () => ({ emails: [] as string[] }),
  correlate: { 'member.Joined': () => 'team' },
  on: {
    'member.Joined': (s, e) => ({
      state: { emails: [...s.emails, e.data.email] },
      commands: [{ path: 'notice.queue', id: e.data.userId, input: { userId: e.data.userId } }],
    }),
  },
})
const rosterDomain = defineDomain({ aggregates: { member, notice }, reactors: { roster } })
const BOB = { email: 'bob@example.com', name: 'Bob Builder' }

it('a step for another subject, decided on a state the forget erased meanwhile, does not bring the values back', async () => {
  const server = new MemorySyncServer()
  const name = freshName('forget-process-row')
  const a = device(rosterDomain, server, name)
  await a.execute('member.join', { id: 'alice', input: ALICE })
  const processes = a.runtime.database.table('processes')
  await expect.poll(async () => (await processes.get('roster:team'))?.state).toEqual({ emails: [ALICE.email] })

  const held = holdCommandsOf(a, 'roster')
  await a.execute('member.join', { id: 'bob', input: BOB })
  await held.inStep
  await a.syncNow()
  await a.forgetSubject('alice')
  await a.syncNow()
  held.release()

  await expect.poll(async () => (await processes.get('roster:team'))?.state).toEqual({ emails: [REDACTED, BOB.email] })
  expect(await dumpDatabase(name)).not.toContain(ALICE.email)
  await a.close()
})
