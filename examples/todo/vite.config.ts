import react from '@vitejs/plugin-react'
import { defineConfig } from 'vitest/config'

/** The sync server the dev server forwards `/v1` to (`npm run server` starts one on port 8787). */
const server = process.env.CAIRN_SERVER ?? 'http://127.0.0.1:8787'

export default defineConfig({
  plugins: [react()],
  // The Cairn worker is an ES module worker.
  worker: { format: 'es' },
  server: { proxy: { '/v1': { target: server, changeOrigin: true } } },
  preview: { proxy: { '/v1': { target: server, changeOrigin: true } } },
  // `npm test`: the domain's specs in Node, on an in-memory IndexedDB.
  test: { include: ['src/**/*.test.ts'], setupFiles: ['fake-indexeddb/auto'] },
})
