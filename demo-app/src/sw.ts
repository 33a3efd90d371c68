/**
 * The demo's service worker (built to `/sw.js` by the plugin in vite.config.ts, which prepends the manifest).
 * - install: precache the app shell and every hashed asset of this build, in a cache named after the build;
 * - activate: delete the caches of older builds, take control of open pages;
 * - fetch: hashed assets cache-first; page navigations network-first with the cached `index.html` as the
 *   fallback (so a deploy shows at once online, and the app still opens offline); the sync API (`/v1/*`)
 *   and `/healthz` are never touched.
 */

// The page's program has the DOM lib, not the WebWorker one: declare the little of the worker scope we use.
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request
  respondWith(response: Response | Promise<Response>): void
}
interface ServiceWorkerScope {
  readonly location: Location
  readonly clients: { claim(): Promise<void> }
  readonly __CAIRN_SW_MANIFEST__?: { version: string; files: string[] }
  skipWaiting(): Promise<void>
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void
}
declare const self: ServiceWorkerScope

export {}

const manifest = self.__CAIRN_SW_MANIFEST__ ?? { version: 'dev', files: [] }
const PREFIX = 'cairn-demo-'
const CACHE = `${PREFIX}${manifest.version}`
const PRECACHED = new Set(manifest.files)
const SHELL = '/index.html'
const NAVIGATION_TIMEOUT_MS = 3000

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(manifest.files.map((url) => new Request(url, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('fetch', (event) => {
  const { request } = event
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return
  if (url.pathname.startsWith('/v1/') || url.pathname === '/healthz') return
  if (request.mode === 'navigate') event.respondWith(navigate(request))
  else if (PRECACHED.has(url.pathname)) event.respondWith(cacheFirst(request))
})

async function cacheFirst(request: Request): Promise<Response> {
  const cached = await caches.match(request, { cacheName: CACHE, ignoreSearch: true })
  return cached ?? fetch(request)
}

async function navigate(request: Request): Promise<Response> {
  try {
    const response = await withTimeout(fetch(request), NAVIGATION_TIMEOUT_MS)
    if (response.ok) return response
  } catch {
    // offline, server down or too slow: the cached shell below
  }
  const shell = await caches.match(SHELL, { cacheName: CACHE })
  return shell ?? fetch(request)
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}
