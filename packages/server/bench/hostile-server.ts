/**
 * The server process of `hostile.ts`: starts the sync server of a given source tree (so the same script
 * measures the code before and after a change) on SQLite, port 0, rate limiting off (the limits under test
 * are the resource bounds, not the request rate), and prints `{ url, pid }` as one JSON line.
 *
 *   node --import tsx packages/server/bench/hostile-server.ts <src dir> <db file> [extra options as JSON]
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const [srcDir = '../src', db = './data/hostile.db', extra = '{}'] = process.argv.slice(2)
const { startServer } = (await import(pathToFileURL(resolve(srcDir, 'start.ts')).href)) as {
  startServer: (options: Record<string, unknown>) => Promise<{ url: string; close(): Promise<void> }>
}
const running = await startServer({
  port: 0,
  db,
  rateLimit: false,
  onError: () => {},
  ...(JSON.parse(extra) as Record<string, unknown>),
})
process.stdout.write(`${JSON.stringify({ url: running.url, pid: process.pid })}\n`)
const stop = () => {
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
