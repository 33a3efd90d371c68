import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'
import { BoardPage } from './board'
import { useServer } from './server'

const server = useServer()
const swFile = join(fileURLToPath(new URL('..', import.meta.url)), 'demo-app/dist/sw.js')

const registration = () =>
  navigator.serviceWorker.getRegistration().then((r) => ({
    active: r?.active?.state ?? null,
    waiting: r?.waiting?.state ?? null,
    controlled: navigator.serviceWorker.controller !== null,
  }))

test('a new version waits for the update prompt instead of taking over open tabs', async ({ page }) => {
  const board = new BoardPage(page, 'updates')
  await board.open(server.url)
  await page.waitForFunction(
    async () => (await navigator.serviceWorker.ready) && navigator.serviceWorker.controller !== null,
  )
  await expect(page.getByTestId('update-prompt')).toHaveCount(0)

  // Deploy "a new version": a different sw.js (its precache manifest would list the new files).
  const original = readFileSync(swFile, 'utf8')
  try {
    writeFileSync(swFile, `${original}\n// e2e: a new deploy\n`)
    await page.reload()
    await board.waitReady()
    const prompt = page.getByTestId('update-prompt')
    await expect(prompt).toBeVisible()
    // The new worker is installed but waits: the page is still served by the version it loaded.
    expect(await page.evaluate(registration)).toEqual({ active: 'activated', waiting: 'installed', controlled: true })

    await prompt.getByRole('button', { name: 'Reload' }).click()
    await expect(prompt).toHaveCount(0)
    await board.waitReady()
    await expect
      .poll(() => page.evaluate(registration))
      .toEqual({ active: 'activated', waiting: null, controlled: true })
  } finally {
    writeFileSync(swFile, original)
  }
})
