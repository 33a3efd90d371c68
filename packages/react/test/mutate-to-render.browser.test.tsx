/**
 * Measures (prints; asserts nothing about time) the median delay from `mutate` to the commit of a subscribed
 * component showing the new data: worker round trip, IndexedDB write, live query re-run, push, render.
 */
import { CairnProvider, useCommand, useQuery } from '@cairn/react'
import { useLayoutEffect } from 'react'
import { afterEach, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { addCard, seedBoard, startCairn, type TestCairn } from './helpers'

const WARM_UP = 20
const SAMPLES = 200

let cairn: TestCairn | undefined
afterEach(async () => {
  await cairn?.close()
  cairn = undefined
})

let rename: ((title: string) => void) | undefined
let waiting: { title: string; done: (at: number) => void } | undefined

/** Shows card c1's title; its layout effect notes when the title being waited for is committed. */
function Card() {
  const { data } = useQuery('cards.byId', 'c1')
  const command = useCommand('card.rename')
  rename = (title) => command.mutate({ id: 'c1', input: { title } })
  useLayoutEffect(() => {
    if (waiting && data?.title === waiting.title) waiting.done(performance.now())
  })
  return <p data-testid="title">{data?.title}</p>
}

it('mutate → render: median over 200 samples (printed)', async () => {
  cairn = startCairn('bench')
  await seedBoard(cairn.client)
  await addCard(cairn.client, 'c1', 'todo', 'start')
  const screen = await render(
    <CairnProvider client={cairn.client}>
      <Card />
    </CairnProvider>,
  )
  await expect.element(screen.getByTestId('title')).toHaveTextContent('start')
  const durations: number[] = []
  for (let i = 0; i < WARM_UP + SAMPLES; i++) {
    const title = `title ${i}`
    const committed = new Promise<number>((resolve) => {
      waiting = { title, done: resolve }
    })
    const start = performance.now()
    rename?.(title)
    const end = await committed
    if (i >= WARM_UP) durations.push(end - start)
  }
  durations.sort((a, b) => a - b)
  const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? Number.NaN
  console.log(
    `mutate → render over ${durations.length} samples: median ${at(0.5).toFixed(2)} ms, ` +
      `p90 ${at(0.9).toFixed(2)} ms, min ${at(0).toFixed(2)} ms, max ${at(1).toFixed(2)} ms`,
  )
  expect(durations).toHaveLength(SAMPLES)
})
