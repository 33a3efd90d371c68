/**
 * Crypto-shredding (issue 16) across three devices and a server: personal fields travel sealed with their
 * subject's key; after `forgetSubject`, the subject's plaintext is found nowhere (server log, every device's
 * IndexedDB, read models), read models show REDACTED, deciders still run, sync converges.
 */
import { describe, expect, it } from 'vitest'
import { createLocalClient, event, REDACTED, type SyncTransport, spacesTransport } from '../src'
import { MemorySyncServer } from '../src/testing'
import { team } from './fixtures/members'
import { dumpDatabase } from './helpers'

const ALICE = { email: 'alice@example.com', name: 'Alice Liddell', role: 'dev' }
const BOB = { email: 'bob@example.com', name: 'Bob Builder', role: 'ops' }

let n = 0
function devices(server: MemorySyncServer) {
  const names: string[] = []
  const make = () => {
    const name = `shred-${++n}-${Math.random().toString(36).slice(2)}`
    names.push(name)
    return createLocalClient(team, {
      name,
      sync: { space: 'team', transport: server.transport(), autoStart: false },
    })
  }
  return { make, names }
}

describe('crypto-shredding', () => {
  it('personal fields travel sealed; after forget no device, read model or server holds the plaintext', async () => {
    const server = new MemorySyncServer()
    const { make, names } = devices(server)
    const [a, b, c] = [make(), make(), make()]
    await a.execute('member.join', { id: 'alice', input: ALICE })
    await a.execute('member.rename', { id: 'alice', input: { name: 'Alice L.' } })
    await b.execute('member.join', { id: 'bob', input: BOB })
    for (const d of [a, b, c, a]) await d.syncNow()

    // On the server: envelopes, no plaintext; the subject's key in the key store.
    const log = JSON.stringify(server.log)
    for (const secret of [ALICE.email, ALICE.name, 'Alice L.', BOB.email]) expect(log).not.toContain(secret)
    expect(log).toContain('"$cairn":"pii1"')
    expect(log).toContain('"role":"dev"') // what is not personal stays readable
    expect(server.subjectKeys.get('alice')).toMatchObject({ kid: expect.any(String) })
    // Every device reads everything.
    expect(await c.query('members.all')).toMatchObject([
      { id: 'alice', email: ALICE.email, name: 'Alice L.' },
      { id: 'bob', email: BOB.email, name: BOB.name },
    ])
    const exported = await c.exportPersonalData('alice')
    expect(exported.items.map((i) => i.fields)).toEqual([
      { email: ALICE.email, name: ALICE.name },
      { name: 'Alice L.' },
    ])

    // Forget Alice (from b), then everyone syncs.
    const [forgotten] = await b.forgetSubject('alice')
    expect(forgotten).toMatchObject({ subject: 'alice', seq: expect.any(Number) })
    expect(server.subjectKeys.get('alice')).toBe('forgotten')
    for (const d of [a, b, c]) await d.syncNow()

    for (const name of names) {
      const stored = await dumpDatabase(name)
      for (const secret of [ALICE.email, ALICE.name, 'Alice L.'])
        expect(stored, `${name}: ${secret}`).not.toContain(secret)
      expect(stored).toContain(BOB.email) // Bob is not forgotten
    }
    for (const d of [a, b, c])
      expect(await d.query('members.all')).toMatchObject([
        { id: 'alice', email: REDACTED, name: REDACTED, role: 'dev' },
        { id: 'bob', email: BOB.email, name: BOB.name },
      ])
    expect((await a.exportPersonalData('alice')).items).toEqual([])
    expect((await a.exportPersonalData('bob')).items).toHaveLength(1)

    // Deciders still run on the redacted state; what is not personal still changes; sync converges.
    await c.execute('member.promote', { id: 'alice', input: { role: 'lead' } })
    await c.execute('member.rename', { id: 'alice', input: { name: 'Mrs A' } })
    for (const d of [c, a, b]) await d.syncNow()
    for (const d of [a, b, c])
      expect(await d.query('members.all')).toMatchObject([
        { id: 'alice', email: REDACTED, name: REDACTED, role: 'lead' },
        { id: 'bob', name: BOB.name },
      ])
    // The new name of a forgotten subject is not kept either: pushed redacted, erased here.
    expect(JSON.stringify(server.log)).not.toContain('Mrs A')
    expect(await dumpDatabase(names[2] as string)).not.toContain('Mrs A')
    for (const d of [a, b, c]) expect(d.runtime.status.get().pending).toBe(0)

    // A device that joins later reads what is left.
    const late = make()
    await late.syncNow()
    expect(await late.query('members.all')).toMatchObject([
      { id: 'alice', email: REDACTED, name: REDACTED, role: 'lead' },
      { id: 'bob', email: BOB.email, name: BOB.name },
    ])
    for (const d of [a, b, c, late]) await d.close()
  })

  it('an offline device with unsynced personal data of the subject erases it too, pushed or not', async () => {
    const server = new MemorySyncServer()
    const { make, names } = devices(server)
    const [a, offline] = [make(), make()]
    await a.execute('member.join', { id: 'alice', input: ALICE })
    await a.syncNow()
    await offline.syncNow()
    // Offline, it renames Alice; meanwhile Alice is forgotten.
    await offline.execute('member.rename', { id: 'alice', input: { name: 'Secret new name' } })
    await a.forgetSubject('alice')
    await offline.syncNow()
    await a.syncNow()
    expect(JSON.stringify(server.log)).not.toContain('Secret new name')
    for (const name of names) expect(await dumpDatabase(name)).not.toContain('Secret new name')
    expect(offline.runtime.status.get().pending).toBe(0)
    expect(await offline.query('members.all')).toMatchObject([{ id: 'alice', name: REDACTED, email: REDACTED }])
    for (const d of [a, offline]) await d.close()
  })

  it("a key store that does not answer holds that space's pull only; the other spaces sync; it catches up later", async () => {
    const servers = { one: new MemorySyncServer(), two: new MemorySyncServer() }
    let keyStoreDown = false
    const flaky = (t: SyncTransport): SyncTransport => ({
      ...t,
      subjectKeys: async (request) => {
        if (keyStoreDown) throw new Error('key store down')
        return (t.subjectKeys as NonNullable<SyncTransport['subjectKeys']>)(request)
      },
    })
    const transport = spacesTransport((space) =>
      space === 'one' ? flaky(servers.one.transport()) : space === 'two' ? servers.two.transport() : undefined,
    )
    const device = () =>
      createLocalClient(team, {
        name: `shred-down-${++n}-${Math.random().toString(36).slice(2)}`,
        sync: { spaces: ['one', 'two'], spacesTransport: transport, autoStart: false },
      })
    const a = device()
    await a.execute('member.join', { id: 'alice', space: 'one', input: ALICE })
    await a.execute('member.join', { id: 'bob', space: 'two', input: BOB })
    await a.syncNow()
    const b = device()
    keyStoreDown = true
    await expect(b.syncNow()).rejects.toThrow(/key store down/)
    expect(b.runtime.status.get().spaces.one?.lastError?.message).toMatch(/key store down/)
    expect((await b.query('members.all')).map((m) => m.id)).toEqual(['bob'])
    keyStoreDown = false
    await b.syncNow()
    expect((await b.query('members.all')).map((m) => [m.id, m.name])).toEqual([
      ['alice', ALICE.name],
      ['bob', BOB.name],
    ])
    await a.close()
    await b.close()
  })

  it("another tab's cached state of a forgotten subject's stream is dropped: its deciders see REDACTED", async () => {
    const server = new MemorySyncServer()
    const name = `shred-tabs-${++n}-${Math.random().toString(36).slice(2)}`
    const tab = () =>
      createLocalClient(team, { name, sync: { space: 'team', transport: server.transport(), autoStart: false } })
    const [a, b] = [tab(), tab()]
    await a.execute('member.join', { id: 'alice', input: ALICE })
    await a.syncNow()
    // Tab b decides on Alice's stream: its state (with her name) is now cached in b's worker.
    await b.execute('member.printBadge', { id: 'alice', input: {} })
    await a.forgetSubject('alice')
    await a.syncNow()
    await expect.poll(async () => (await b.query('members.all'))[0]?.name).toBe(REDACTED)
    // Its next decision on that stream must not see her name (the cache is dropped when b sees the erasure).
    const lastBadge = async () => {
      await b.execute('member.printBadge', { id: 'alice', input: {} })
      const log = await b.exportLog()
      return log.events.filter((e) => e.type === 'BadgePrinted').at(-1)?.data.initials
    }
    await expect.poll(lastBadge).toBe('?')
    await a.close()
    await b.close()
  })

  it("inputs of the subject's commands that wrote nothing (rejected by their decider) are erased too", async () => {
    const server = new MemorySyncServer()
    const { make, names } = devices(server)
    const a = make()
    await a.execute('member.join', { id: 'alice', input: ALICE })
    // A second join is rejected by the decider: no event, but its input (with an email) is journaled.
    await expect(
      a.execute('member.join', {
        id: 'alice',
        commandId: 'second-join',
        input: { ...ALICE, email: 'other.alice@example.com' },
      }),
    ).rejects.toMatchObject({ code: 'AlreadyJoined' })
    await a.syncNow()
    expect(await dumpDatabase(names[0] as string)).toContain('other.alice@example.com')
    await a.forgetSubject('alice')
    await a.syncNow()
    const stored = await dumpDatabase(names[0] as string)
    for (const secret of ['other.alice@example.com', ALICE.email, ALICE.name]) expect(stored).not.toContain(secret)
    await a.close()
  })

  it('event({ personal }) refuses a declaration without a subject function or without fields', () => {
    expect(() => event<{ a: string }>({ personal: { subject: 'a' as never, fields: ['a'] } })).toThrow(TypeError)
    expect(() => event<{ a: string }>({ personal: { subject: (d) => d.a, fields: [] } })).toThrow(TypeError)
  })
})
