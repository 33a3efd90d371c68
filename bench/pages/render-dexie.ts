/** Baseline of scenario 1: the same small app with Dexie on the main thread and `useLiveQuery`. */
import { Dexie, type EntityTable } from 'dexie'
import { useLiveQuery } from 'dexie-react-hooks'
import { createElement as h, useLayoutEffect } from 'react'
import { createRoot } from 'react-dom/client'
import { body } from './domain'
import { renderProbe } from './shared'

interface Row {
  id: string
  title: string
  body: string
  renamed: number
}

export async function renderDexie(p: { warmup: number; samples: number }) {
  const db = new Dexie(`dexie-${Math.random().toString(36).slice(2)}`, {
    chromeTransactionDurability: 'relaxed',
  }) as Dexie & {
    notes: EntityTable<Row, 'id'>
  }
  db.version(1).stores({ notes: 'id' })
  await db.notes.put({ id: 'n1', title: 'start', body: body(1), renamed: 0 })
  const probe = renderProbe()
  function Note() {
    const row = useLiveQuery(() => db.notes.get('n1'))
    useLayoutEffect(() => probe.committed(row?.title))
    return h('p', null, row?.title ?? '')
  }
  const el = document.getElementById('root')!
  const r = createRoot(el)
  r.render(h(Note))
  for (let i = 0; i < 2000 && el.textContent !== 'start'; i++) await new Promise((x) => setTimeout(x, 5))
  const samples = await probe.measure(
    (title) => {
      void db.notes.update('n1', (row) => {
        row.title = title
        row.renamed++
      })
    },
    { ...p, prefix: 'dexie' },
  )
  r.unmount()
  db.close()
  return { samples }
}
