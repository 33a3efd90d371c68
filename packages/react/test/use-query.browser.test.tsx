import type { CardRow } from '@cairn/example-kanban'
import { CairnProvider, useCommand, useQuery, useSuspenseQuery } from '@cairn/react'
import { Profiler, type ProfilerOnRenderCallback, Suspense, useState } from 'react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { addCard, openSubscriptions, seedBoard, startCairn, type TestCairn, testQueryClient } from './helpers'

let cairn: TestCairn | undefined
afterEach(async () => {
  await cairn?.close()
  cairn = undefined
})

const titles = (cards: CardRow[] | undefined) => (cards ?? []).map((c) => c.title).join(',')

/** Render counts by component name, reset before each test. */
const renders = new Map<string, number>()
const rendered = (name: string) => renders.set(name, (renders.get(name) ?? 0) + 1)
beforeEach(() => renders.clear())

function WipLimit() {
  const { data } = useQuery('columns.onBoard', 'b1')
  return <p data-testid="wip">wip:{data?.find((c) => c.column === 'todo')?.wipLimit ?? 'none'}</p>
}

function CardTitle({ id }: { id: string }) {
  const { data } = useQuery('cards.byId', id)
  return <p data-testid={`card-${id}`}>title:{data?.title}</p>
}

function Count() {
  rendered('Count')
  const { data } = useQuery('cards.byColumn', { board: 'b1', column: 'todo' }, { select: (cards) => cards.length })
  return <p data-testid="count">count:{data}</p>
}

function Toggle() {
  const [enabled, setEnabled] = useState(false)
  const { data, status, fetchStatus } = useQuery('cards.byId', 'c1', { enabled })
  return (
    <button type="button" onClick={() => setEnabled(true)}>
      {status}/{fetchStatus}/{data?.title ?? '-'}
    </button>
  )
}

function SuspenseTitle() {
  const { data } = useSuspenseQuery('cards.byId', 'c1', { select: (card) => card?.title ?? '?' })
  return <p data-testid="title">title:{data}</p>
}

function Unknown() {
  // @ts-expect-error unknown query path
  const { error, failureCount } = useQuery('cards.nope', 'x')
  return (
    <p data-testid="error">{error ? `${error.name}:${error.code}:${failureCount}:${error.message}` : 'no error'}</p>
  )
}

function AddAndShow() {
  const add = useCommand('board.addCard')
  return (
    <>
      <button
        type="button"
        onClick={() => add.mutate({ id: 'b1', input: { cardId: 'c9', title: 'Nine', column: 'todo' } })}
      >
        add
      </button>
      <Column column="todo" />
    </>
  )
}

function Column({ column }: { column: string }) {
  const { data, status } = useQuery('cards.byColumn', { board: 'b1', column })
  return <p data-testid={column}>{status === 'success' ? `${column}:${titles(data)}` : status}</p>
}

