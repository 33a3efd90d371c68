import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StoredWireEvent, WireEvent } from '@cairn/core/protocol'

/** PostgreSQL of the test machine (trust auth). */
export const PG_URL = process.env.CAIRN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** A schema name unique to this test file and run. */
export const uniqueSchema = (prefix: string): string =>
  `t_${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase()

/** Polls `condition` until it is truthy; fails after `timeoutMs` (no fixed sleeps). */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await condition()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

let counter = 0
/** A wire event; `id` defaults to a fresh unique id. */
export function ev(stream: string, version: number, data: Record<string, unknown> = {}, id?: string): WireEvent {
  counter += 1
  return {
    id: id ?? `e-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 10)}`,
    stream,
    version,
    type: 'Happened',
    data: data as WireEvent['data'],
  }
}

/** A temp directory removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-server-test-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** JSON POST helper returning status, headers and parsed body. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers }
}

/** JSON GET helper. */
export async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(url, { headers })
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers }
}

/** A push body. */
export const push = (events: WireEvent[], clientId = 'client-1') => ({ clientId, events })

/** Pulls everything of a space over HTTP, paging. */
export async function pullAll(
  base: string,
  space: string,
  headers: Record<string, string> = {},
): Promise<StoredWireEvent[]> {
  const all: StoredWireEvent[] = []
  for (;;) {
    const { status, body } = await get(`${base}/v1/spaces/${space}/pull?after=${all.length}&limit=1000`, headers)
    if (status !== 200) throw new Error(`pull failed: ${status} ${JSON.stringify(body)}`)
    const events = body.events as StoredWireEvent[]
    all.push(...events)
    if (events.length < 1000) return all
  }
}

/** One parsed SSE message. */
export interface SseMessage {
  event: string
  data: string
  id: string | undefined
}

/** A minimal SSE client over fetch, collecting messages and comments. */
export interface LiveClient {
  status: number
  messages: SseMessage[]
  comments: string[]
  /** Every event received on `events` messages, in order. */
  events(): StoredWireEvent[]
  ended: Promise<void>
  close(): void
}

/** Opens a live stream: `GET url`, or `POST url` with `body` as JSON (the multi-space `POST /v1/live`). */
export async function openLive(url: string, headers: Record<string, string> = {}, body?: unknown): Promise<LiveClient> {
  const controller = new AbortController()
  const res = await fetch(
    url,
    body === undefined
      ? { headers, signal: controller.signal }
      : {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
          signal: controller.signal,
        },
  )
  const messages: SseMessage[] = []
  const comments: string[] = []
  const client: LiveClient = {
    status: res.status,
    messages,
    comments,
    events: () =>
      messages
        .filter((m) => m.event === 'events')
        .flatMap((m) => (JSON.parse(m.data) as { events: StoredWireEvent[] }).events),
    ended: Promise.resolve(),
    close: () => controller.abort(),
  }
  if (!res.body || !res.headers.get('content-type')?.includes('text/event-stream')) return client
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  client.ended = (async () => {
    let buffer = ''
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) return
        buffer += value
        let end = buffer.indexOf('\n\n')
        while (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const msg: SseMessage = { event: 'message', data: '', id: undefined }
          const data: string[] = []
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim())
            else if (line.startsWith('event: ')) msg.event = line.slice(7)
            else if (line.startsWith('data: ')) data.push(line.slice(6))
            else if (line.startsWith('id: ')) msg.id = line.slice(4)
          }
          msg.data = data.join('\n')
          if (data.length > 0) messages.push(msg)
          end = buffer.indexOf('\n\n')
        }
      }
    } catch {
      // aborted
    }
  })()
  return client
}
