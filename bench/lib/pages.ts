/**
 * The bench pages as bench/run.ts drives them: what the scenarios share (the browser, the cairn-server, the
 * optional peers' install errors), a page loaded and ready, and a typed call into `window.bench`.
 */
import type { Browser, BrowserContext, Page } from 'playwright'
import { VERBOSE } from './harness'
import type { ServerProcess } from './server-process'

/** What the browser scenarios are given by bench/run.ts. */
export interface BenchContext {
  browser: Browser
  /** The cairn-server (SQLite) the sync scenarios talk to. */
  server: ServerProcess
  /** Why an optional peer (dexie-react-hooks, livestore) could not be installed, by group. */
  peerErrors: Record<string, string | undefined>
}

let pagesUrl = ''
/** Where the Vite dev server serves the bench pages (set once by bench/run.ts). */
export function servePagesFrom(url: string): void {
  pagesUrl = url
}

const pageErrors: string[] = []

export async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage()
  page.on('pageerror', (e) => {
    console.log(`  [pageerror] ${e.message}`)
    pageErrors.push(e.message)
  })
  if (VERBOSE) page.on('console', (m) => console.log(`  [console.${m.type()}] ${m.text()}`))
  await load(page)
  return page
}

/** (Re)loads the bench page and waits until `window.bench` is ready. */
export async function load(page: Page) {
  pageErrors.length = 0
  await page.goto(`${pagesUrl}/index.html`)
  const start = Date.now()
  for (;;) {
    if (await page.evaluate(() => (window as unknown as { benchReady?: boolean }).benchReady === true)) return
    if (pageErrors.length > 0) throw new Error(`bench page failed to load: ${pageErrors[0]}`)
    if (Date.now() - start > 60_000) throw new Error('bench page did not load within 60 s')
    await new Promise((r) => setTimeout(r, 50))
  }
}

export type Bench = import('../pages/main').BenchApi

/** `await window.bench[fn](arg)` in the page. */
export function call<K extends keyof Bench>(
  page: Page,
  fn: K,
  arg?: unknown,
): Promise<Awaited<ReturnType<Extract<Bench[K], (...a: never[]) => unknown>>>> {
  return page.evaluate(([fn, arg]) => (window.bench[fn as keyof Bench] as (a: unknown) => unknown)(arg), [
    fn,
    arg,
  ] as const) as never
}
