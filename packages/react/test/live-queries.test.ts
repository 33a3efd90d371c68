import type { CairnError } from '@cairn/core'
import { QueryClient, QueryObserver } from '@tanstack/react-query'
import { describe, expect, it, vi } from 'vitest'
import { LiveQueries } from '../src/live-queries'

/** A client whose subscriptions the test drives by hand. */
function fakeClient() {
  const subs: {
    path: string
    arg: unknown
    push: (v: unknown) => void
    fail: (e: CairnError) => void
    open: boolean
  }[] = []
  return {
    subs,
    open: () => subs.filter((s) => s.open).length,
    subscribe(path: string, arg: unknown, listener: (v: unknown) => void, onError?: (e: CairnError) => void) {
      const sub = { path, arg, push: listener, fail: (e: CairnError) => onError?.(e), open: true }
      subs.push(sub)
      return () => {
        sub.open = false
      }
    },
  }
}

const error = (name: string) => Object.assign(new Error(name), { name, code: name }) as unknown as CairnError

function setup() {
  const client = fakeClient()
  const queryClient = new QueryClient({
    defaultOptions: { queries: { retry: false, gcTime: Number.POSITIVE_INFINITY } },
  })
  const live = new LiveQueries(client, queryClient)
  const observe = (path: string, arg: unknown) => {
    const observer = new QueryObserver(queryClient, {
      queryKey: ['cairn', path, arg],
      queryFn: live.fetch,
      staleTime: Number.POSITIVE_INFINITY,
    })
    const results: unknown[] = []
    const unsubscribe = observer.subscribe((r) => results.push(r.data))
    return { observer, results, unsubscribe }
  }
  return { client, queryClient, live, observe }
}

describe('LiveQueries', () => {
  it('answers the first fetch with the first push, then pushes later results into the cache', async () => {
    const { client, queryClient, observe } = setup()
    const a = observe('cards.byId', 'c1')
    const b = observe('cards.byId', 'c1')
    expect(client.subs).toHaveLength(1)
    client.subs[0]?.push({ title: 'one' })
    await vi.waitFor(() => expect(a.observer.getCurrentResult().data).toEqual({ title: 'one' }))
    client.subs[0]?.push({ title: 'two' })
    expect(queryClient.getQueryData(['cairn', 'cards.byId', 'c1'])).toEqual({ title: 'two' })
    expect(b.observer.getCurrentResult().data).toEqual({ title: 'two' })
    expect(client.subs).toHaveLength(1)
  })

  it('answers a refetch with the latest result, without a new subscription', async () => {
    const { client, observe } = setup()
    const a = observe('q.x', 1)
    client.subs[0]?.push(1)
    client.subs[0]?.push(2)
    await a.observer.refetch()
    expect(a.observer.getCurrentResult().data).toBe(2)
    expect(client.subs).toHaveLength(1)
  })

  it('a failure before any result fails the fetch and drops the subscription, so a retry starts afresh', async () => {
    const { client, observe, live } = setup()
    const a = observe('q.nope', null)
    client.subs[0]?.fail(error('UnknownPathError'))
    await vi.waitFor(() => expect(a.observer.getCurrentResult().error?.name).toBe('UnknownPathError'))
    expect(client.open()).toBe(0)
    expect(live.size).toBe(0)
    const retried = a.observer.refetch()
    expect(client.subs).toHaveLength(2)
    client.subs[1]?.push('ok')
    await retried
    expect(a.observer.getCurrentResult().data).toBe('ok')
  })

  it('a failure after results refetches through a fresh subscription', async () => {
    const { client, observe } = setup()
    const a = observe('q.x', 1)
    client.subs[0]?.push('first')
    await vi.waitFor(() => expect(a.observer.getCurrentResult().data).toBe('first'))
    client.subs[0]?.fail(error('StorageError'))
    expect(client.subs[0]?.open).toBe(false)
    await vi.waitFor(() => expect(client.subs).toHaveLength(2))
    client.subs[1]?.push('second')
    await vi.waitFor(() => expect(a.observer.getCurrentResult().data).toBe('second'))
  })

  it('ends the subscription when the query leaves the cache, not when its last observer leaves', async () => {
    const { client, queryClient, observe, live } = setup()
    const a = observe('q.x', 1)
    client.subs[0]?.push('v')
    await vi.waitFor(() => expect(a.observer.getCurrentResult().data).toBe('v'))
    a.unsubscribe()
    expect(client.open()).toBe(1)
    queryClient.removeQueries({ queryKey: ['cairn', 'q.x', 1] })
    expect(client.open()).toBe(0)
    expect(live.size).toBe(0)
  })

  it('ends a subscription whose query left the cache before its first result', () => {
    const { client, queryClient, live } = setup()
    void queryClient.prefetchQuery({ queryKey: ['cairn', 'q.x', 1], queryFn: live.fetch })
    queryClient.clear()
    client.subs[0]?.push('late')
    expect(client.open()).toBe(0)
    expect(live.size).toBe(0)
  })

  it('copes with a client that throws or reports synchronously (in-process client)', async () => {
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } })
    const stopped: string[] = []
    const live = new LiveQueries(
      {
        subscribe(path, _arg, listener, onError) {
          if (path === 'q.throws') throw error('UnknownPathError')
          if (path === 'q.fails') onError?.(error('UnknownPathError'))
          else listener(`now:${path}`)
          return () => stopped.push(path)
        },
      },
      queryClient,
    )
    const fetch = (path: string) =>
      queryClient.fetchQuery({ queryKey: ['cairn', path, null] as const, queryFn: live.fetch })
    await expect(fetch('q.throws')).rejects.toMatchObject({ name: 'UnknownPathError' })
    await expect(fetch('q.fails')).rejects.toMatchObject({ name: 'UnknownPathError' })
    expect(stopped).toEqual(['q.fails'])
    await expect(fetch('q.ok')).resolves.toBe('now:q.ok')
    expect(live.size).toBe(1)
  })

  it('identical arguments share a subscription whatever their key order', () => {
    const { client, observe } = setup()
    observe('q.x', { a: 1, b: 2 })
    observe('q.x', { b: 2, a: 1 })
    observe('q.x', { a: 1, b: 3 })
    expect(client.subs).toHaveLength(2)
  })
})
