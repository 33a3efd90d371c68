import { createLocalClient, isRedacted, REDACTED } from '@cairn/core'
import { MemorySyncServer } from '@cairn/core/testing'
import { describe, expect, it } from 'vitest'
import { teamBoard } from './index'
import { kanbanWithMembers, memberId } from './members'

let n = 0
const fresh = () => `members-${Date.now().toString(36)}-${++n}`

const request = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result)
    r.onerror = () => reject(r.error)
  })

/** Every row of every object store of a device's database, as text. */
async function everything(name: string): Promise<string> {
  const db = await request(indexedDB.open(name))
  const dump: unknown[] = []
  for (const store of db.objectStoreNames)
    dump.push(store, await request(db.transaction(store).objectStore(store).getAll()))
  db.close()
  return JSON.stringify(dump)
}

const ZELDA = 'Zelda Unique-Name'

describe('members of a board (personal data)', () => {
  it('cards name their author by id; forgetting the author redacts the name everywhere, the cards stay', async () => {
    const server = new MemorySyncServer()
    const names = [fresh(), fresh()]
    const device = (name: string) =>
      createLocalClient(kanbanWithMembers, {
        name,
        sync: { space: 'b1', transport: server.transport(), autoStart: false },
      })
    const [a, b] = [device(names[0] as string), device(names[1] as string)]
    await a.execute('board.create', { id: 'b1', input: teamBoard })
    await a.execute('member.join', { id: memberId('b1', 'u-zelda'), input: { userId: 'u-zelda', name: ` ${ZELDA} ` } })
    await a.execute('board.addCard', {
      id: 'b1',
      input: { cardId: 'c1', title: 'Fix the bridge', column: 'todo', author: 'u-zelda' },
    })
    await b.execute('member.join', { id: memberId('b1', 'u-link'), input: { userId: 'u-link', name: 'Link' } })
    for (const d of [a, b, a]) await d.syncNow()

    expect(JSON.stringify(server.log)).not.toContain(ZELDA)
    expect(await b.query('members.onBoard', 'b1')).toMatchObject([
      { id: 'b1/u-zelda', board: 'b1', userId: 'u-zelda', name: ZELDA },
      { id: 'b1/u-link', userId: 'u-link', name: 'Link' },
    ])
    expect(await b.query('cards.byId', 'c1')).toMatchObject({ title: 'Fix the bridge', author: 'u-zelda' })
    expect((await a.exportPersonalData('u-zelda')).items.map((i) => i.fields)).toEqual([{ name: ZELDA }])

    await a.forgetSubject('u-zelda')
    for (const d of [a, b]) await d.syncNow()
    for (const d of [a, b]) {
      const [zelda, link] = await d.query('members.onBoard', 'b1')
      expect(isRedacted(zelda?.name)).toBe(true)
      expect(link?.name).toBe('Link')
      expect(await d.query('cards.byId', 'c1')).toMatchObject({ title: 'Fix the bridge', author: 'u-zelda' })
    }
    for (const name of names) expect(await everything(name)).not.toContain(ZELDA)
    // A forgotten member cannot be renamed back into existence.
    await expect(
      a.execute('member.rename', { id: memberId('b1', 'u-zelda'), input: { name: 'Zelda again' } }),
    ).rejects.toMatchObject({ code: 'Forgotten' })
    expect(REDACTED).not.toBe(ZELDA)
    for (const d of [a, b]) await d.close()
  })

  it('refuses a member joining as someone else, an empty name and a rename to the same name', async () => {
    const cairn = createLocalClient(kanbanWithMembers, { name: fresh() })
    await expect(
      cairn.execute('member.join', { id: memberId('b1', 'u-1'), input: { userId: 'u-2', name: 'Mallory' } }),
    ).rejects.toMatchObject({ code: 'WrongMember' })
    await expect(
      cairn.execute('member.join', { id: memberId('b1', 'u-1'), input: { userId: 'u-1', name: '  ' } }),
    ).rejects.toMatchObject({ code: 'InvalidName' })
    await cairn.execute('member.join', { id: memberId('b1', 'u-1'), input: { userId: 'u-1', name: 'Ann' } })
    await expect(
      cairn.execute('member.rename', { id: memberId('b1', 'u-1'), input: { name: 'Ann' } }),
    ).rejects.toMatchObject({ code: 'SameName' })
    await cairn.execute('member.rename', { id: memberId('b1', 'u-1'), input: { name: 'Anne' } })
    expect(await cairn.query('members.byId', 'b1/u-1')).toMatchObject({ name: 'Anne' })
    await cairn.close()
  })
})
