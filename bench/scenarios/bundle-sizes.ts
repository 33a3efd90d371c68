/** Scenario 8: bundle sizes (gzip) of the page and worker entries, beside Dexie alone and references. */
import { bundleSizes } from '../lib/bundle'
import { rows, scenario } from '../lib/harness'
import type { BenchContext } from '../lib/pages'
import { fmt } from '../lib/report'

export async function bundles(_ctx: Pick<BenchContext, 'peerErrors'>): Promise<void> {
  await scenario(
    '8',
    '8. bundle sizes',
    async () => {
      const sizes = await bundleSizes()
      const get = (prefix: string) => sizes.find((s) => s.name.startsWith(prefix))
      const dexie = get('baseline: Dexie')
      const react = get('reference: react +')
      for (const s of sizes) {
        const isCairn = s.name.startsWith('page') || s.name.startsWith('worker')
        rows.push({
          scenario: '8. bundle (gzip)',
          subject: s.name,
          baseline: !isCairn,
          metric: 'gzip size',
          unit: 'KB',
          value: s.gzip / 1024,
          ratios:
            s.name.startsWith('worker') && dexie
              ? [{ to: 'Dexie alone', value: s.gzip / dexie.gzip }]
              : s.name.startsWith('page: @cairn/core client +') && react
                ? [{ to: 'react+react-dom', value: s.gzip / react.gzip }]
                : [],
          ...(s.name.startsWith('page: @cairn/core client +')
            ? { target: '≤ 10 KB' }
            : s.name.startsWith('worker')
              ? { target: '≤ 45 KB' }
              : {}),
          status: 'ok',
          note: `${fmt(s.raw / 1024)} KB minified; ${s.what}${s.name.startsWith('page') && s.dexieInside ? '; NOTE: Dexie is in this bundle (not tree-shaken from the @cairn/core entry)' : ''}`,
        })
      }
    },
    240_000,
  )
}
