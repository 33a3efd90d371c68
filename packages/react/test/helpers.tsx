import { type CairnClient, createClient } from '@cairn/core'
import type { WorkerApi } from '@cairn/core/worker'
import type { Kanban } from '@cairn/example-kanban'
import { teamBoard } from '@cairn/example-kanban'
import { QueryClient } from '@tanstack/react-query'
import * as Comlink from 'comlink'
import './register'

export interface TestCairn {
  /** The client, wrapped to count live subscriptions. */
  client: CairnClient<Kanban>
  /** Live subscriptions currently open through `client.subscribe`, by `path arg`. */
  active: Map<string, number>
  /** Total calls to `client.subscribe`. */
  subscribeCalls: () => number
  /** Distinct live queries running in the worker (its diagnostics). */
  workerLiveQueries: () => Promise<number>
  close: () => Promise<void>
}

/** Starts a real worker on a fresh database and wraps its client to count subscriptions. */
export function startCairn(prefix = 'react'): TestCairn {
  const worker = new Worker(new URL('./fixtures/kanban.worker.ts', import.meta.url), {
    type: 'module',
    name: `${prefix}-${crypto.randomUUID()}`,
  })
  const inner = createClient<Kanban>(worker)
  const diagnostics = Comlink.wrap<WorkerApi>(worker)
  const active = new Map<string, number>()
  let calls = 0
  const client: CairnClient<Kanban> = {
    ...inner,
    subscribe(path, arg, listener, onError) {
      const key = `${path} ${JSON.stringify(arg)}`
      calls++
      active.set(key, (active.get(key) ?? 0) + 1)
      const stop = inner.subscribe(path, arg, listener, onError)
      let stopped = false
      return () => {
        if (stopped) return
        stopped = true
        const n = (active.get(key) ?? 0) - 1
        if (n === 0) active.delete(key)
        else active.set(key, n)
        stop()
      }
    },
  }
  return {
    client,
    active,
    subscribeCalls: () => calls,
    workerLiveQueries: () => diagnostics.liveQueryCount(),
    close: () => inner.close(),
  }
}

/** Total open subscriptions. */
export function openSubscriptions(t: TestCairn): number {
  let n = 0
  for (const v of t.active.values()) n += v
  return n
}

/** A QueryClient for tests; `gcTime` 0 by default so unmounted queries leave the cache at once. */
export function testQueryClient(gcTime = 0): QueryClient {
  return new QueryClient({
    defaultOptions: { queries: { networkMode: 'always', gcTime }, mutations: { networkMode: 'always' } },
  })
}

export async function seedBoard(client: CairnClient<Kanban>, boardId = 'b1'): Promise<void> {
  await client.execute('board.create', {
    id: boardId,
    input: teamBoard,
  })
}

export async function addCard(client: CairnClient<Kanban>, cardId: string, column: string, title = cardId) {
  await client.execute('board.addCard', { id: 'b1', input: { cardId, title, column } })
}
