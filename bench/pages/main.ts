/**
 * The bench page. Node (bench/run.ts) drives it through Playwright: `await window.bench.<scenario>(params)`.
 * Every function returns raw figures (samples, counts, milliseconds); statistics are computed in Node.
 */
import { body } from './domain'
import { benchKey } from './keys'
import { measureCairnRender } from './render-cairn'
import { abs, inChunks, memory, type StartedCairn, startCairn, startRaw } from './shared'

const uid = () => Math.random().toString(36).slice(2, 10)

const bench = {
  info: () => ({
    crossOriginIsolated,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    deviceMemory: (navigator as { deviceMemory?: number }).deviceMemory ?? null,
  }),

  /** 1. useCommand().mutate → commit of a component whose useQuery shows the new title (Cairn). */
  async renderCairn(p: { warmup: number; samples: number }) {
    const cairn = startCairn({ db: `render-${uid()}` })
    const samples = await measureCairnRender(cairn, { ...p, prefix: 'cairn' })
    await cairn.close()
    return { samples }
  },

  /** 1. Dexie on the main thread + useLiveQuery (dexie-react-hooks, installed on demand). */
  async renderDexie(p: { warmup: number; samples: number }) {
    const { renderDexie } = await import('./render-dexie')
    return renderDexie(p)
  },

  /** 1. LiveStore 0.4 commit → render (installed on demand). */
  async renderLiveStore(p: { warmup: number; samples: number }) {
    const { renderLiveStore } = await import('./livestore/render')
    return renderLiveStore(p)
  },

  /** 1./3. The floor: one Comlink round trip plus one IndexedDB put in a worker, awaited from the page. */
  async floor(p: { warmup: number; samples: number; serial: number }) {
    const raw = startRaw()
    await raw.api.openFloor(`floor-${uid()}`)
    const samples: number[] = []
    for (let i = 0; i < p.warmup + p.samples; i++) {
      const start = performance.now()
      await raw.api.put({ id: 'n1', title: `floor ${i}`, body: body(1) })
      if (i >= p.warmup) samples.push(performance.now() - start)
      await new Promise((r) => setTimeout(r, 0))
    }
    const start = performance.now()
    for (let i = 0; i < p.serial; i++) await raw.api.put({ id: `s${i}`, title: `serial ${i}`, body: body(i) })
    const serialMs = performance.now() - start
    raw.worker.terminate()
    return { samples, serial: p.serial, serialMs }
  },

  /** 2. A burst of n `note.add` commands submitted at once; then the same rows put raw in one transaction. */
  async burst(p: { db: string; n: number }) {
    const cairn = startCairn({ db: p.db })
    await cairn.waitStatus((s) => s.ready)
    const start = performance.now()
    const jobs: Promise<unknown>[] = []
    for (let i = 0; i < p.n; i++)
      jobs.push(cairn.client.execute('note.add', { id: `n${i}`, input: { title: `note ${i}`, body: body(i) } }))
    await Promise.all(jobs)
    const ms = performance.now() - start
    const count = await cairn.client.query('notes.count')
    const position =
      (await cairn.waitStatus((x) => x.position >= p.n, 10_000).catch(() => cairn.status()))?.position ?? 0
    await cairn.close()
    const raw = startRaw()
    const copy = await raw.api.copyEvents(p.db, `raw-copy-${uid()}`)
    await raw.api.modelOpen(p.db, `model-burst-${uid()}`, p.n)
    const model = await raw.api.modelBurst()
    raw.worker.terminate()
    return { n: p.n, ms, count, position, raw: copy, model }
  },

  /**
   * 14. A burst of n commands in a synced space (in clear, or end-to-end encrypted with `passphrase`): the
   * commands run while the background sync seals (or not) and pushes them. Times the burst (all executed) and
   * the burst until nothing is pending (all confirmed by the server).
   */
  async burstSynced(p: { db: string; url: string; space: string; n: number; passphrase?: string }) {
    const cairn = startCairn({ db: p.db, sync: { url: p.url, space: p.space } })
    if (p.passphrase !== undefined)
      await cairn.client.joinSpace(p.space, { encryption: { keys: [await benchKey(p.passphrase, p.space)] } })
    await cairn.waitStatus((s) => s.ready && s.connected, 30_000)
    const start = performance.now()
    const jobs: Promise<unknown>[] = []
    for (let i = 0; i < p.n; i++)
      jobs.push(cairn.client.execute('note.add', { id: `s${i}`, input: { title: `note ${i}`, body: body(i) } }))
    await Promise.all(jobs)
    const ms = performance.now() - start
    const end = await cairn.waitStatus((s) => s.pending === 0 && !s.syncing, 300_000)
    const syncedMs = performance.now() - start
    await cairn.close()
    return { n: p.n, ms, syncedMs, lastError: end.lastError }
  },

  /**
   * 3. Serial awaited commands; then the floor of the data model: the same reads and writes per command (rows
   * this run wrote), one awaited Comlink call and one transaction each.
   */
  async serial(p: { n: number; warmup: number }) {
    const db = `serial-${uid()}`
    const cairn = startCairn({ db })
    await cairn.waitStatus((s) => s.ready)
    for (let i = 0; i < p.warmup; i++)
      await cairn.client.execute('note.add', { id: `w${i}`, input: { title: `w ${i}`, body: body(i) } })
    const start = performance.now()
    for (let i = 0; i < p.n; i++)
      await cairn.client.execute('note.add', { id: `s${i}`, input: { title: `s ${i}`, body: body(i) } })
    const ms = performance.now() - start
    await cairn.close()
    const raw = startRaw()
    await raw.api.modelOpen(db, `model-serial-${uid()}`, p.warmup + p.n)
    for (let i = 0; i < p.warmup; i++) await raw.api.modelCommand(i)
    const modelStart = performance.now()
    for (let i = p.warmup; i < p.warmup + p.n; i++) await raw.api.modelCommand(i)
    const modelMs = performance.now() - modelStart
    raw.worker.terminate()
    return { n: p.n, ms, modelMs }
  },

  /** Fills a database to `target` events with bursts of `chunk` commands through the client. */
  async fill(p: { db: string; target: number; chunk: number }) {
    const cairn = startCairn({ db: p.db })
    const s = await cairn.waitStatus((x) => x.ready)
    const from = s.position
    const start = performance.now()
    await inChunks(p.target - from, p.chunk, (k) => {
      const i = from + k
      return cairn.client.execute('note.add', { id: `n${i}`, input: { title: `note ${i}`, body: body(i) } })
    })
    const ms = performance.now() - start
    const position =
      (await cairn.waitStatus((x) => x.position >= p.target, 10_000).catch(() => cairn.status()))?.position ?? 0
    await cairn.close()
    return { from, position, ms }
  },

  /** 4. Opens a filled database: time to the first query result; memory after boot and after a burst. */
  async boot(p: { db: string; burst: number }) {
    const cairn = startCairn({ db: p.db })
    const rows = await cairn.client.query('notes.first')
    const firstResultAt = abs()
    const evaluatedAt = await cairn.evaluatedAt
    const s = await cairn.waitStatus((x) => x.ready)
    const position = s.position
    const afterBoot = await memory()
    await inChunks(p.burst, 2000, (k) => {
      const i = position + k
      return cairn.client.execute('note.add', { id: `n${i}`, input: { title: `note ${i}`, body: body(i) } })
    })
    const afterBurst = await memory()
    await cairn.close()
    return {
      events: position,
      rows: (rows as unknown[]).length,
      fromModulesMs: firstResultAt - evaluatedAt,
      fromNewWorkerMs: firstResultAt - cairn.startedAt,
      afterBoot,
      afterBurst,
    }
  },

  /** 5. Opens the database with the projection's version bumped: it is rebuilt from the log. */
  async rebuild(p: { db: string }) {
    const cairn = startCairn({ db: p.db, variant: 'v2' })
    let firstProgressAt: number | undefined
    let total = 0
    let updates = 0
    const stop = cairn.client.subscribeStatus((s) => {
      if (s.rebuilding) {
        updates++
        firstProgressAt ??= abs()
        total = Math.max(total, s.rebuilding.total)
      }
    })
    await cairn.waitStatus((s) => s.ready, 300_000)
    const readyAt = abs()
    const evaluatedAt = await cairn.evaluatedAt
    const count = await cairn.client.query('notes.count')
    stop()
    const position = cairn.status()?.position ?? 0
    await cairn.close()
    const raw = startRaw()
    const floor = await raw.api.rebuild(p.db, `raw-rebuild-${uid()}`)
    const indexed = await raw.api.rebuild(p.db, `raw-rebuild-space-${uid()}`, true)
    raw.worker.terminate()
    return {
      events: position,
      total,
      updates,
      count,
      ms: readyAt - evaluatedAt,
      firstProgressAt,
      readyAt,
      raw: floor,
      rawIndexed: indexed,
    }
  },

  // 6. Propagation: this page is client A or B of one space.
  sync: undefined as StartedCairn | undefined,
  expected: undefined as { title: string; at: Promise<number> } | undefined,
  async syncStart(p: { db: string; url: string; space: string }) {
    const cairn = startCairn({ db: p.db, sync: { url: p.url, space: p.space } })
    bench.sync = cairn
    await cairn.waitStatus((s) => s.ready && s.connected, 30_000)
    return cairn.status()
  },
  /** B: subscribe to note p1 and resolve `expected` when it shows `title`. */
  syncWatch() {
    let last: string | undefined
    let waiting: { title: string; resolve: (at: number) => void } | undefined
    bench.sync!.client.subscribe('notes.byId', 'p1', (row) => {
      last = (row as { title?: string } | undefined)?.title
      if (waiting && last === waiting.title) {
        waiting.resolve(abs())
        waiting = undefined
      }
    })
    bench.expect = (title: string) => {
      const at = new Promise<number>((resolve, reject) => {
        waiting = { title, resolve }
        if (last === title) resolve(abs())
        setTimeout(() => reject(new Error(`B never saw '${title}' (last: ${last})`)), 15_000)
      })
      at.catch(() => {})
      bench.expected = { title, at }
    }
  },
  expect: (_title: string) => {},
  async waitExpected() {
    return bench.expected!.at
  },
  /** A: executes the command; returns when it started (absolute ms). */
  async syncCommand(p: { kind: 'add' | 'rename'; title: string }) {
    const at = abs()
    if (p.kind === 'add')
      await bench.sync!.client.execute('note.add', { id: 'p1', input: { title: p.title, body: '' } })
    else await bench.sync!.client.execute('note.rename', { id: 'p1', input: { title: p.title } })
    return at
  },
  /** 6. Baseline (B): a bare EventSource on the server's live channel. */
  rawWatch(p: { url: string; space: string }) {
    const seen = new Map<string, (at: number) => void>()
    const early = new Map<string, number>()
    const source = new EventSource(`${p.url}/v1/spaces/${p.space}/live?after=0`)
    source.addEventListener('events', (e) => {
      const at = abs()
      for (const ev of JSON.parse((e as MessageEvent).data).events as { id: string }[]) {
        const r = seen.get(ev.id)
        if (r) r(at)
        else early.set(ev.id, at)
      }
    })
    bench.expect = (id: string) => {
      const at = new Promise<number>((resolve, reject) => {
        const e = early.get(id)
        if (e !== undefined) return resolve(e)
        seen.set(id, resolve)
        setTimeout(() => reject(new Error(`EventSource never saw ${id}`)), 15_000)
      })
      at.catch(() => {})
      bench.expected = { title: id, at }
    }
    return new Promise<void>((resolve) => source.addEventListener('ready', () => resolve(), { once: true }))
  },
  /** 6. Baseline (A): one bare push of one event. Returns when it started. */
  async rawPush(p: { url: string; space: string; id: string; version: number }) {
    const at = abs()
    const res = await fetch(`${p.url}/v1/spaces/${p.space}/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        clientId: 'raw',
        events: [{ id: p.id, stream: 'note:p1', version: p.version, type: 'NoteRenamed', data: { title: p.id } }],
      }),
    })
    if (res.status !== 200) throw new Error(`push ${res.status}: ${await res.text()}`)
    return at
  },

  /**
   * 9. Offline backlog: pause sync, execute n commands, resume, time until nothing is pending. With
   * `passphrase` (scenario 14) the space is end-to-end encrypted: every event is sealed before its push.
   */
  async backlog(p: { db: string; url: string; space: string; n: number; passphrase?: string }) {
    const cairn = startCairn({ db: p.db, sync: { url: p.url, space: p.space } })
    if (p.passphrase !== undefined)
      await cairn.client.joinSpace(p.space, { encryption: { keys: [await benchKey(p.passphrase, p.space)] } })
    await cairn.waitStatus((s) => s.ready && s.connected, 30_000)
    await cairn.client.pauseSync()
    await cairn.waitStatus((s) => s.paused)
    await inChunks(p.n, 2000, (i) =>
      cairn.client.execute('note.add', { id: `b${i}`, input: { title: `backlog ${i}`, body: body(i) } }),
    )
    const pendingBefore = (await cairn.waitStatus((s) => s.pending >= p.n)).pending
    const start = performance.now()
    await cairn.client.resumeSync()
    const end = await cairn.waitStatus((s) => s.pending === 0 && !s.syncing, 300_000)
    const ms = performance.now() - start
    await cairn.close()
    return { n: p.n, pendingBefore, ms, head: end.head, lastError: end.lastError }
  },
  /** 9. Baseline: the same number of events pushed raw from the page in batches of 500. */
  async rawBacklog(p: { url: string; space: string; n: number; batch: number }) {
    const bodies: string[] = []
    for (let b = 0; b < p.n; b += p.batch) {
      const events = []
      for (let i = b; i < Math.min(p.n, b + p.batch); i++)
        events.push({
          id: `raw-${p.space}-${i}`,
          stream: `note:b${i}`,
          version: 1,
          type: 'NoteAdded',
          data: { title: `backlog ${i}`, body: body(i) },
        })
      bodies.push(JSON.stringify({ clientId: 'raw', events }))
    }
    const start = performance.now()
    for (const b of bodies) {
      const res = await fetch(`${p.url}/v1/spaces/${p.space}/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: b,
      })
      if (res.status !== 200) throw new Error(`push ${res.status}: ${await res.text()}`)
      await res.arrayBuffer()
    }
    return { n: p.n, ms: performance.now() - start }
  },

  /**
   * 10. First sync of a new device: an empty database, a worker `serve` with sync to a space of `n` events →
   * nothing pending, the server's head reached and the last rows shown by queries. Timed from the worker's
   * modules being evaluated (Vite's dev-time module loading is not what users pay) to the last query result.
   */
  async firstSync(p: {
    db: string
    url: string
    space: string
    n: number
    lastId: string
    /** Scenario 14: join at run time (no space configured), end-to-end encrypted with this passphrase if given. */
    join?: { passphrase?: string }
  }) {
    const key = p.join?.passphrase === undefined ? undefined : await benchKey(p.join.passphrase, p.space)
    const cairn = startCairn({ db: p.db, sync: p.join ? { url: p.url } : { url: p.url, space: p.space } })
    const evaluatedAt = await cairn.evaluatedAt
    if (p.join) await cairn.client.joinSpace(p.space, key ? { encryption: { keys: [key] } } : {})
    const s = await cairn.waitStatus((x) => x.ready && x.pending === 0 && x.head >= p.n && x.position >= p.n, 600_000)
    const last = (await cairn.client.query('notes.byId', p.lastId)) as { id: string } | undefined
    const first = (await cairn.client.query('notes.first')) as unknown[]
    const readyAt = abs()
    const count = (await cairn.client.query('notes.count')) as number
    await cairn.close()
    return {
      n: p.n,
      ms: readyAt - evaluatedAt,
      fromNewWorkerMs: readyAt - cairn.startedAt,
      head: s.head,
      position: s.position,
      count,
      lastShown: last?.id === p.lastId,
      firstRows: first.length,
      lastError: s.lastError,
    }
  },
  /** 10. Baseline: bare paged pulls + raw IndexedDB puts of the same events, in a worker. */
  async rawFirstSync(p: { url: string; space: string; limit: number }) {
    const raw = startRaw()
    const r = await raw.api.pullAndPut({ ...p, to: `raw-first-${uid()}` })
    raw.worker.terminate()
    return r
  },

  /**
   * 11. Rebase cost: a client with `pending` local commands that never leave the device (the transport's
   * pushes fail as offline ones do, no background loop), then `rounds` times: `foreign` events on other
   * streams are pushed to the server by someone else and one `syncNow()` round pulls and applies them.
   * Returns per round: pull response in the worker → round done at the page (apply), and the whole round.
   */
  async rebase(p: { db: string; url: string; space: string; pending: number; foreign: number; rounds: number }) {
    const cairn = startCairn({ db: p.db, sync: { url: p.url, space: p.space, heldPushes: true } })
    await cairn.waitStatus((s) => s.ready)
    await cairn.client.syncNow()
    await inChunks(p.pending, 2000, (i) =>
      cairn.client.execute('note.add', { id: `l${i}`, input: { title: `local ${i}`, body: body(i) } }),
    )
    if (p.pending > 0) await cairn.waitStatus((s) => s.pending >= p.pending)
    const apply: number[] = []
    const round: number[] = []
    for (let r = 0; r < p.rounds; r++) {
      const events = Array.from({ length: p.foreign }, (_, j) => ({
        id: `${p.space}-f${r}-${j}`,
        stream: `note:f${r}-${j}`,
        version: 1,
        type: 'NoteAdded',
        data: { title: `foreign ${r}.${j}`, body: body(j) },
      }))
      const res = await fetch(`${p.url}/v1/spaces/${p.space}/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId: 'foreign', events }),
      })
      if (res.status !== 200) throw new Error(`foreign push ${res.status}: ${await res.text()}`)
      await res.arrayBuffer()
      const pullsBefore = cairn.pulls.length
      const start = abs()
      // With pending events the round's push fails (held): the pull is applied all the same, then it throws.
      await cairn.client.syncNow().catch((e: unknown) => {
        if (p.pending === 0) throw e
      })
      const end = abs()
      const pulled = cairn.pulls.slice(pullsBefore)
      if (pulled.length === 0) throw new Error(`round ${r}: no pull brought the foreign events`)
      const shown = (await cairn.client.query('notes.byId', `f${r}-${p.foreign - 1}`)) as { id: string } | undefined
      if (!shown) throw new Error(`round ${r}: the last foreign note is not in the read model`)
      apply.push(end - pulled[0]!.at)
      round.push(end - start)
    }
    const pendingAfter = (await cairn.waitStatus(() => true)).pending
    const count = (await cairn.client.query('notes.count')) as number
    await cairn.close()
    return { apply, round, pendingAfter, count }
  },

  /**
   * 13. The database that holds other spaces: an empty database whose sync starts with no space, joins `spaces`
   * (each of `per` events) and syncs them all; kept open (`bench.held`) for `joinTimed`. Not timed by the scenario.
   */
  held: undefined as StartedCairn | undefined,
  async holdSpaces(p: { db: string; url: string; spaces: string[]; per: number }) {
    const cairn = startCairn({ db: p.db, sync: { url: p.url, traceRequests: true } })
    await cairn.waitStatus((s) => s.ready)
    const start = performance.now()
    for (const space of p.spaces) await cairn.client.joinSpace(space)
    const s = await cairn.waitStatus((x) => p.spaces.every((space) => (x.spaces[space]?.cursor ?? 0) >= p.per), 600_000)
    const ms = performance.now() - start
    const count = (await cairn.client.query('notes.count')) as number
    bench.held = cairn
    return {
      ms,
      count,
      position: s.position,
      pulls: cairn.requests.filter((r) => r.route === '/v1/pull').length,
      lastError: s.lastError,
    }
  },
  /**
   * 13. Joins `space` (`n` events on the server) and times it: from `joinSpace()` to the end of the sync round
   * that brought its events (its cursor at `n` in the status) and a query of its rows returning all `n` (ready).
   * In the database `holdSpaces` left open, then leaves the space again (timed apart) so the next repetition
   * holds the same events; or, with `db`, in a new empty database (a new worker, ready before the clock starts),
   * deleted after. Reports the pull requests the worker made between `joinSpace()` and ready.
   */
  async joinTimed(p: { url: string; space: string; n: number; db?: string }) {
    const fresh = p.db
    const cairn =
      fresh !== undefined ? startCairn({ db: fresh, sync: { url: p.url, traceRequests: true } }) : bench.held
    if (!cairn) throw new Error('joinTimed: holdSpaces first')
    const before = await cairn.waitStatus((s) => s.ready)
    const heldRows = (await cairn.client.query('notes.count')) as number
    // Let the worker settle (a previous leave's live-stream reopening, GC) before the clock starts.
    await new Promise((r) => setTimeout(r, 500))
    const requestsBefore = cairn.requests.length
    const start = abs()
    await cairn.client.joinSpace(p.space)
    const joinedAt = abs()
    const s = await cairn.waitStatus((x) => (x.spaces[p.space]?.cursor ?? 0) >= p.n, 300_000)
    const appliedAt = abs()
    let rows = (await cairn.client.query('notes.bySpace', p.space)) as unknown[]
    let queries = 1
    while (rows.length < p.n && abs() - appliedAt < 30_000) {
      rows = (await cairn.client.query('notes.bySpace', p.space)) as unknown[]
      queries++
    }
    const readyAt = abs()
    // The worker's request reports travel on the same port as the query's answer: all of them are in.
    const during = cairn.requests.slice(requestsBefore).filter((r) => r.start >= start && r.start <= readyAt)
    const pulls = during.filter((r) => r.route === '/v1/pull')
    const result = {
      held: before.position,
      heldRows,
      ms: readyAt - start,
      joinMs: joinedAt - start,
      appliedMs: appliedAt - start,
      queryMs: readyAt - appliedAt,
      queries,
      rows: rows.length,
      cursor: s.spaces[p.space]?.cursor ?? 0,
      pulls: pulls.length,
      pullSpaces: pulls.map((r) => r.spaces ?? 0),
      pullEvents: pulls.map((r) => r.events ?? 0),
      /** From each pull's send to its JSON body parsed, summed (the requests are sequential). */
      pullWaitMs: pulls.reduce((sum, r) => sum + ((r.bodyAt ?? r.start) - r.start), 0),
      firstPullAfterMs: pulls[0] ? pulls[0].start - start : Number.NaN,
      lastPullAnsweredMs: pulls.length > 0 ? Math.max(...pulls.map((r) => r.bodyAt ?? r.start)) - start : Number.NaN,
      otherRequests: during.filter((r) => r.route !== '/v1/pull').map((r) => r.route),
      leaveMs: Number.NaN,
      rowsAfterLeave: Number.NaN,
      lastError: s.lastError,
    }
    if (fresh !== undefined) {
      await cairn.close()
      await new Promise((resolve, reject) => {
        const req = indexedDB.deleteDatabase(fresh)
        req.onsuccess = resolve
        req.onerror = () => reject(req.error)
        req.onblocked = resolve
      })
    } else {
      const t = abs()
      await cairn.client.leaveSpace(p.space)
      result.leaveMs = abs() - t
      result.rowsAfterLeave = (await cairn.client.query('notes.count')) as number
    }
    return result
  },
  async closeHeld() {
    await bench.held?.close()
    bench.held = undefined
  },

  memory,
}

export type BenchApi = typeof bench

declare global {
  interface Window {
    bench: typeof bench
    benchReady: boolean
  }
}
window.bench = bench
window.benchReady = true
