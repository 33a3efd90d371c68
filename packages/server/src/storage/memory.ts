import { randomUUID } from 'node:crypto'
import type { StoredWireEvent, WireEvent } from '@cairn/core/protocol'
import { ListenerRegistry } from './listeners.js'
import { payloadBytes, planAppend } from './plan.js'
import type { AppendResult, LiveListener, SubjectKeyMaterial, SubjectKeyState, SyncStorage } from './types.js'

interface MemorySpace {
  log: StoredWireEvent[]
  byId: Map<string, StoredWireEvent>
  streamVersions: Map<string, number>
  /** Subjects' keys (crypto-shredding). */
  keys: Map<string, SubjectKeyMaterial>
  /** Forgotten subjects: never given a key again. */
  forgotten: Set<string>
}

/** Options of {@link createMemoryStorage}. */
export interface MemoryStorageOptions {
  /** Fixed backend id (default: a random UUID). */
  backendId?: string
}

/**
 * In-memory storage: same semantics as the durable adapters, nothing survives the process.
 * For tests and in-process client sync tests; usable without HTTP (call its methods directly).
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): SyncStorage {
  const id = options.backendId ?? randomUUID()
  const spaces = new Map<string, MemorySpace>()
  const listeners = new ListenerRegistry()
  let closed = false

  const space = (name: string): MemorySpace => {
    let s = spaces.get(name)
    if (!s) {
      s = { log: [], byId: new Map(), streamVersions: new Map(), keys: new Map(), forgotten: new Set() }
      spaces.set(name, s)
    }
    return s
  }
  const assertOpen = () => {
    if (closed) throw new Error('memory storage is closed')
  }

  return {
    description: 'memory',
    async append(name: string, _clientId: string, events: readonly WireEvent[]): Promise<AppendResult> {
      assertOpen()
      const s = space(name)
      const result = planAppend(events, { head: s.log.length, existing: s.byId, streamVersions: s.streamVersions })
      if (!result.ok || result.stored.length === 0) return result
      for (const event of result.stored) {
        const frozen = structuredClone(event)
        s.log.push(frozen)
        s.byId.set(frozen.id, frozen)
        s.streamVersions.set(frozen.stream, frozen.version)
      }
      listeners.emit(name, { head: result.head, events: result.stored })
      return result
    },
    async read(name, after, limit, maxBytes = Number.POSITIVE_INFINITY) {
      assertOpen()
      const log = spaces.get(name)?.log ?? []
      const out: StoredWireEvent[] = []
      let bytes = 0
      for (let i = after; i < Math.min(log.length, after + limit) && bytes < maxBytes; i++) {
        const event = log[i]!
        bytes += payloadBytes(event)
        out.push(event)
      }
      return structuredClone(out)
    },
    async find(name, ids) {
      assertOpen()
      const byId = spaces.get(name)?.byId
      const found = [...new Set(ids)].map((i) => byId?.get(i)).filter((e): e is StoredWireEvent => e !== undefined)
      return structuredClone(found)
    },
    async subjectKeys(name, subjects, create) {
      assertOpen()
      const s = create ? space(name) : spaces.get(name)
      const found = new Map<string, SubjectKeyState>()
      for (const subject of subjects) {
        if (s?.forgotten.has(subject)) {
          found.set(subject, 'forgotten')
          continue
        }
        let key = s?.keys.get(subject)
        if (!key && create && s) {
          key = { ...create() }
          s.keys.set(subject, key)
        }
        if (key) found.set(subject, { ...key })
      }
      return found
    },
    async forgetSubject(name, subject) {
      assertOpen()
      const s = space(name)
      s.keys.delete(subject)
      s.forgotten.add(subject)
    },
    async head(name) {
      assertOpen()
      return spaces.get(name)?.log.length ?? 0
    },
    async backendId() {
      return id
    },
    subscribe(name: string, listener: LiveListener) {
      return listeners.add(name, listener)
    },
    async close() {
      closed = true
      listeners.clear()
    },
  }
}
