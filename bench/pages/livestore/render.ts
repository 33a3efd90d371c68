/** Baseline of scenario 1: LiveStore 0.4 (OPFS, leader worker + shared worker), `store.commit` → React commit. */
import { makePersistedAdapter } from '@livestore/adapter-web'
import LiveStoreSharedWorker from '@livestore/adapter-web/shared-worker?sharedworker'
import { createStorePromise, queryDb } from '@livestore/livestore'
import { useQuery } from '@livestore/react'
import { createElement as h, useLayoutEffect } from 'react'
import { unstable_batchedUpdates as batchUpdates } from 'react-dom'
import { createRoot } from 'react-dom/client'
import { body } from '../domain'
import { renderProbe } from '../shared'
import LiveStoreWorker from './livestore.worker?worker'
import { events, schema, tables } from './schema'

export async function renderLiveStore(p: { warmup: number; samples: number }) {
  const adapter = makePersistedAdapter({
    storage: { type: 'opfs' },
    worker: LiveStoreWorker,
    sharedWorker: LiveStoreSharedWorker,
  })
  const store = await createStorePromise({
    adapter,
    schema,
    storeId: `bench-${Math.random().toString(36).slice(2)}`,
    batchUpdates,
  })
  store.commit(events.noteAdded({ id: 'n1', title: 'start', body: body(1) }))
  const note$ = queryDb(tables.notes.where({ id: 'n1' }), { label: 'note' })
  const probe = renderProbe()
  function Note() {
    const rows = useQuery(note$, { store }) as readonly { title: string }[]
    const title = rows[0]?.title
    useLayoutEffect(() => probe.committed(title))
    return h('p', null, title ?? '')
  }
  const el = document.getElementById('root')!
  const r = createRoot(el)
  r.render(h(Note))
  for (let i = 0; i < 2000 && el.textContent !== 'start'; i++) await new Promise((x) => setTimeout(x, 5))
  if (el.textContent !== 'start') throw new Error('LiveStore: the note never rendered')
  const samples = await probe.measure((title) => store.commit(events.noteRenamed({ id: 'n1', title })), {
    ...p,
    prefix: 'livestore',
  })
  r.unmount()
  await store.shutdownPromise?.().catch(() => {})
  return { samples }
}
