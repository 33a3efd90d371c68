import type { AnyDomain } from '../domain/domain'
import type { AnyProjection } from '../domain/projection'

/** Tables every Cairn database has, in Dexie's schema syntax. */
export const SYSTEM_TABLES = {
  events: '++lpos, &id, &[stream+version], space, [space+gpos]',
  commands: 'id, status, space, [status+space]',
  undo: '[lpos+n], lpos, [table+key]',
  checkpoints: 'projection',
  snapshots: 'stream',
  meta: 'key',
  reactions: '[reactor+event]',
  processes: 'key',
  quarantine: '[projection+eventId], projection',
  spaces: 'space',
} as const

/** Small stable string hash (FNV-1a, 32 bit, base 36). */
export function hash(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(36)
}

/**
 * Field of every read-model row naming the space of the event that wrote it (set by the runtime on each
 * write). Every read-model table has an index on it: queries filter by space with `where('space')`.
 */
export const ROW_SPACE = 'space'

/** The Dexie schema string of a projection's table: key first, then indexes (`space` always among them). */
export function readModelSchema(p: AnyProjection): string {
  const indexes = p.table.indexes ?? []
  const withSpace = indexes.some((i) => i.replace(/^[&*]/, '') === ROW_SPACE) ? indexes : [...indexes, ROW_SPACE]
  return [p.table.key, ...withSpace].join(', ')
}

/**
 * Name of a projection's read-model table. It encodes the version, mode, key and indexes, so changing any of them
 * yields a new, empty table that is rebuilt from the log, and the old table is dropped.
 */
export function readModelTable(p: AnyProjection): string {
  return `rm_${p.name}_${hash(`${p.version}|${p.mode}|${readModelSchema(p)}`)}`
}

/** The full Dexie schema of a domain's database. */
export function deriveSchema(domain: AnyDomain): Record<string, string> {
  const schema: Record<string, string> = { ...SYSTEM_TABLES }
  for (const p of Object.values(domain.projections)) schema[readModelTable(p)] = readModelSchema(p)
  return schema
}

/** One object store as IndexedDB describes it; used to compare what is installed with what is declared. */
export interface StoreShape {
  keyPath: string | string[] | null
  autoIncrement: boolean
  indexes: Record<string, { keyPath: string | string[]; unique: boolean; multiEntry: boolean }>
}

function parseKeyPath(spec: string): string | string[] {
  return spec.startsWith('[') ? spec.slice(1, -1).split('+') : spec
}

/** What IndexedDB stores Dexie creates for a schema string (Dexie's own conventions). */
export function shapeOf(schema: string): StoreShape {
  const [primary = '', ...indexSpecs] = schema.split(',').map((s) => s.trim())
  const autoIncrement = primary.startsWith('++')
  const primaryPath = primary.replace(/^(\+\+|&)/, '')
  const indexes: StoreShape['indexes'] = {}
  for (const spec of indexSpecs) {
    if (!spec) continue
    const unique = spec.startsWith('&')
    const multiEntry = spec.startsWith('*')
    const name = spec.replace(/^[&*]/, '')
    indexes[name] = { keyPath: parseKeyPath(name), unique, multiEntry }
  }
  return { keyPath: primaryPath === '' ? null : parseKeyPath(primaryPath), autoIncrement, indexes }
}

/** True when two shapes describe the same store. */
export function sameShape(a: StoreShape, b: StoreShape): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b))
}

function normalize(s: StoreShape) {
  return {
    keyPath: s.keyPath,
    autoIncrement: s.autoIncrement,
    indexes: Object.keys(s.indexes)
      .sort()
      .map((k) => [k, s.indexes[k]?.keyPath, s.indexes[k]?.unique, s.indexes[k]?.multiEntry]),
  }
}
