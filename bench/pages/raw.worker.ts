/// <reference lib="webworker" />
/**
 * Baselines on raw IndexedDB in a worker, behind Comlink (the floor Cairn cannot beat):
 * - `put(row)`: one IndexedDB put in its own transaction (relaxed durability, as Cairn uses).
 * - `copyEvents(from, n)`: the rows of Cairn's log put into a store of the same shape in ONE transaction.
 * - `rebuild(from)`: read the log in chunks of 2,000 and put one read-model row per event, chunk per transaction.
 * - `modelOpen` / `modelBurst` / `modelCommand`: the floor of Cairn's data model (see model-floor.ts).
 */
import * as Comlink from 'comlink'
import { done, open, req } from './idb'
import { ModelFloor } from './model-floor'

let floor: IDBDatabase | undefined
let model: ModelFloor | undefined

const api = {
  async openFloor(name: string) {
    floor = await open(name, (db) => db.createObjectStore('rows', { keyPath: 'id' }))
  },
  async put(row: { id: string; title: string; body: string }) {
    const tx = floor!.transaction('rows', 'readwrite', { durability: 'relaxed' })
    tx.objectStore('rows').put(row)
    await done(tx)
  },
  /** Cairn's events (as stored) appended to a fresh store with the log's shape, in one transaction. */
  async copyEvents(from: string, to: string) {
    const src = await open(from)
    const rows = (await req(src.transaction('events').objectStore('events').getAll())) as Record<string, unknown>[]
    src.close()
    for (const r of rows) delete r.lpos
    const db = await open(to, (d) => {
      const s = d.createObjectStore('events', { keyPath: 'lpos', autoIncrement: true })
      s.createIndex('id', 'id', { unique: true })
      s.createIndex('[stream+version]', ['stream', 'version'], { unique: true })
      s.createIndex('gpos', 'gpos')
    })
    const start = performance.now()
    const tx = db.transaction('events', 'readwrite', { durability: 'relaxed' })
    const store = tx.objectStore('events')
    for (const r of rows) store.put(r)
    await done(tx)
    const ms = performance.now() - start
    db.close()
    return { rows: rows.length, ms }
  },
  /** Rebuild floor: read the log in chunks of 2,000 and put one row per event, one transaction per chunk. */
  /**
   * `withSpace`: each row also carries its event's `space`, indexed, as every Cairn read-model row is (queries
   * filter by space): the same rebuild with the index Cairn's table has.
   */
  async rebuild(from: string, to: string, withSpace = false) {
    const src = await open(from)
    const db = await open(to, (d) => {
      const rows = d.createObjectStore('rows', { keyPath: 'id' })
      if (withSpace) rows.createIndex('space', 'space')
    })
    const start = performance.now()
    let after = 0
    let n = 0
    for (;;) {
      const range = after === 0 ? undefined : IDBKeyRange.lowerBound(after, true)
      const chunk = (await req(src.transaction('events').objectStore('events').getAll(range, 2000))) as {
        lpos: number
        stream: string
        space: string
        data: { title: string; body?: string }
      }[]
      if (chunk.length === 0) break
      const tx = db.transaction('rows', 'readwrite', { durability: 'relaxed' })
      const store = tx.objectStore('rows')
      for (const e of chunk) {
        const row = { id: e.stream, title: e.data.title, body: e.data.body ?? '', renamed: 0 }
        store.put(withSpace ? { ...row, space: e.space } : row)
      }
      await done(tx)
      after = chunk[chunk.length - 1]!.lpos
      n += chunk.length
    }
    const ms = performance.now() - start
    src.close()
    db.close()
    return { rows: n, ms }
  },
  /**
   * First-sync floor: bare paged pulls (`fetch` of `/pull`, `limit` per page, one after another) and a raw put
   * of each page's events into a fresh store with the log's shape, one transaction per page.
   */
  async pullAndPut(p: { url: string; space: string; to: string; limit: number }) {
    const db = await open(p.to, (d) => {
      const s = d.createObjectStore('events', { keyPath: 'lpos', autoIncrement: true })
      s.createIndex('id', 'id', { unique: true })
      s.createIndex('[stream+version]', ['stream', 'version'], { unique: true })
      s.createIndex('gpos', 'gpos')
    })
    const base = `${p.url}/v1/spaces/${p.space}/pull`
    const start = performance.now()
    let after = 0
    let head = 0
    let n = 0
    let pages = 0
    for (;;) {
      const res = await fetch(`${base}?after=${after}&limit=${p.limit}`, { cache: 'no-store' })
      if (res.status !== 200) throw new Error(`pull ${res.status}: ${await res.text()}`)
      const page = (await res.json()) as {
        events: { seq: number; id: string; stream: string; version: number; type: string; data: unknown }[]
        head: number
      }
      head = page.head
      if (page.events.length === 0) break
      pages++
      const tx = db.transaction('events', 'readwrite', { durability: 'relaxed' })
      const store = tx.objectStore('events')
      for (const e of page.events)
        store.put({ id: e.id, stream: e.stream, version: e.version, type: e.type, data: e.data, meta: {}, gpos: e.seq })
      await done(tx)
      n += page.events.length
      after = page.events[page.events.length - 1]!.seq
      if (after >= head) break
    }
    const ms = performance.now() - start
    db.close()
    return { rows: n, pages, head, ms }
  },
  /** Prepares the data-model floor: `from`'s store shapes in a new database `to`, its first `n` commands' rows. */
  async modelOpen(from: string, to: string, n: number) {
    model?.close()
    model = await ModelFloor.open(from, to, 'rm_notes_', n)
  },
  modelBurst() {
    if (!model) throw new Error('modelOpen first')
    return model.burst()
  },
  modelCommand(i: number) {
    if (!model) throw new Error('modelOpen first')
    return model.command(i)
  },
  async serialPuts(n: number) {
    const start = performance.now()
    for (let i = 0; i < n; i++) {
      const tx = floor!.transaction('rows', 'readwrite', { durability: 'relaxed' })
      tx.objectStore('rows').put({ id: `s${i}`, title: `t${i}`, body: '' })
      await done(tx)
    }
    return performance.now() - start
  },
}
export type RawApi = typeof api
Comlink.expose(api)
