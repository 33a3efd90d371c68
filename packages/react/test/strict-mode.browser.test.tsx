import { CairnProvider, useQuery, useSuspenseQuery } from '@cairn/react'
import { StrictMode, Suspense } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { addCard, openSubscriptions, seedBoard, startCairn, type TestCairn, testQueryClient } from './helpers'

let cairn: TestCairn | undefined
afterEach(async () => {
  await cairn?.close()
  cairn = undefined
})

function Column({ column }: { column: string }) {
  const { data } = useQuery('cards.byColumn', { board: 'b1', column })
  return <p data-testid={column}>{`${column}:${(data ?? []).map((c) => c.title).join(',')}`}</p>
}

function Title({ id }: { id: string }) {
  const { data } = useSuspenseQuery('cards.byId', id)
  return <p data-testid={`title-${id}`}>{`title:${data?.title}`}</p>
}

describe('StrictMode', () => {
  it('neither leaks nor doubles subscriptions over mount/unmount cycles', async () => {
    cairn = startCairn('strict')
    await seedBoard(cairn.client)
    await addCard(cairn.client, 'c1', 'todo', 'One')
    const queryClient = testQueryClient(0)
    for (let cycle = 1; cycle <= 3; cycle++) {
      const screen = await render(
        <StrictMode>
          <CairnProvider client={cairn.client} queryClient={queryClient}>
            <Column column="todo" />
            <Column column="todo" />
            <Column column="done" />
            <Suspense fallback={<p>loading</p>}>
              <Title id="c1" />
              <Title id="c1" />
            </Suspense>
          </CairnProvider>
        </StrictMode>,
      )
      await expect.element(screen.getByTestId('todo').first()).toHaveTextContent('todo:One')
      await expect.element(screen.getByTestId('title-c1').first()).toHaveTextContent('title:One')
      // Exactly one subscription per distinct query, in the page and in the worker.
      expect(Object.fromEntries(cairn.active)).toEqual({
        'cards.byColumn {"board":"b1","column":"todo"}': 1,
        'cards.byColumn {"board":"b1","column":"done"}': 1,
        'cards.byId "c1"': 1,
      })
      await expect.poll(() => cairn!.workerLiveQueries()).toBe(3)
      expect(cairn.subscribeCalls()).toBe(3 * cycle)
      await screen.unmount()
      // gcTime 0: the queries leave the cache right after the last unmount, and so do the subscriptions.
      await expect.poll(() => openSubscriptions(cairn!)).toBe(0)
      await expect.poll(() => cairn!.workerLiveQueries()).toBe(0)
    }
  })
})
