import { expect, test } from '@playwright/test'
import { BoardPage } from './board'
import { useServer } from './server'

const server = useServer({ args: ['--tokens', 'team-secret=t1,t2'] })

test('tokens per board: from the URL, or typed when the server refuses a board; no reload either way', async ({
  page,
}) => {
  // A token in the URL is kept for its board (and out of the address bar) and handed to the runtime.
  const t1 = new BoardPage(page, 't1')
  await page.goto(`${server.url}/?board=t1&token=team-secret`)
  await t1.waitReady()
  await expect(page).toHaveURL(/\?board=t1$/)
  await t1.addCard('todo', 'Behind a token')
  await t1.waitSynced()
  await page.evaluate(() => {
    ;(window as unknown as { e2eMark?: boolean }).e2eMark = true
  })

  // Another board with no token yet: the server refuses it (the board still works locally), the app asks.
  const t2 = await t1.openBoard('t2')
  await t2.addCard('todo', 'Typed before the token')
  const prompt = page.getByTestId('token-prompt')
  await expect(prompt).toBeVisible()
  await page.getByTestId('token-input').fill('team-secret')
  await page.getByTestId('token-submit').click()
  await expect(prompt).toHaveCount(0)
  await t2.waitSynced()
  expect(await page.evaluate(() => (window as unknown as { e2eMark?: boolean }).e2eMark)).toBe(true)

  const titles = async (space: string) =>
    (await server.log(space, 'team-secret')).filter((e) => e.type === 'CardAdded').map((e) => e.data.title)
  expect(await titles('t1')).toEqual(['Behind a token'])
  expect(await titles('t2')).toEqual(['Typed before the token'])
})
