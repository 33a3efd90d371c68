import { toBase64url } from '../crypto/base64url'
import {
  type Envelope,
  type ForgetResponse,
  type PullResponse,
  type PushRequest,
  type PushResponse,
  type RefusedEvent,
  type StoredWireEvent,
  type StreamConflict,
  SUBJECT_FORGOTTEN,
  type SubjectKey,
  type SubjectKeysRequest,
  type SubjectKeysResponse,
  SYSTEM_STREAM_PREFIX,
  type WireEvent,
} from '../protocol'
import { SyncHttpError, type SyncTransport } from '../sync/transport'

/** Why the server refuses an event for good (as an authoritative server validating it would). */
export interface MemoryRefusal {
  code: 'UNKNOWN_EVENT_TYPE' | 'INVALID_EVENT_DATA' | 'FORBIDDEN'
  message: string
}

/** Options of {@link MemorySyncServer}. */
export interface MemorySyncServerOptions {
  /**
   * Refuses events for good: return a refusal for an event the server must never store. A push with refused
   * events stores nothing and throws `SyncHttpError(422, or 403 for FORBIDDEN, { code, message, refused })`,
   * `refused` listing every refused event of the batch.
   */
  refuse?: (event: WireEvent) => MemoryRefusal | undefined
  /** A push whose JSON is larger than this many bytes (UTF-8) throws `SyncHttpError(413, PAYLOAD_TOO_LARGE)`. */
  maxBatchBytes?: number
}

function refusal(e: WireEvent, code: RefusedEvent['code'], message: string): RefusedEvent {
  const commandId = e.meta?.commandId
  return { id: e.id, ...(typeof commandId === 'string' ? { commandId } : {}), code, message }
}

/**
 * An in-memory sync server with the semantics of `@cairn/server` (one space): all-or-nothing batches,
 * idempotent ids, per-stream version checks, gapless `seq`. For fast, deterministic sync tests. Options make it
 * refuse events for good (`refuse`) or limit the size of a push (`maxBatchBytes`).
 */
export class MemorySyncServer {
  readonly log: StoredWireEvent[] = []
  backendId = 'memory-backend'
  private readonly byId = new Map<string, StoredWireEvent>()
  private readonly versions = new Map<string, number>()
  private readonly listeners = new Set<(head: number) => void>()
  /** The space's subject key store (crypto-shredding): a key per subject, or forgotten. */
  readonly subjectKeys = new Map<string, { kid: string; key: string } | 'forgotten'>()

  constructor(private readonly options: MemorySyncServerOptions = {}) {}

  get head(): number {
    return this.log.length
  }

