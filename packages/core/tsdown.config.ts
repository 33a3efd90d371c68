import { defineConfig } from 'tsdown'

/** ESM + `.d.ts` for every entry point of `@cairn/core` (the `exports` map in package.json names them). */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    worker: 'src/worker.ts',
    domain: 'src/domain/index.ts',
    protocol: 'src/protocol.ts',
    testing: 'src/testing/index.ts',
  },
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  fixedExtension: false,
  clean: true,
})
