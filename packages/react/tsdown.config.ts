import { defineConfig } from 'tsdown'

/** ESM + `.d.ts` of `@cairn/react`; `@cairn/core`, React and TanStack Query stay external (peers and dependencies). */
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  dts: true,
  fixedExtension: false,
  clean: true,
})