  push(request: PushRequest): PushResponse {
    const { maxBatchBytes, refuse } = this.options
    if (maxBatchBytes !== undefined) {
      const bytes = new TextEncoder().encode(JSON.stringify(request)).length
      if (bytes > maxBatchBytes) {
        throw new SyncHttpError(413, {
          code: 'PAYLOAD_TOO_LARGE',
          message: `body is ${bytes} bytes, larger than ${maxBatchBytes} bytes`,
        })
      }
    }
    if (refuse) {
      const refused: RefusedEvent[] = []
      for (const e of request.events) {
        const r = refuse(e)
        if (r) refused.push(refusal(e, r.code, r.message))
      }
      const first = refused[0]
      if (first) {
        throw new SyncHttpError(first.code === 'FORBIDDEN' ? 403 : 422, {
          code: first.code,
          message: first.message,
          refused,
        })
      }
    }
    const accepted: { id: string; seq: number }[] = []
    const fresh: StoredWireEvent[] = []
    const next = new Map<string, number>()
    const conflicts: StreamConflict[] = []
    const reused: WireEvent[] = []
    for (const e of request.events) {
      const existing = this.byId.get(e.id) ?? fresh.find((f) => f.id === e.id)
      if (existing) {
        if (
          JSON.stringify([existing.stream, existing.version, existing.data]) ===
          JSON.stringify([e.stream, e.version, e.data])
        ) {
          accepted.push({ id: e.id, seq: existing.seq })
        } else reused.push(e)
        continue
      }
      const expected = next.get(e.stream) ?? (this.versions.get(e.stream) ?? 0) + 1
      if (e.version !== expected) {
        if (!conflicts.some((c) => c.stream === e.stream))
          conflicts.push({ stream: e.stream, expected, actual: e.version })
        continue
      }
      next.set(e.stream, expected + 1)
      const stored = { ...structuredClone(e), seq: this.head + fresh.length + 1 }
      fresh.push(stored)
      accepted.push({ id: e.id, seq: stored.seq })
    }
    if (reused.length > 0) {
      const message = 'id reused with other content'
      throw new SyncHttpError(409, {
        code: 'ID_REUSED',
        message,
        details: reused.map((e) => e.id),
        refused: reused.map((e) => refusal(e, 'ID_REUSED', message)),
      })
    }
    if (conflicts.length > 0) {
      throw new SyncHttpError(409, {
        code: 'CONFLICT',
        message: 'version conflict',
        streams: conflicts,
        head: this.head,
      })
    }
    for (const e of fresh) {
      this.log.push(e)
      this.byId.set(e.id, e)
      this.versions.set(e.stream, e.version)
    }
    if (fresh.length > 0) for (const l of this.listeners) l(this.head)
    return { accepted, head: this.head, backendId: this.backendId }
  }

  /** The keys of `subjects`, created when asked to (never for a forgotten subject). */
  keysOf(request: SubjectKeysRequest): SubjectKeysResponse {
    const keys: SubjectKey[] = []
    for (const subject of request.subjects) {
      let known = this.subjectKeys.get(subject)
      if (known === undefined && request.create) {
        const random = (n: number) => toBase64url(globalThis.crypto.getRandomValues(new Uint8Array(n)))
        known = { kid: random(16), key: random(32) }
        this.subjectKeys.set(subject, known)
      }
      if (known === 'forgotten') keys.push({ subject, forgotten: true })
      else if (known !== undefined) keys.push({ subject, ...known })
    }
    return { keys }
  }

  /**
   * Forgets a subject: its key is destroyed and a `$SubjectForgotten` event appended (once), carrying the
   * request's proof (end-to-end encrypted spaces).
   */
  forget(subject: string, proof?: Envelope): ForgetResponse {
    this.subjectKeys.set(subject, 'forgotten')
    const stream = `${SYSTEM_STREAM_PREFIX}forgotten:${subject}`
    const known = this.log.find((e) => e.stream === stream)
    if (known) return { subject, seq: known.seq }
    const event: StoredWireEvent = {
      id: `forgotten-${toBase64url(new TextEncoder().encode(subject)).slice(0, 32)}-${this.head + 1}`,
      stream,
      version: 1,
      type: SUBJECT_FORGOTTEN,
      data: proof === undefined ? { subject } : { subject, proof },
      seq: this.head + 1,
    }
    this.log.push(event)
    this.byId.set(event.id, event)
    this.versions.set(stream, 1)
    for (const l of this.listeners) l(this.head)
    return { subject, seq: event.seq }
  }

  pull(after: number, limit: number): PullResponse {
    return { events: structuredClone(this.log.slice(after, after + limit)), head: this.head, backendId: this.backendId }
  }

  /** A transport for one client; the live channel pokes on every commit. */
  transport(): SyncTransport {
    return {
      push: async (request) => this.push(structuredClone(request)),
      pull: async (after, limit) => this.pull(after, limit),
      subjectKeys: async (request) => this.keysOf(structuredClone(request)),
      forget: async (request) => this.forget(request.subject, structuredClone(request.proof)),
      live: (_after, handlers) => {
        const listener = (head: number) => handlers.onEvents(head)
        this.listeners.add(listener)
        queueMicrotask(() => handlers.onConnected(true))
        return () => this.listeners.delete(listener)
      },
    }
  }
}
