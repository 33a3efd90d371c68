import { expect, test } from '@playwright/test'
import { BoardPage } from './board'
import { useServer } from './server'

const server = useServer()

test('server stopped while edits are made: everything pending arrives after it restarts, nothing twice', async ({
  browser,
}) => {
  const space = 'restart'
  const context = await browser.newContext()
  const board = new BoardPage(await context.newPage(), space)
  await board.open(server.url)
  await board.addCard('todo', 'Before the outage')
  await board.waitSynced()
  const before = (await server.log(space)).length

  await server.stop()
  for (const title of ['During 1', 'During 2', 'During 3']) await board.addCard('todo', title)
  await board.moveRight('During 2')
  await expect(board.badge()).toHaveAttribute('data-pending', '4')

  await server.start()
  await board.waitSynced()
  const log = await server.log(space)
  expect(new Set(log.map((e) => e.id)).size).toBe(log.length)
  expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1))
  expect(log.length).toBe(before + 4)
  expect(log.filter((e) => e.type === 'CardAdded').map((e) => e.data.title)).toEqual([
    'Before the outage',
    'During 1',
    'During 2',
    'During 3',
  ])
  await context.close()
})
