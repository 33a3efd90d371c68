import { defineConfig } from 'tsdown'

/** ESM + `.d.ts` of `@cairn/server` for Node, and the compiled CLI that `bin/cairn-server.js` runs. */
export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  dts: true,
  fixedExtension: false,
  clean: true,
})
