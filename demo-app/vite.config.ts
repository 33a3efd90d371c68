import { createHash } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import react from '@vitejs/plugin-react'
import { defaultClientConditions, defineConfig, type Plugin } from 'vite'

/** The sync server `npm run dev` talks to (start it with `npx cairn-server --port 8787`). */
const server = process.env.CAIRN_SERVER ?? 'http://127.0.0.1:8787'
const SW_FILE = 'sw.js'

/**
 * Builds `src/sw.ts` into `/sw.js` and prepends its manifest: the list of files the build wrote (the app
 * shell and every hashed asset, workers included) and a version hashed from their contents, which names the
 * cache. A new build therefore gets a new cache, and the service worker deletes the old ones on activate.
 */
function serviceWorker(): Plugin {
  let base = '/'
  return {
    name: 'cairn-demo:service-worker',
    apply: 'build',
    configResolved(config) {
      base = config.base
    },
    buildStart() {
      this.emitFile({ type: 'chunk', id: fileURLToPath(new URL('./src/sw.ts', import.meta.url)), fileName: SW_FILE })
    },
    async writeBundle(options, bundle) {
      const dir = options.dir ?? 'dist'
      const files = Object.keys(bundle)
        .filter((name) => name !== SW_FILE && !name.endsWith('.map'))
        .sort()
      const hash = createHash('sha256')
      for (const name of files) {
        const output = bundle[name]
        if (!output) continue
        hash.update(name).update(output.type === 'chunk' ? output.code : output.source)
      }
      const manifest = { version: hash.digest('hex').slice(0, 12), files: files.map((name) => base + name) }
      const path = join(dir, SW_FILE)
      // The prepended line would shift a source map by one line: the service worker ships without one.
      const code = (await readFile(path, 'utf8')).replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n')
      await writeFile(path, `self.__CAIRN_SW_MANIFEST__ = ${JSON.stringify(manifest)};\n${code}`)
      await rm(`${path}.map`, { force: true })
    },
  }
}

export default defineConfig({
  plugins: [react(), serviceWorker()],
  // The workspace packages from their sources (`@cairn/source`), not their built dist/: no build step.
  resolve: { conditions: ['@cairn/source', ...defaultClientConditions] },
  worker: { format: 'es' },
  server: {
    proxy: {
      '/v1': { target: server, changeOrigin: true },
      '/healthz': { target: server, changeOrigin: true },
    },
  },
  preview: {
    proxy: {
      '/v1': { target: server, changeOrigin: true },
      '/healthz': { target: server, changeOrigin: true },
    },
  },
  build: { sourcemap: true },
})
