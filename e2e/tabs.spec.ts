import { expect, test } from '@playwright/test'
import { BoardPage } from './board'
import { useServer } from './server'

const server = useServer()

test('two tabs: edits show in the other tab; closing the syncing tab hands sync over and pending edits arrive', async ({
  browser,
}) => {
  const space = 'tabs'
  const context = await browser.newContext()
  const one = new BoardPage(await context.newPage(), space)
  await one.open(server.url)
  await one.waitSynced()
  const two = new BoardPage(await context.newPage(), space)
  await two.open(server.url)

  await one.addCard('todo', 'Typed in tab one')
  await expect(two.cardByTitle('Typed in tab one')).toBeVisible()
  await two.addCard('done', 'Typed in tab two')
  await expect(one.cardByTitle('Typed in tab two')).toBeVisible()
  await one.waitSynced()

  // Find the syncing tab, pause the network of... nothing: close the leader while the other has pending edits.
  const leaderIsOne = (await one.badge().getAttribute('data-leader')) === 'true'
  const [leader, follower] = leaderIsOne ? [one, two] : [two, one]
  await expect(follower.badge()).toHaveAttribute('data-leader', 'false')
  await follower.page.getByTestId('offline-switch').click()
  await expect(follower.badge()).toHaveAttribute('data-state', 'paused')
  await follower.addCard('todo', 'Pending during hand-over')
  await leader.page.close()
  await expect(follower.badge()).toHaveAttribute('data-leader', 'true', { timeout: 5000 })
  await follower.page.getByTestId('offline-switch').click()
  await follower.waitSynced()
  const titles = (await server.log(space)).filter((e) => e.type === 'CardAdded').map((e) => e.data.title)
  expect(titles.sort()).toEqual(['Pending during hand-over', 'Typed in tab one', 'Typed in tab two'])
  await context.close()
})