describe('useQuery', () => {
  it('shows the result and keeps it live: a command updates it with no invalidation', async () => {
    cairn = startCairn()
    await seedBoard(cairn.client)
    await addCard(cairn.client, 'c1', 'todo', 'First')
    const screen = await render(
      <CairnProvider client={cairn.client}>
        <Column column="todo" />
      </CairnProvider>,
    )
    await expect.element(screen.getByTestId('todo')).toHaveTextContent('todo:First')
    await addCard(cairn.client, 'c2', 'todo', 'Second')
    await expect.element(screen.getByTestId('todo')).toHaveTextContent('todo:First,Second')
    await cairn.client.execute('card.rename', { id: 'c1', input: { title: 'Renamed' } })
    await expect.element(screen.getByTestId('todo')).toHaveTextContent('todo:Second,Renamed')
  })

  it('re-renders a component only when its own result changed', async () => {
    cairn = startCairn()
    await seedBoard(cairn.client)
    await addCard(cairn.client, 'c1', 'todo', 'One')
    await addCard(cairn.client, 'c2', 'done', 'Two')
    const commits = new Map<string, number>()
    const onRender: ProfilerOnRenderCallback = (id) => commits.set(id, (commits.get(id) ?? 0) + 1)
    const screen = await render(
      <CairnProvider client={cairn.client}>
        <Profiler id="todo" onRender={onRender}>
          <Column column="todo" />
        </Profiler>
        <Profiler id="done" onRender={onRender}>
          <Column column="done" />
        </Profiler>
        <Profiler id="card-c2" onRender={onRender}>
          <CardTitle id="c2" />
        </Profiler>
        <Profiler id="wip" onRender={onRender}>
          <WipLimit />
        </Profiler>
      </CairnProvider>,
    )
    await expect.element(screen.getByTestId('todo')).toHaveTextContent('todo:One')
    await expect.element(screen.getByTestId('done')).toHaveTextContent('done:Two')
    await expect.element(screen.getByTestId('card-c2')).toHaveTextContent('title:Two')
    await expect.element(screen.getByTestId('wip')).toHaveTextContent('wip:none')
    const before = new Map(commits)

    // Another key of the same projection: only `todo` changes.
    await cairn.client.execute('card.rename', { id: 'c1', input: { title: 'Uno' } })
    await expect.element(screen.getByTestId('todo')).toHaveTextContent('todo:Uno')
    // Another projection only (columns): none of the card components changes.
    await cairn.client.execute('board.setWipLimit', { id: 'b1', input: { column: 'todo', wipLimit: 3 } })
    await expect.element(screen.getByTestId('wip')).toHaveTextContent('wip:3')

    expect(commits.get('todo')).toBe((before.get('todo') ?? 0) + 1)
    expect(commits.get('wip')).toBe((before.get('wip') ?? 0) + 1)
    expect(commits.get('done')).toBe(before.get('done'))
    expect(commits.get('card-c2')).toBe(before.get('card-c2'))
  })

  it('shares one subscription between identical queries and ends it when the query leaves the cache', async () => {
    cairn = startCairn()
    await seedBoard(cairn.client)
    const queryClient = testQueryClient(60_000)
    const screen = await render(
      <CairnProvider client={cairn.client} queryClient={queryClient}>
        <Column column="todo" />
        <Column column="todo" />
        <Column column="todo" />
        <Column column="done" />
      </CairnProvider>,
    )
    await expect.element(screen.getByTestId('done')).toHaveTextContent('done:')
    await expect.poll(() => openSubscriptions(cairn!)).toBe(2)
    expect(cairn.subscribeCalls()).toBe(2)
    await expect.poll(() => cairn!.workerLiveQueries()).toBe(2)

    // Unmounted but still cached (gcTime): the subscription stays, so a remount shows fresh data at once.
    await screen.unmount()
    expect(openSubscriptions(cairn)).toBe(2)
    await addCard(cairn.client, 'c1', 'todo', 'While away')
    const again = await render(
      <CairnProvider client={cairn.client} queryClient={queryClient}>
        <Column column="todo" />
      </CairnProvider>,
    )
    await expect.element(again.getByTestId('todo')).toHaveTextContent('todo:While away')
    expect(cairn.subscribeCalls()).toBe(2)
    await again.unmount()

    queryClient.removeQueries()
    expect(openSubscriptions(cairn)).toBe(0)
    await expect.poll(() => cairn!.workerLiveQueries()).toBe(0)
  })

  it('supports select: the component re-renders only when the selected value changes', async () => {
    cairn = startCairn()
    await seedBoard(cairn.client)
    await addCard(cairn.client, 'c1', 'todo', 'One')
    const screen = await render(
      <CairnProvider client={cairn.client}>
        <Count />
        <Column column="todo" />
      </CairnProvider>,
    )
    await expect.element(screen.getByTestId('count')).toHaveTextContent('count:1')
    const settled = renders.get('Count')
    await cairn.client.execute('card.rename', { id: 'c1', input: { title: 'Same count' } })
    await expect.element(screen.getByTestId('todo')).toHaveTextContent('todo:Same count')
    expect(renders.get('Count')).toBe(settled)
    await addCard(cairn.client, 'c2', 'todo')
    await expect.element(screen.getByTestId('count')).toHaveTextContent('count:2')
  })

  it('does not subscribe while disabled, and does once enabled', async () => {
    cairn = startCairn()
    await seedBoard(cairn.client)
    await addCard(cairn.client, 'c1', 'todo', 'One')
    const screen = await render(
      <CairnProvider client={cairn.client}>
        <Toggle />
      </CairnProvider>,
    )
    await expect.element(screen.getByRole('button')).toHaveTextContent('pending/idle/-')
    expect(cairn.subscribeCalls()).toBe(0)
    await screen.getByRole('button').click()
    await expect.element(screen.getByRole('button')).toHaveTextContent('success/idle/One')
    expect(cairn.subscribeCalls()).toBe(1)
  })

  it('useSuspenseQuery suspends until the first result, then stays live', async () => {
    cairn = startCairn()
    await seedBoard(cairn.client)
    await addCard(cairn.client, 'c1', 'todo', 'One')
    const screen = await render(
      <CairnProvider client={cairn.client}>
        <Suspense fallback={<p data-testid="title">loading</p>}>
          <SuspenseTitle />
        </Suspense>
      </CairnProvider>,
    )
    await expect.element(screen.getByTestId('title')).toHaveTextContent('title:One')
    await cairn.client.execute('card.rename', { id: 'c1', input: { title: 'Two' } })
    await expect.element(screen.getByTestId('title')).toHaveTextContent('title:Two')
    expect(cairn.subscribeCalls()).toBe(1)
  })

  it('an unknown path is a clear error result, without retries', async () => {
    cairn = startCairn()
    const screen = await render(
      <CairnProvider client={cairn.client}>
        <Unknown />
      </CairnProvider>,
    )
    await expect.element(screen.getByTestId('error')).toHaveTextContent(/UnknownPathError:UNKNOWN_PATH:1:.*cards\.nope/)
    expect(openSubscriptions(cairn)).toBe(0)
  })

  it('mutations through useCommand show up in the live query', async () => {
    cairn = startCairn()
    await seedBoard(cairn.client)
    const screen = await render(
      <CairnProvider client={cairn.client}>
        <AddAndShow />
      </CairnProvider>,
    )
    await expect.element(screen.getByTestId('todo')).toHaveTextContent('todo:')
    await screen.getByRole('button').click()
    await expect.element(screen.getByTestId('todo')).toHaveTextContent('todo:Nine')
  })
})
