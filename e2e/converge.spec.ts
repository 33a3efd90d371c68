import { expect, test } from '@playwright/test'
import { BoardPage } from './board'
import { useServer } from './server'

const server = useServer()

test('two devices editing different cards at the same time converge to the same board', async ({ browser }) => {
  const space = 'converge'
  const ctxA = await browser.newContext()
  const ctxB = await browser.newContext()
  const a = new BoardPage(await ctxA.newPage(), space)
  const b = new BoardPage(await ctxB.newPage(), space)
  await a.open(server.url)
  await a.addCard('todo', 'Card A')
  await a.addCard('todo', 'Card B')
  await a.waitSynced()
  await b.open(server.url)
  await expect(b.cardByTitle('Card B')).toBeVisible()

  // Concurrent edits of different cards (all on the one board aggregate: the server orders them, clients rebase).
  await Promise.all([a.moveRight('Card A'), b.moveRight('Card B')])
  await Promise.all([a.addCard('done', 'From A'), b.addCard('todo', 'From B')])
  await a.waitSynced()
  await b.waitSynced()
  await expect(a.cardByTitle('From B')).toBeVisible()
  await expect(b.cardByTitle('From A')).toBeVisible()
  await expect.poll(async () => JSON.stringify(await a.snapshot())).toBe(JSON.stringify(await b.snapshot()))
  expect(await a.snapshot()).toEqual({ todo: ['From B'], doing: ['Card A', 'Card B'], done: ['From A'] })
  const log = await server.log(space)
  expect(new Set(log.map((e) => e.id)).size).toBe(log.length)
  await ctxA.close()
  await ctxB.close()
})
