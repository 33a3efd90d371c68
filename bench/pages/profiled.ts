/**
 * Scenarios for `bench/profile.ts`: like those of main.ts, but the worker stays alive when they end, so the
 * profiler can still stop its CPU profile. Each returns its own figure (ms, rate or median latency).
 */
import { body } from './domain'
import { measureCairnRender } from './render-cairn'
import { startCairn } from './shared'

const uid = () => Math.random().toString(36).slice(2, 10)

/** n awaited `note.add`, one after another. */
export async function serial(p: { n: number }) {
  const cairn = startCairn({ db: `profile-serial-${uid()}` })
  await cairn.waitStatus((s) => s.ready)
  for (let i = 0; i < 50; i++)
    await cairn.client.execute('note.add', { id: `w${i}`, input: { title: 'w', body: body(i) } })
  const start = performance.now()
  for (let i = 0; i < p.n; i++)
    await cairn.client.execute('note.add', { id: `s${i}`, input: { title: `s ${i}`, body: body(i) } })
  const ms = performance.now() - start
  return { items: p.n, figure: `${Math.round(p.n / (ms / 1000))} commands/s` }
}

/** n `note.add` submitted at once. */
export async function burst(p: { n: number }) {
  const cairn = startCairn({ db: `profile-burst-${uid()}` })
  await cairn.waitStatus((s) => s.ready)
  const start = performance.now()
  const jobs: Promise<unknown>[] = []
  for (let i = 0; i < p.n; i++)
    jobs.push(cairn.client.execute('note.add', { id: `b${i}`, input: { title: `b ${i}`, body: body(i) } }))
  await Promise.all(jobs)
  const ms = performance.now() - start
  return { items: p.n, figure: `${Math.round(p.n / (ms / 1000))} commands/s` }
}

/** n `useCommand().mutate` → commit of the component whose `useQuery` shows the new title (scenario 1). */
export async function render(p: { n: number }) {
  const cairn = startCairn({ db: `profile-render-${uid()}` })
  const samples = await measureCairnRender(cairn, { warmup: 30, samples: p.n, prefix: 'profile' })
  samples.sort((a, b) => a - b)
  return { items: p.n + 30, figure: `median ${samples[samples.length >> 1]?.toFixed(2)} ms` }
}
