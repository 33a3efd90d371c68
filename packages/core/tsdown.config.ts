import { defineConfig } from 'tsdown'

/** ESM + `.d.ts` for every entry point of `@cairn/core` (the `exports` map in package.json names them). */
export default defineConfig({
  entry: ['src/index.ts', 'src/worker.ts', 'src/domain/index.ts', 'src/protocol.ts', 'src/testing/index.ts'],
  // One output module per source module: an app's bundler then keeps only what it imports (the page takes the
  // client without the runtime and Dexie, which belong in the worker).
  unbundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  fixedExtension: false,
  clean: true,
})
