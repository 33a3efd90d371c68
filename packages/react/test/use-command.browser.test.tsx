import { CairnProvider, useCairn, useCommand } from '@cairn/react'
import { afterEach, describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { addCard, seedBoard, startCairn, type TestCairn } from './helpers'

let cairn: TestCairn | undefined
afterEach(async () => {
  await cairn?.close()
  cairn = undefined
})

function Add() {
  const add = useCommand('board.addCard')
  return (
    <button
      type="button"
      onClick={() => add.mutate({ id: 'b1', input: { cardId: 'c1', title: 'One', column: 'todo' } })}
    >
      {add.status}:{add.data?.events.map((e) => e.type).join(',')}
    </button>
  )
}

function Move() {
  const move = useCommand('board.moveCard')
  const error = move.error
  const code = error?.name === 'CommandRejected' ? error.code : error?.name
  return (
    <button type="button" onClick={() => move.mutate({ id: 'b1', input: { cardId: 'c2', to: 'doing' } })}>
      {move.status}:{code ?? '-'}
    </button>
  )
}

const captured: {
  move?: ReturnType<typeof useCommand<'board.moveCard'>>
  client?: ReturnType<typeof useCairn>
} = {}

function Capture() {
  captured.move = useCommand('board.moveCard')
  captured.client = useCairn()
  return null
}

describe('useCommand', () => {
  it('resolves with the command result', async () => {
    cairn = startCairn('command')
    await seedBoard(cairn.client)
    const screen = await render(
      <CairnProvider client={cairn.client}>
        <Add />
      </CairnProvider>,
    )
    await screen.getByRole('button').click()
    await expect.element(screen.getByRole('button')).toHaveTextContent('success:CardAdded')
  })

  it('surfaces a rejection as the mutation error, with its code', async () => {
    cairn = startCairn('command')
    await seedBoard(cairn.client)
    await addCard(cairn.client, 'c1', 'doing')
    await addCard(cairn.client, 'c2', 'todo')
    const screen = await render(
      <CairnProvider client={cairn.client}>
        <Move />
      </CairnProvider>,
    )
    await screen.getByRole('button').click()
    await expect.element(screen.getByRole('button')).toHaveTextContent('error:WipLimitReached')
  })

  it('mutateAsync rejects with the CairnError; useCairn gives the client', async () => {
    cairn = startCairn('command')
    await seedBoard(cairn.client)
    await render(
      <CairnProvider client={cairn.client}>
        <Capture />
      </CairnProvider>,
    )
    await expect(captured.move?.mutateAsync({ id: 'b1', input: { cardId: 'nope', to: 'done' } })).rejects.toMatchObject(
      {
        name: 'CommandRejected',
        code: 'NoSuchCard',
      },
    )
    expect(captured.client).toBe(cairn.client)
  })
})
