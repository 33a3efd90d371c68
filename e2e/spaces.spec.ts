import { expect, type Page, test } from '@playwright/test'
import { BoardPage } from './board'
import { useServer } from './server'

const server = useServer()

/** Marks the page: the mark survives in-app navigation and is gone after a page load. */
const mark = (page: Page) =>
  page.evaluate(() => {
    ;(window as unknown as { e2eMark?: boolean }).e2eMark = true
  })
const marked = (page: Page) => page.evaluate(() => (window as unknown as { e2eMark?: boolean }).e2eMark === true)

/** What this browser context's IndexedDB holds: the databases, and the events of each space in the app's one. */
const localData = (page: Page) =>
  page.evaluate(async () => {
    const names = (await indexedDB.databases()).map((d) => d.name ?? '').sort()
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('cairn-demo')
      open.onsuccess = () => resolve(open.result)
      open.onerror = () => reject(open.error)
    })
    const spaces = await new Promise<Record<string, number>>((resolve, reject) => {
      const counts: Record<string, number> = {}
      const cursor = db.transaction('events').objectStore('events').openCursor()
      cursor.onsuccess = () => {
        const c = cursor.result
        if (!c) return resolve(counts)
        const space = (c.value as { space: string }).space
        counts[space] = (counts[space] ?? 0) + 1
        c.continue()
      }
      cursor.onerror = () => reject(cursor.error)
    })
    db.close()
    return { databases: names, spaces }
  })

