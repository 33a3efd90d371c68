import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, type Page, test } from '@playwright/test'
import { BoardPage } from './board'
import { useServer } from './server'

const server = useServer()

const NAME = 'Zelda Unique-Name'
/** A's first name, changed to NAME before B comes: a rename is personal data too. */
const DRAFT = 'Zelda Draft-Nom'
const BOARD = 'hyrule'
const OTHER = 'hyrule-castle'

/** The raw bytes of the server's SQLite files (database, WAL, shared memory), as text. */
function serverBytes(): string {
  return readdirSync(server.dir)
    .map((file) => readFileSync(join(server.dir, file)).toString('latin1'))
    .join('\n')
}

/**
 * Everything this browser context keeps: every object store of every IndexedDB database of the origin (binary
 * values as latin1 text), localStorage and sessionStorage.
 */
const browserData = (page: Page) =>
  page.evaluate(async () => {
    const request = <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result)
        r.onerror = () => reject(r.error)
      })
    const bytes = (value: ArrayBuffer | ArrayBufferView) =>
      new TextDecoder('latin1').decode(
        value instanceof ArrayBuffer ? value : new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
      )
    const dump: Record<string, Record<string, unknown[]>> = {}
    for (const { name } of await indexedDB.databases()) {
      if (!name) continue
      const db = await request(indexedDB.open(name))
      dump[name] = {}
      for (const store of db.objectStoreNames)
        (dump[name] as Record<string, unknown[]>)[store] = await request(
          db.transaction(store).objectStore(store).getAll(),
        )
      db.close()
    }
    const text = JSON.stringify(dump, (_key, value: unknown) =>
      value instanceof ArrayBuffer || ArrayBuffer.isView(value) ? bytes(value) : value,
    )
    return {
      databases: Object.keys(dump),
      stores: Object.keys(dump['cairn-demo'] ?? {}),
      text,
      localStorage: JSON.stringify({ ...localStorage }),
      sessionStorage: JSON.stringify({ ...sessionStorage }),
    }
  })

const userIdOf = (page: Page) =>
  page.evaluate(() => (JSON.parse(localStorage.getItem('cairn-demo:user') ?? '{}') as { id?: string }).id ?? '')

async function setName(page: Page, name: string): Promise<void> {
  await expect(page.getByTestId('name-prompt')).toBeVisible()
  await page.getByTestId('name-input').fill(name)
  await page.getByTestId('name-save').click()
  await expect(page.getByTestId('name-prompt')).toBeHidden()
  await expect(page.getByTestId('user-menu')).toContainText(name)
}

