import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { serveStatic } from '@hono/node-server/serve-static'
import type { Context, Hono } from 'hono'

const NO_CACHE = 'no-cache'
const IMMUTABLE = 'public, max-age=31536000, immutable'
// Vite-style hashed file names: name-<hash>.ext with an 8+ char hash mixing letters and digits
const HASHED = /[.-]([A-Za-z0-9_-]{8,})\.[a-z0-9]+$/
const isHashed = (name: string) => {
  const hash = HASHED.exec(name)?.[1]
  return hash !== undefined && /\d/.test(hash) && /[A-Za-z]/.test(hash)
}

/** Cache policy of a served file: never cache the shell and the service worker, long cache for hashed assets. */
export function cacheControlFor(path: string): string {
  const name = path.split('/').pop() ?? ''
  if (name === 'index.html' || name === 'sw.js' || name === 'service-worker.js') return NO_CACHE
  if (path.includes('/assets/') || isHashed(name)) return IMMUTABLE
  return NO_CACHE
}

const looksLikeFile = (pathname: string) => /\.[A-Za-z0-9]+$/.test(pathname.split('/').pop() ?? '')

/**
 * Serves a built web app from `root` for GET/HEAD requests outside the API, with an SPA fallback:
 * unknown paths that look like pages (no file extension, or a request accepting HTML) get `index.html`.
 */
export function mountStatic(app: Hono, root: string): void {
  if (!existsSync(join(root, 'index.html'))) throw new Error(`--static ${root}: no index.html in that directory`)
  const onFound = (path: string, c: Context) => {
    c.header('Cache-Control', cacheControlFor(path))
  }
  app.use('*', serveStatic({ root, onFound }))
  const fallback = serveStatic({ root, path: 'index.html', onFound })
  app.get('*', async (c, next) => {
    const { pathname } = new URL(c.req.url)
    const wantsPage = !looksLikeFile(pathname) || (c.req.header('accept') ?? '').includes('text/html')
    if (!wantsPage || pathname.startsWith('/v1/') || pathname === '/healthz' || pathname === '/readyz') return next()
    return fallback(c, next)
  })
}
