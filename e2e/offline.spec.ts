import { expect, test } from '@playwright/test'
import { BoardPage } from './board'
import { useServer } from './server'

const server = useServer()

test('works offline: create and move cards, reload offline, then sync when back online', async ({
  browser,
}, testInfo) => {
  const space = 'offline-first'
  const context = await browser.newContext()
  const page = await context.newPage()
  const board = new BoardPage(page, space)
  await board.open(server.url)
  await board.waitSynced()
  // The service worker must control the page before we cut the network.
  await page.waitForFunction(
    async () => (await navigator.serviceWorker.ready) && navigator.serviceWorker.controller !== null,
  )

  await context.setOffline(true)
  await expect(board.badge()).toHaveAttribute('data-state', 'offline')
  await board.addCard('todo', 'Written offline')
  await board.addCard('todo', 'Moved offline')
  await board.moveRight('Moved offline')
  await expect(board.cardsIn('doing').filter({ hasText: 'Moved offline' })).toBeVisible()
  await expect(board.badge()).not.toHaveAttribute('data-pending', '0')
  await page.screenshot({ path: testInfo.outputPath('offline.png') })

  // Reload with no network: the app shell comes from the service worker, the cards from IndexedDB.
  await page.reload()
  await board.waitReady()
  await expect(board.cardByTitle('Written offline')).toBeVisible()
  await expect(board.cardsIn('doing').filter({ hasText: 'Moved offline' })).toBeVisible()

  await context.setOffline(false)
  await board.waitSynced()
  const log = await server.log(space)
  const titles = log.filter((e) => e.type === 'CardAdded').map((e) => e.data.title)
  expect(titles).toEqual(expect.arrayContaining(['Written offline', 'Moved offline']))
  expect(log.some((e) => e.type === 'CardMoved')).toBe(true)
  await page.screenshot({ path: testInfo.outputPath('board.png') })

  // A second browser context (another device) sees them.
  const other = await browser.newContext()
  const second = new BoardPage(await other.newPage(), space)
  await second.open(server.url)
  await expect(second.cardByTitle('Written offline')).toBeVisible()
  await expect(second.cardsIn('doing').filter({ hasText: 'Moved offline' })).toBeVisible()
  await other.close()
  await context.close()
})