test('forget me: the name (and a rename) travels sealed, B sees it, A downloads it, forgets itself, and it is gone from every browser and the server', async ({
  browser,
}, testInfo) => {
  // Two browsers, two boards, a rename, a download and a forget: 20 s alone, up to 40 s on a busy machine.
  test.setTimeout(120_000)
  const ctxA = await browser.newContext()
  const ctxB = await browser.newContext()
  const pageA = await ctxA.newPage()
  const pageB = await ctxB.newPage()

  // A: a name on first use, two boards, a card on each.
  const a = new BoardPage(pageA, BOARD)
  await a.open(server.url)
  await setName(pageA, DRAFT)
  const userA = await userIdOf(pageA)
  expect(userA).toMatch(/^[0-9a-f-]{36}$/)
  await expect(pageA.getByTestId(`member-${userA}`)).toHaveText(`${DRAFT} (you)`)
  const card = await a.addCard('todo', 'Rescue the princess')
  await expect(pageA.getByTestId(`card-author-${card}`)).toHaveText(`by ${DRAFT}`)
  const aOther = await a.openBoard(OTHER)
  await expect(pageA.getByTestId(`member-${userA}`)).toHaveText(`${DRAFT} (you)`)
  await aOther.addCard('todo', 'Find the master sword')
  await aOther.waitSynced()

  // A renames itself from the user menu: it is renamed on every board it is on.
  await pageA.getByTestId('user-menu').click()
  await expect(pageA.getByTestId('user-name-input')).toHaveValue(DRAFT)
  await pageA.getByTestId('user-name-input').fill(NAME)
  await pageA.getByTestId('user-name-save').click()
  await pageA.getByTestId('user-menu').click()
  await expect(pageA.getByTestId('user-panel')).toBeHidden()
  await expect(pageA.getByTestId(`member-${userA}`)).toHaveText(`${NAME} (you)`)
  await a.switchTo(BOARD)
  await expect(pageA.getByTestId(`member-${userA}`)).toHaveText(`${NAME} (you)`)
  await expect(pageA.getByTestId(`card-author-${card}`)).toHaveText(`by ${NAME}`)

  // B opens the board: A is on it, and is the card's author.
  const b = new BoardPage(pageB, BOARD)
  await b.open(server.url)
  await setName(pageB, 'Link Other')
  const userB = await userIdOf(pageB)
  await expect(pageB.getByTestId(`member-${userA}`)).toHaveText(NAME)
  await expect(pageB.getByTestId(`member-${userB}`)).toHaveText('Link Other (you)')
  await expect(pageB.getByTestId(`card-author-${card}`)).toHaveText(`by ${NAME}`)
  await expect(pageA.getByTestId(`member-${userB}`)).toHaveText('Link Other')
  await b.waitSynced()
  await a.waitSynced()
  await pageB.screenshot({ path: testInfo.outputPath('b-before.png') })

  // On the server, the name only ever travelled sealed with A's key.
  const log = JSON.stringify([...(await server.log(BOARD)), ...(await server.log(OTHER))])
  expect(log).toContain('MemberJoined')
  expect(log).toContain('MemberRenamed')
  expect(log).toContain('"$cairn":"pii1"')
  for (const secret of [NAME, DRAFT]) expect(log).not.toContain(secret)
  // The scan reads the stored data: the card's title (not personal) is there in clear; the names are not.
  expect(serverBytes()).toContain('Rescue the princess')
  for (const secret of [NAME, DRAFT]) expect(serverBytes()).not.toContain(secret)
  // Both browsers hold both names (the dump below would see them).
  for (const page of [pageA, pageB]) {
    const { text } = await browserData(page)
    for (const secret of [NAME, DRAFT]) expect(text).toContain(secret)
  }

  // A downloads its data: the name, from both boards.
  await pageA.getByTestId('user-menu').click()
  const [download] = await Promise.all([pageA.waitForEvent('download'), pageA.getByTestId('download-my-data').click()])
  expect(download.suggestedFilename()).toMatch(/^cairn-demo-my-data-\d{4}-\d\d-\d\d\.json$/)
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8')) as {
    subject: string
    items: { space: string; type: string; fields: Record<string, unknown> }[]
  }
  expect(exported.subject).toBe(userA)
  expect(exported.items.map((i) => `${i.space} ${i.type} ${JSON.stringify(i.fields)}`).sort()).toEqual([
    `${BOARD} MemberJoined {"name":"${DRAFT}"}`,
    `${BOARD} MemberRenamed {"name":"${NAME}"}`,
    `${OTHER} MemberJoined {"name":"${DRAFT}"}`,
    `${OTHER} MemberRenamed {"name":"${NAME}"}`,
  ])
  expect(JSON.stringify(exported)).toContain(NAME)

  // A forgets itself, on both boards it joined.
  await pageA.getByTestId('forget-me').click()
  await expect(pageA.getByRole('alertdialog')).toContainText('Forget you on all 2 boards')
  await pageA.getByTestId('forget-confirm').click()
  const result = pageA.getByTestId('forget-result')
  await expect(result).toHaveAttribute('data-state', 'done')
  await expect(result).toHaveAttribute('data-forgotten', '2')
  await expect(result).toContainText(`Forgotten on 2 boards: “${BOARD}”, “${OTHER}”`)
  await pageA.screenshot({ path: testInfo.outputPath('a-forgotten.png') })

  // Every browser shows "(forgotten)" where the name was; the card stays. A starts over as a new user.
  await expect(pageB.getByTestId(`member-${userA}`)).toHaveText('(forgotten)')
  await expect(pageB.getByTestId(`member-${userA}`)).toHaveAttribute('data-forgotten', 'true')
  await expect(pageB.getByTestId(`card-author-${card}`)).toHaveText('by (forgotten)')
  await expect(pageB.getByTestId(`member-${userB}`)).toHaveText('Link Other (you)')
  await expect(pageB.locator('body')).not.toContainText(NAME)
  await expect(pageA.getByTestId(`member-${userA}`)).toHaveText('(forgotten)')
  await expect(pageA.getByTestId(`card-author-${card}`)).toHaveText('by (forgotten)')
  await expect(pageA.getByTestId('name-prompt')).toBeVisible()
  await expect(pageA.getByTestId('name-input')).toHaveValue('')
  await expect(pageA.getByTestId('user-name-input')).toHaveValue('')
  await expect(pageA.getByTestId('user-menu')).toHaveText(/Set your name/)
  for (const secret of [NAME, DRAFT]) await expect(pageA.locator('body')).not.toContainText(secret)
  expect(await userIdOf(pageA)).not.toBe(userA)
  await a.switchTo(OTHER)
  await expect(pageA.getByTestId(`member-${userA}`)).toHaveText('(forgotten)')
  await pageB.screenshot({ path: testInfo.outputPath('b-after.png') })

  // Nothing holds the names any more: not the server's files, not either browser's IndexedDB or storage.
  for (const secret of [NAME, DRAFT]) expect(serverBytes()).not.toContain(secret)
  await a.waitSynced()
  await b.waitSynced()
  for (const page of [pageA, pageB]) {
    const data = await browserData(page)
    expect(data.databases).toContain('cairn-demo')
    expect(data.stores).toEqual(expect.arrayContaining(['events', 'commands', 'undo', 'snapshots']))
    expect(data.text).toContain('MemberJoined') // the events are still there...
    expect(data.text).toContain('Rescue the princess') // ...and what is not personal
    for (const secret of [NAME, DRAFT]) {
      expect(data.text).not.toContain(secret)
      expect(data.localStorage).not.toContain(secret)
      expect(data.sessionStorage).not.toContain(secret)
    }
  }
  // B's own name is not forgotten.
  expect((await browserData(pageB)).text).toContain('Link Other')

  await ctxA.close()
  await ctxB.close()
})
