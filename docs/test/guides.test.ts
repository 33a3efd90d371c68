/**
 * The guides are runnable: every ```ts block of a guide in docs/ is extracted (in order, one module per guide),
 * type-checked with the repository's strict compiler options, then run in Node (fake-indexeddb). A block that
 * cannot run in Node (a worker, a page) is fenced as ```tsx or ```ts-browser instead and only read.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const docs = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(docs, '.run')
const root = join(docs, '..')

const guides = readdirSync(docs)
  .filter((f) => f.endsWith('.md') && f !== 'README.md')
  .map((file) => {
    const blocks = [...readFileSync(join(docs, file), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1])
    return { file, blocks, module: join(out, file.replace(/\.md$/, '.ts')) }
  })
  .filter((g) => g.blocks.length > 0)

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
for (const g of guides) {
  writeFileSync(g.module, `// Extracted from docs/${g.file}: do not edit.\n${g.blocks.join('\n')}\nexport {}\n`)
}

describe('guides', () => {
  it('have runnable code', () => {
    expect(guides.length).toBeGreaterThanOrEqual(5)
  })

  it('type-check (strict, the repository compiler options)', () => {
    const base = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile)
    const { options } = ts.parseJsonConfigFileContent(
      { ...base.config, compilerOptions: { ...base.config.compilerOptions, composite: false, types: ['node'] } },
      ts.sys,
      root,
    )
    const program = ts.createProgram(
      guides.map((g) => g.module),
      options,
    )
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) =>
      ts.formatDiagnostic(d, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => root,
        getNewLine: () => '\n',
      }),
    )
    expect(diagnostics).toEqual([])
  }, 60_000)

  for (const g of guides) {
    it(`run: ${g.file}`, async () => {
      await import(/* @vite-ignore */ pathToFileURL(g.module).href)
    }, 30_000)
  }
})
