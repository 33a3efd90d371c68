/// <reference lib="webworker" />
/**
 * The floor of Cairn's data model (scenarios 2 and 3): the IndexedDB reads and writes Cairn's command path makes,
 * and nothing else. Per transaction: the log's tail and the high-water mark; per command: the stream's head event
 * (a reverse cursor on `[stream+version]`), then the event row, the journal row and the read-model row. Stores of
 * the very shape of Cairn's database (copied from it, indexes included), rows Cairn wrote. No decider, no Dexie,
 * no validation: what is left between Cairn and this floor is Cairn's own code; what is between this floor and the
 * one-put baselines is the data model (three rows and a read per command, where the baselines put one row).
 */

import { done, open, req } from './idb'

interface Shape {
  name: string
  keyPath: string | string[] | null
  autoIncrement: boolean
  indexes: { name: string; keyPath: string | string[]; unique: boolean; multiEntry: boolean }[]
}

type Row = Record<string, unknown>
interface Command {
  event: Row & { stream: string }
  journal: Row
  row: Row
}

const META_HIGH_WATER = 'lposHigh'
/** Cairn's transactions hold at most this many commands (`MAX_BATCH` in runtime/batch.ts). */
const BATCH = 500

function shapeOf(store: IDBObjectStore): Shape {
  const indexes = [...store.indexNames].map((name) => {
    const index = store.index(name)
    return { name, keyPath: index.keyPath, unique: index.unique, multiEntry: index.multiEntry }
  })
  return { name: store.name, keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes }
}

export class ModelFloor {
  private constructor(
    private readonly db: IDBDatabase,
    private readonly readModel: string,
    private readonly commands: Command[],
  ) {}

  /**
   * Copies the shapes of `from`'s log, journal, meta and `readModelPrefix*` table into a new database `to`, and
   * holds the first `n` commands' rows (event, journal entry, read-model row) in memory.
   */
  static async open(from: string, to: string, readModelPrefix: string, n: number): Promise<ModelFloor> {
    const src = await open(from)
    const readModel = [...src.objectStoreNames].find((s) => s.startsWith(readModelPrefix))
    if (!readModel) throw new Error(`no ${readModelPrefix}* table in ${from}`)
    const names = ['events', 'commands', 'meta', readModel]
    const tx = src.transaction(names)
    const shapes = names.map((s) => shapeOf(tx.objectStore(s)))
    const [events, journal, rows] = (await Promise.all(
      ['events', 'commands', readModel].map((s) => req(tx.objectStore(s).getAll(null, n))),
    )) as [Command['event'][], Row[], Row[]]
    src.close()
    const count = Math.min(events.length, journal.length, rows.length)
    if (count < n) throw new Error(`${from} holds ${count} commands' rows, ${n} wanted`)
    const commands = events.map((event, i) => ({ event, journal: journal[i]!, row: rows[i]! }))
    const db = await open(to, (d) => {
      for (const s of shapes) {
        const store = d.createObjectStore(s.name, { keyPath: s.keyPath, autoIncrement: s.autoIncrement })
        for (const i of s.indexes) store.createIndex(i.name, i.keyPath, { unique: i.unique, multiEntry: i.multiEntry })
      }
    })
    return new ModelFloor(db, readModel, commands)
  }

  /** All commands, `BATCH` per transaction, as a burst runs them. */
  async burst(): Promise<{ rows: number; ms: number }> {
    const start = performance.now()
    for (let i = 0; i < this.commands.length; i += BATCH) await this.run(this.commands.slice(i, i + BATCH))
    return { rows: this.commands.length, ms: performance.now() - start }
  }

  /** Command `i` alone in its transaction, as an awaited command runs. */
  command(i: number): Promise<void> {
    const command = this.commands[i]
    if (!command) throw new Error(`no command ${i}`)
    return this.run([command])
  }

  close(): void {
    this.db.close()
  }

  /** One transaction: the reads in parallel (as Cairn's prefetch), then the three writes per command. */
  private async run(commands: Command[]): Promise<void> {
    const tx = this.db.transaction(['events', 'commands', 'meta', this.readModel], 'readwrite', {
      durability: 'relaxed',
    })
    const committed = done(tx)
    const events = tx.objectStore('events')
    const byStream = events.index('[stream+version]')
    await Promise.all([
      req(events.openCursor(null, 'prev')),
      req(tx.objectStore('meta').get(META_HIGH_WATER)),
      ...commands.map((c) =>
        req(byStream.openCursor(IDBKeyRange.bound([c.event.stream, -Infinity], [c.event.stream, []]), 'prev')),
      ),
    ])
    const journal = tx.objectStore('commands')
    const rows = tx.objectStore(this.readModel)
    for (const c of commands) {
      events.put(c.event)
      journal.put(c.journal)
      rows.put(c.row)
    }
    await committed
  }
}