test('one database holds every board: live cross-board view, only joined boards, leave, switch offline', async ({
  browser,
}, testInfo) => {
  const ctxA = await browser.newContext()
  const ctxB = await browser.newContext()
  const pageA = await ctxA.newPage()
  const pageB = await ctxB.newPage()

  // A holds b1 and b2: the first board by URL, the second opened from the top bar (joined, no page load).
  const a1 = new BoardPage(pageA, 'b1')
  await a1.open(server.url)
  await mark(pageA)
  await a1.addCard('todo', 'A on b1')
  const a2 = await a1.openBoard('b2')
  await a2.addCard('todo', 'A on b2')
  await a2.waitSynced()
  expect(await marked(pageA)).toBe(true)
  expect(await a2.joinedBoards()).toEqual(['b1', 'b2'])

  // B holds b2 and b3.
  const b2 = new BoardPage(pageB, 'b2')
  await b2.open(server.url)
  await expect(b2.cardByTitle('A on b2')).toBeVisible()
  const b3 = await b2.openBoard('b3')
  await b3.addCard('todo', 'B on b3')
  await b3.waitSynced()
  expect(await b3.joinedBoards()).toEqual(['b2', 'b3'])

  // A's "My cards": every open card of its boards, by board.
  await a2.openMyCards()
  expect(await marked(pageA)).toBe(true)
  await expect(a2.myCardTitles('b1')).toHaveText(['A on b1'])
  await expect(a2.myCardTitles('b2')).toHaveText(['A on b2'])

  // A card B adds on b2 shows up live in A's cross-board view (no reload, no navigation).
  const b2Again = await b3.switchTo('b2')
  await b2Again.addCard('doing', 'B on b2')
  await expect(a2.myCardsOf('b2').locator('[data-my-card]', { hasText: 'B on b2' })).toContainText('Doing')
  await expect(a2.myCards()).toHaveAttribute('data-count', '3')
  await pageA.screenshot({ path: testInfo.outputPath('my-cards.png') })
  expect(await marked(pageA)).toBe(true)

  // A never sees b3: not in its views, not in its database. One database for every board.
  await expect(a2.myCardsOf('b3')).toHaveCount(0)
  await expect(pageA.getByText('B on b3')).toHaveCount(0)
  expect(await a2.joinedBoards()).toEqual(['b1', 'b2'])
  const dataA = await localData(pageA)
  expect(dataA.databases.filter((name) => name.startsWith('cairn-demo'))).toEqual(['cairn-demo'])
  expect(Object.keys(dataA.spaces).sort()).toEqual(['b1', 'b2'])

  // Offline, A switches between its boards (both joined) and sees each board's cards; work done offline shows
  // everywhere at once.
  await ctxA.setOffline(true)
  await expect(a2.badge()).toHaveAttribute('data-state', 'offline')
  const offline1 = await a2.switchTo('b1')
  await expect(offline1.cardByTitle('A on b1')).toBeVisible()
  await expect(offline1.cardByTitle('A on b2')).toHaveCount(0)
  const offline2 = await offline1.switchTo('b2')
  await expect(offline2.cardsIn('todo').filter({ hasText: 'A on b2' })).toBeVisible()
  await expect(offline2.cardsIn('doing').filter({ hasText: 'B on b2' })).toBeVisible()
  await expect(offline2.cardByTitle('A on b1')).toHaveCount(0)
  await offline2.addCard('done', 'A offline on b2')
  await offline2.openMyCards()
  await expect(offline2.myCardsOf('b2').locator('[data-my-card]', { hasText: 'A offline on b2' })).toBeVisible()
  await expect(offline2.myCardTitles('b1')).toHaveText(['A on b1'])
  const back1 = await offline2.switchTo('b1')
  await expect(back1.cardByTitle('A on b1')).toBeVisible()
  expect(await marked(pageA)).toBe(true)
  await ctxA.setOffline(false)
  await back1.waitSynced()
  await expect(b2Again.cardByTitle('A offline on b2')).toBeVisible()

  // A second tab of A (same database) watches "My cards" while the first tab leaves b1.
  const otherTab = new BoardPage(await ctxA.newPage(), 'b2')
  await otherTab.open(server.url)
  await otherTab.openMyCards()
  await expect(otherTab.myCardsOf('b1')).toBeVisible()

  // Leaving with unsynced work: the runtime refuses (UNSYNCED_WORK), the app warns and offers to discard.
  await pageA.getByTestId('offline-switch').click()
  await expect(back1.badge()).toHaveAttribute('data-state', 'paused')
  await back1.addCard('todo', 'Never synced')
  await pageA.getByTestId('leave-board').click()
  const warning = pageA.getByTestId('leave-warning')
  await expect(warning).toContainText('1 change to “b1” is not synced yet')
  await pageA.screenshot({ path: testInfo.outputPath('leave-warning.png') })
  await pageA.getByTestId('leave-cancel').click()
  await expect(warning).toHaveCount(0)
  await expect(back1.cardByTitle('Never synced')).toBeVisible()
  await pageA.getByTestId('leave-board').click()
  await expect(warning).toBeVisible()
  await pageA.getByTestId('leave-discard').click()

  // b1 is gone from every view of every tab; b2 is untouched.
  await expect(a2.myCards()).toBeVisible()
  await expect(pageA).toHaveURL(/[?&]view=mine/)
  await expect(a2.myCardsOf('b1')).toHaveCount(0)
  await expect(pageA.getByText('A on b1')).toHaveCount(0)
  await expect(a2.myCardTitles('b2')).toHaveText(['A offline on b2', 'B on b2', 'A on b2'])
  expect(await a2.joinedBoards()).toEqual(['b2'])
  await expect(otherTab.myCardsOf('b1')).toHaveCount(0)
  await expect(otherTab.page.getByText('A on b1')).toHaveCount(0)
  await expect(otherTab.myCardTitles('b2')).toHaveText(['A offline on b2', 'B on b2', 'A on b2'])
  expect(await otherTab.joinedBoards()).toEqual(['b2'])
  expect(Object.keys((await localData(pageA)).spaces)).toEqual(['b2'])
  expect(await marked(pageA)).toBe(true)

  // Back online: b2 still syncs; the discarded card never reached the server; b1 stays on the server.
  await pageA.getByTestId('offline-switch').click()
  await a2.waitSynced()
  const b1Log = await server.log('b1')
  expect(b1Log.filter((e) => e.type === 'CardAdded').map((e) => e.data.title)).toEqual(['A on b1'])
  await b2Again.addCard('todo', 'B after the leave')
  await expect(a2.myCardsOf('b2').locator('[data-my-card]', { hasText: 'B after the leave' })).toBeVisible()
  await expect(a2.myCardsOf('b1')).toHaveCount(0)

  await ctxA.close()
  await ctxB.close()
})
