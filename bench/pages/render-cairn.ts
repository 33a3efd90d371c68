/**
 * Scenario 1's Cairn side, shared by the bench (main.ts) and the profiler (profiled.ts): a component whose
 * `useQuery` shows note n1's title, renamed through `useCommand` and timed to the commit that shows it.
 */
import { CairnProvider, useCommand, useQuery } from '@cairn/react'
import { createElement as h, useLayoutEffect } from 'react'
import { createRoot } from 'react-dom/client'
import { body } from './domain'
import { renderProbe, type StartedCairn } from './shared'

/** Mounts the component in #root, measures `samples` renames after `warmup`, and unmounts it. */
export async function measureCairnRender(
  cairn: StartedCairn,
  p: { warmup: number; samples: number; prefix: string },
): Promise<number[]> {
  await cairn.client.execute('note.add', { id: 'n1', input: { title: 'start', body: body(1) } })
  const probe = renderProbe()
  let rename: ((title: string) => void) | undefined
  function Note() {
    const { data } = useQuery('notes.byId', 'n1') as { data: { title: string } | undefined }
    const command = useCommand('note.rename')
    rename = (title) => command.mutate({ id: 'n1', input: { title } })
    useLayoutEffect(() => probe.committed(data?.title))
    return h('p', null, data?.title ?? '')
  }
  const root = document.getElementById('root') as HTMLElement
  const react = createRoot(root)
  react.render(h(CairnProvider, { client: cairn.client as never }, h(Note)))
  await waitFor(() => root.textContent === 'start')
  const samples = await probe.measure((t) => rename?.(t), p)
  react.unmount()
  return samples
}

function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = performance.now()
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (cond()) return resolve()
      if (performance.now() - start > timeoutMs) return reject(new Error('waitFor timed out'))
      setTimeout(tick, 5)
    }
    tick()
  })
}
