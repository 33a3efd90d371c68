import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type BrowserContext, expect, type Page, test } from '@playwright/test'
import { BoardPage } from './board'
import { useServer } from './server'

const server = useServer()

const BOARD = 'secret-plans'
const CARD = 'Acquire Zephyrine Ltd for 42 million'
const REPLY = 'Zephyrine due diligence by Friday'
/** On a board in clear: what the scan of the server's files finds when data is not encrypted. */
const IN_CLEAR = 'Lobby card in clear Quokka'

/** Everything a context sends or prints that could leak the passphrase: request URLs, referrers, bodies, console. */
function watch(context: BrowserContext, seen: string[]): void {
  context.on('request', (request) => {
    // A navigation's URL as Playwright reports it keeps the fragment; browsers never send it (RFC 9110 §4.2.4),
    // so the page load is checked through what it causes: its referrer and every later request.
    if (!request.isNavigationRequest()) seen.push(request.url())
    seen.push(request.headers().referer ?? '', request.postData() ?? '')
  })
  context.on('console', (message) => seen.push(message.text()))
}

/** The raw bytes of the server's SQLite files (database, WAL, shared memory), as text. */
function serverBytes(): string {
  return readdirSync(server.dir)
    .map((file) => readFileSync(join(server.dir, file)).toString('latin1'))
    .join('\n')
}

async function createEncryptedBoard(page: Page, name: string): Promise<string> {
  await page.getByTestId('new-board').click()
  const dialog = page.getByTestId('new-board-dialog')
  await expect(dialog).toBeVisible()
  await dialog.getByLabel('Name').fill(name)
  await dialog.getByLabel('Encrypt end to end').check()
  const passphrase = await dialog.getByLabel('Passphrase').inputValue()
  // A generated one: 128 random bits, base64url.
  expect(passphrase).toMatch(/^[A-Za-z0-9_-]{22}$/)
  await page.screenshot({ path: test.info().outputPath('new-board.png') })
  await dialog.getByTestId('new-board-create').click()
  await expect(dialog).toBeHidden()
  return passphrase
}

test('an encrypted board: shared by a link with the passphrase in its fragment, locked without it, never in clear on the server', async ({
  browser,
}, testInfo) => {
  const seen: string[] = []
  const ctxA = await browser.newContext()
  const ctxB = await browser.newContext()
  const ctxC = await browser.newContext()
  for (const ctx of [ctxA, ctxB, ctxC]) watch(ctx, seen)

  // A creates an encrypted board and adds a card.
  const pageA = await ctxA.newPage()
  const lobby = new BoardPage(pageA, 'lobby')
  await lobby.open(server.url)
  await lobby.addCard('todo', IN_CLEAR)
  await expect(pageA.getByTestId('board-lock')).toHaveCount(0)
  const passphrase = await createEncryptedBoard(pageA, BOARD)
  const a = new BoardPage(pageA, BOARD)
  await expect(pageA).toHaveURL(new RegExp(`\\?board=${BOARD}$`))
  await a.waitReady()
  await expect(pageA.getByTestId('board-lock')).toHaveText('Encrypted')
  await expect(pageA.getByTestId(`nav-lock-${BOARD}`)).toBeVisible()
  await a.addCard('todo', CARD)
  await a.waitSynced()

  // Its share link carries the passphrase in the fragment.
  await pageA.getByTestId('share-board').click()
  const link = await pageA.getByTestId('share-link').inputValue()
  expect(link).toBe(`${server.url}/?board=${BOARD}#key=${passphrase}`)
  await pageA.screenshot({ path: testInfo.outputPath('share.png') })

  // B opens the link: the board fills, the fragment leaves the address bar; B's changes reach A.
  const pageB = await ctxB.newPage()
  const b = new BoardPage(pageB, BOARD)
  await pageB.goto(link)
  await b.waitReady()
  await expect(pageB).toHaveURL(`${server.url}/?board=${BOARD}`)
  await expect(b.cardByTitle(CARD)).toBeVisible()
  await expect(pageB.getByTestId('board-lock')).toBeVisible()
  await expect(pageB.getByTestId('key-prompt')).toHaveCount(0)
  await b.addCard('doing', REPLY)
  await b.waitSynced()
  await expect(a.cardByTitle(REPLY)).toBeVisible()

  // C opens the board without the passphrase: a banner says why, the cards stay hidden, nothing is created.
  const pageC = await ctxC.newPage()
  const c = new BoardPage(pageC, BOARD)
  await pageC.goto(`${server.url}/?board=${BOARD}`)
  const prompt = pageC.getByTestId('key-prompt')
  await expect(prompt).toBeVisible()
  await expect(prompt).toHaveAttribute('data-code', 'KEY_MISSING')
  await expect(prompt).toContainText('end-to-end encrypted')
  await expect(pageC.getByTestId('board-loading')).toContainText('locked')
  await expect(pageC.getByTestId(`nav-lock-${BOARD}`)).toBeVisible()
  await expect(c.cardByTitle(CARD)).toHaveCount(0)
  await expect(c.badge()).toHaveAttribute('data-pending', '0')
  await pageC.screenshot({ path: testInfo.outputPath('locked.png') })

  // A wrong passphrase is refused (once the waiting event names its key); the right one unlocks the board.
  await pageC.getByLabel(`Passphrase of “${BOARD}”`).fill('not the passphrase at all')
  await pageC.getByTestId('key-submit').click()
  await expect(pageC.getByTestId('key-wrong')).toBeVisible()
  await expect(c.cardByTitle(CARD)).toHaveCount(0)
  await pageC.getByTestId('key-input').fill(passphrase)
  await pageC.getByTestId('key-submit').click()
  await c.waitReady()
  await expect(prompt).toHaveCount(0)
  await expect(c.cardByTitle(CARD)).toBeVisible()
  await expect(c.cardByTitle(REPLY)).toBeVisible()
  await expect(pageC.getByTestId('board-lock')).toBeVisible()

  // A reload reads the board with the key the runtime kept: no passphrase asked, none derived.
  await pageC.reload()
  await c.waitReady()
  await expect(c.cardByTitle(CARD)).toBeVisible()
  await expect(pageC.getByTestId('key-prompt')).toHaveCount(0)
  await expect(pageC.getByTestId('board-lock')).toBeVisible()
  // This tab no longer knows the passphrase: its link does not carry one.
  await pageC.getByTestId('share-board').click()
  expect(await pageC.getByTestId('share-link').inputValue()).toBe(`${server.url}/?board=${BOARD}`)

  // The server holds ciphertext only: its log has sealed types and envelopes, its files no card title.
  const log = await server.log(BOARD)
  expect(log.length).toBeGreaterThanOrEqual(3)
  for (const event of log) {
    expect(event.type).toBe('$encrypted')
    expect(event.data).toMatchObject({ $cairn: 'enc1' })
  }
  const bytes = serverBytes()
  expect(bytes).toContain(IN_CLEAR) // the scan sees what is stored in clear...
  expect(bytes).toContain(BOARD) // ...the name of a space is not secret...
  // (The event types of both boards were checked above: the board in clear stores 'CardAdded', this one '$encrypted'.)
  for (const secret of [CARD, REPLY, 'Zephyrine'])
    expect(bytes.includes(secret), `${secret} in the server's files`).toBe(false) // ...an encrypted board's data is

  // The passphrase never left a browser, nor reached a console.
  expect(seen.length).toBeGreaterThan(0)
  expect(seen.filter((text) => text.includes(passphrase))).toEqual([])

  for (const ctx of [ctxA, ctxB, ctxC]) await ctx.close()
})
