import { CairnProvider, useCairn, useCommand, useQuery, useSyncStatus } from '@cairn/react'
import { Component, type ReactNode } from 'react'
import { afterEach, describe, expect, it } from 'vitest'
import { render } from 'vitest-browser-react'
import { useShallow } from 'zustand/shallow'
import { addCard, seedBoard, startCairn, type TestCairn } from './helpers'

let cairn: TestCairn | undefined
afterEach(async () => {
  await cairn?.close()
  cairn = undefined
})

class Catch extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null }
  static getDerivedStateFromError(error: Error) {
    return { error }
  }
  override render() {
    return this.state.error ? <p data-testid="caught">{this.state.error.message}</p> : this.props.children
  }
}

function CallHook({ hook }: { hook: () => unknown }) {
  hook()
  return null
}

describe('CairnProvider', () => {
  it.each([
    ['useQuery', () => useQuery('cards.byId', 'c1')],
    ['useCommand', () => useCommand('card.rename')],
    ['useSyncStatus', () => useSyncStatus()],
    ['useCairn', () => useCairn()],
  ])('%s outside the provider throws a message that says what to do', async (name, hook) => {
    const screen = await render(
      <Catch>
        <CallHook hook={hook} />
      </Catch>,
      { createRootOptions: { onCaughtError: () => {} } },
    )
    await expect
      .element(screen.getByTestId('caught'))
      .toHaveTextContent(`${name}() must be called inside <CairnProvider`)
  })
})

let onlineRenders = 0

function Online() {
  onlineRenders++
  return <p data-testid="online">online:{String(useSyncStatus((s) => s.online))}</p>
}

function Pending() {
  const { ready, pending, connected } = useSyncStatus(
    useShallow((s) => ({ ready: s.ready, pending: s.pending, connected: s.connected })),
  )
  return <p data-testid="pending">{`ready:${ready} pending:${pending} connected:${connected}`}</p>
}

describe('useSyncStatus', () => {
  it('reports the real pending count and online state, and re-renders only for the selected slice', async () => {
    cairn = startCairn('status')
    const screen = await render(
      <CairnProvider client={cairn.client}>
        <Online />
        <Pending />
      </CairnProvider>,
    )
    await expect.element(screen.getByTestId('pending')).toHaveTextContent('ready:true pending:0 connected:false')
    await expect.element(screen.getByTestId('online')).toHaveTextContent(`online:${navigator.onLine}`)
    const settled = onlineRenders
    await seedBoard(cairn.client)
    await addCard(cairn.client, 'c1', 'todo')
    await expect.element(screen.getByTestId('pending')).toHaveTextContent('ready:true pending:2 connected:false')
    expect(onlineRenders).toBe(settled)
  })
})
