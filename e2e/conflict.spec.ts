import { expect, test } from '@playwright/test'
import { BoardPage } from './board'
import { useServer } from './server'

const server = useServer()

test('WIP conflict: both devices offline fill the last slot; one move stands, the other user sees why', async ({
  browser,
}, testInfo) => {
  const space = 'conflict'
  const ctxA = await browser.newContext()
  const ctxB = await browser.newContext()
  const a = new BoardPage(await ctxA.newPage(), space)
  const b = new BoardPage(await ctxB.newPage(), space)
  await a.open(server.url)
  // Doing has a WIP limit of 2: fill one slot, leaving exactly one free.
  await a.addCard('todo', 'Already doing')
  await a.moveRight('Already doing')
  await a.addCard('todo', 'Mine')
  await a.addCard('todo', 'Theirs')
  await a.waitSynced()
  await b.open(server.url)
  await expect(b.cardByTitle('Theirs')).toBeVisible()
  await b.waitSynced()

  await ctxA.setOffline(true)
  await ctxB.setOffline(true)
  await expect(a.badge()).toHaveAttribute('data-state', 'offline')
  await expect(b.badge()).toHaveAttribute('data-state', 'offline')
  await a.moveRight('Mine')
  await b.moveRight('Theirs')
  await expect(a.cardsIn('doing')).toHaveCount(2)
  await expect(b.cardsIn('doing')).toHaveCount(2)

  await ctxA.setOffline(false)
  await a.waitSynced()
  await ctxB.setOffline(false)
  await b.waitSynced()

  // Exactly one of the two moves stands, both boards are identical, and B is told why its move was undone.
  await expect(b.cardsIn('doing')).toHaveCount(2)
  await expect(b.cardsIn('doing').filter({ hasText: 'Mine' })).toBeVisible()
  await expect(b.cardsIn('todo').filter({ hasText: 'Theirs' })).toBeVisible()
  const rejections = b.page.getByTestId('rejections')
  await expect(rejections).toContainText(/full/i)
  await expect.poll(async () => JSON.stringify(await a.snapshot())).toBe(JSON.stringify(await b.snapshot()))
  await b.page.screenshot({ path: testInfo.outputPath('rejections.png') })
  const log = await server.log(space)
  expect(log.filter((e) => e.type === 'CardMoved')).toHaveLength(2)
  await ctxA.close()
  await ctxB.close()
})
