import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from '@playwright/test'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dist = process.env.TODO_DIST ?? join(root, 'examples/todo/dist')
const bin = process.env.CAIRN_SERVER_BIN ?? join(root, 'packages/server/bin/cairn-server.js')

interface PulledEvent {
  seq: number
  stream: string
  type: string
  data: Record<string, unknown>
}

let server: ChildProcess | undefined
let url = ''
const dir = mkdtempSync(join(tmpdir(), 'cairn-starter-'))

test.beforeAll(async () => {
  const args = ['--port', '0', '--db', join(dir, 'todo.db'), '--static', dist, '--no-rate-limit']
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  server = child
  url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const onData = (chunk: Buffer) => {
      out += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(out)
      if (match?.[1]) resolve(match[1])
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => reject(new Error(`cairn-server exited with ${code}: ${out}`)))
  })
})

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
  }
  rmSync(dir, { recursive: true, force: true })
})

async function serverLog(space: string): Promise<PulledEvent[]> {
  const res = await fetch(`${url}/v1/spaces/${space}/pull?after=0&limit=1000`)
  return ((await res.json()) as { events: PulledEvent[] }).events
}

test('the todo starter: an item added offline reaches the server once back online', async ({ browser }) => {
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(`${url}/?list=groceries`)
  const badge = page.locator('output.badge')
  await expect(badge).toHaveAttribute('data-state', 'synced')

  await context.setOffline(true)
  await expect(badge).toHaveAttribute('data-state', 'offline')
  await page.getByLabel('New todo').fill('Milk, bought offline')
  await page.getByRole('button', { name: 'Add' }).click()
  await expect(page.getByRole('listitem').filter({ hasText: 'Milk, bought offline' })).toBeVisible()
  await expect(badge).toHaveAttribute('data-pending', '1')
  expect(await serverLog('groceries')).toEqual([])

  await context.setOffline(false)
  await expect(badge).toHaveAttribute('data-state', 'synced')
  await expect(badge).toHaveAttribute('data-pending', '0')
  const log = await serverLog('groceries')
  expect(log.map((e) => [e.seq, e.type, e.data])).toEqual([[1, 'TodoAdded', { title: 'Milk, bought offline' }]])

  // Another device opening the list gets it from the server.
  const other = await browser.newContext()
  const second = await other.newPage()
  await second.goto(`${url}/?list=groceries`)
  await expect(second.getByRole('listitem').filter({ hasText: 'Milk, bought offline' })).toBeVisible()
  await other.close()
  await context.close()
})
