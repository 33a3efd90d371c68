/**
 * The invariants that hold once the network healed: the servers' logs (gapless, nothing refused or of another
 * space, no personal value in clear, no plaintext of an encrypted space); every database holds exactly each
 * joined space's log and nothing of the others, its read models and quarantine equal the model of the logs (and a
 * fresh database's, and its own after a rebuild), forgotten subjects' data is gone; every command ended confirmed
 * or rejected and reported; discarded commands reached no server; the reactor reacted once to each command.
 */

import { expect } from 'vitest'
import { createLocalClient } from '../../src/client/local-client'
import { REDACTED } from '../../src/domain/events'
import { SUBJECT_FORGOTTEN, SYSTEM_STREAM_PREFIX } from '../../src/protocol'
import { type SimVersions, simRefusal } from '../fixtures/sim-domain'
import { dumpDatabase } from '../helpers'
import { domainOf, prefixOf } from './commands'
import { type Database, now, ready, within } from './database'
import { on } from './knobs'
import { contentsOf, localLog, openedLog, shape } from './logs'
import { expectQuarantine, model, PROJECTIONS, readModels, SPACE_SCOPED } from './read-models'
import { type Run, syncCode } from './run'
import { handles, type Step, titles } from './scenario'

/** Checks every invariant of a run whose network healed (`syncErrors`: those of the last sync round). */
export async function checkInvariants(run: Run, syncErrors: string[]): Promise<void> {
  const { scenario, names, wide, servers, serverOf, encryption, encrypted, twinSynced, dbs, personal } = run
  const { executed, discarded, seen, oracle } = run
  for (const db of dbs)
    if (db.joined.size === 0)
      expect(syncCode(await db.primary.syncNow().catch((e: unknown) => e)), `${db.tag} joined no space`).toBe(
        'NO_SPACE',
      )

  // Each server's log: gapless, no duplicates, nothing it refuses.
  for (const [space, server] of servers) {
    const serverIds = server.log.map((e) => e.id)
    expect(new Set(serverIds).size, `duplicate ids on the server of '${space}'`).toBe(serverIds.length)
    expect(server.log.map((e) => e.seq)).toEqual(server.log.map((_, i) => i + 1))
    if (on('refuse'))
      expect(
        server.log.filter((e) => simRefusal(e)),
        `refused events stored in '${space}'`,
      ).toEqual([])
    const streams = server.log.filter(
      (e) =>
        !e.stream.startsWith(SYSTEM_STREAM_PREFIX) &&
        !e.stream.slice(e.stream.indexOf(':') + 1).startsWith(prefixOf(space)),
    )
    expect(
      streams.map((e) => e.stream),
      `streams of another space on the server of '${space}'`,
    ).toEqual([])
  }
  expect(twinSynced, 'the second runtime on a database synced').toEqual([])
  expect(syncErrors, 'sync still fails after the network healed').toEqual([])

  // What the servers store: no personal value in clear, ever; in an encrypted space, no title, handle or
  // personal value at all. A subject is forgotten in a space when its key store says so, and then once.
  const values = [...personal.values()].flatMap((p) => [...p.values])
  const forgotten = new Map<string, Set<string>>(names.map((space) => [space, new Set<string>()]))
  for (const [space, server] of servers) {
    const stored = JSON.stringify(server.log)
    expect(
      values.filter((v) => stored.includes(v)),
      `personal values in clear on the server of '${space}'`,
    ).toEqual([])
    if (encrypted.has(space))
      expect(
        [...titles, ...handles].filter((m) => stored.includes(m)),
        `plaintext on the server of encrypted space '${space}'`,
      ).toEqual([])
    for (const [subject, state] of server.subjectKeys) if (state === 'forgotten') forgotten.get(space)?.add(subject)
    expect(
      server.log.filter((e) => e.type === SUBJECT_FORGOTTEN).map((e) => (e.data as { subject: string }).subject),
      `$SubjectForgotten events on the server of '${space}'`,
    ).toEqual([...(forgotten.get(space) ?? [])])
  }
  const isForgotten = (space: string, subject: string) => forgotten.get(space)?.has(subject) === true
  /** The personal values of forgotten subjects found in a text, as `space subject: value`. */
  const forgottenIn = (text: string) =>
    [...personal.values()]
      .filter((p) => isForgotten(p.space, p.subject))
      .flatMap((p) => [...p.values].filter((v) => text.includes(v)).map((v) => `${p.space} ${p.subject}: ${v}`))

  const logs = await Promise.all(
    names.map(async (space) => {
      const key = encrypted.get(space)
      const form = key && encryption ? { key, hideTypes: encryption.hideTypes } : undefined
      return { space, log: await openedLog(space, serverOf(space), form) }
    }),
  )
  const logOf = (space: string) => logs.find((l) => l.space === space)?.log ?? []
  const expected = model(logs, wide)
  const expectedOf = (db: Database) =>
    model(
      logs.filter((l) => db.joined.has(l.space)),
      wide,
    )
  if (process.env.CAIRN_SIM_STATS) {
    const statuses = await Promise.all(
      executed.map(async (x) => (await dbs[x.db]?.primary.runtime.database.table('commands').get(x.commandId))?.status),
    )
    const count = (kind: Step['kind']) => scenario.steps.filter((st) => st.kind === kind).length
    const head = logs.reduce((n, l) => n + l.log.length, 0)
    console.log(
      `SIMSTATS spaces=${names.length} streams=${wide} encrypted=${encrypted.size}${encryption?.hideTypes ? '+types' : ''} forget=${scenario.forget === true} profiles=${logs.reduce((n, l) => n + l.log.filter((e) => e.type === 'ProfileSet').length, 0)} forgotten=${[...forgotten.values()].reduce((n, f) => n + f.size, 0)} events=${head} quarantined=${expected.quarantined.length} rejected=${statuses.filter((x) => x === 'rejected').length} refused=${executed.filter((x) => x.refused).length} notes=${logs.reduce((n, l) => n + l.log.filter((e) => e.type === 'Noted').length, 0)} reopens=${count('reopen')} twin=${scenario.twinOf >= 0} joins=${count('join')} leaves=${count('leave')} discarded=${discarded.reduce((n, d) => n + d.commandIds.size, 0)} ${Object.entries(
        seen,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')} members=${dbs.map((d) => [...d.joined].join('+') || '-').join(',')}`,
    )
  }
  await oracle.syncNow()
  await within(oracle.whenProcessed(oracle.runtime.status.get().position), 5000, 'oracle whenProcessed')
  const oracleModels = await readModels(oracle)
  expect(forgottenIn(await dumpDatabase(oracle.runtime.database.name)), 'the oracle: forgotten data').toEqual([])
  expect(oracleModels, 'a fresh database fed the log by pull vs the model of the log').toEqual(expected.readModels)
  await expectQuarantine(oracle, expected.quarantined, 'quarantine of a fresh database fed the log')

  for (const [i, db] of dbs.entries()) {
    await db.expectMembership('at the end')
    const { pending } = await localLog(db.primary)
    expect(pending, `client ${i} still has pending events`).toEqual([])
    for (const space of names) {
      if (db.joined.has(space)) {
        const { log } = await localLog(db.primary, space)
        expect(log, `client ${i} log of '${space}'`).toEqual(logOf(space).map(shape))
        continue
      }
      // Not a member (any more): nothing of the space.
      const held = await contentsOf(db.primary, space)
      expect(
        held.events.map((e) => e.id),
        `client ${i} holds events of '${space}' (not joined)`,
      ).toEqual([])
      expect(
        held.commands.map((x) => x.id),
        `client ${i} holds commands of '${space}' (not joined)`,
      ).toEqual([])
      for (const p of SPACE_SCOPED)
        expect(held.rows[p], `client ${i} holds ${p} rows of '${space}' (not joined)`).toEqual([])
    }
    if (process.env.CAIRN_SIM_DEBUG) {
      for (const t of ['checkpoints', 'events', 'commands', 'spaces']) {
        console.log(`client ${i} ${t}:`, JSON.stringify(await db.primary.runtime.database.table(t).toArray()))
      }
    }
    const mine = expectedOf(db)
    const models = await readModels(db.primary)
    expect(models, `client ${i} read models`).toEqual(mine.readModels)
    // Personal data: a forgotten subject's fields read REDACTED, the others' their values; no table of the
    // database holds a value ever written for a forgotten subject.
    for (const row of models.profiles as { user: string; email: string; name: string; space: string }[]) {
      const fields = [row.email, row.name]
      if (isForgotten(row.space, row.user))
        expect(fields, `client ${i}: profile of forgotten ${row.user}`).toEqual([REDACTED, REDACTED])
      else
        expect(
          fields.filter((v) => !personal.get(`${row.space} ${row.user}`)?.values.has(v)),
          `client ${i}: profile of ${row.user}`,
        ).toEqual([])
    }
    expect(forgottenIn(await dumpDatabase(db.name)), `client ${i}: personal data of forgotten subjects`).toEqual([])
    for (const c of db.runtimes()) await expectQuarantine(c, mine.quarantined, `client ${i} quarantine`)
    for (const c of db.runtimes()) {
      const reactor = c.runtime.status.get().reactors.auditor
      expect(reactor?.state ?? 'running', `client ${i} reactor: ${JSON.stringify(reactor?.lastError)}`).not.toBe(
        'stopped',
      )
    }
  }

  // Every command that appended events ended confirmed, or rejected and reported; refused ones rejected.
  // (A command of a space its database left since went with the space.)
  for (const { db, commandId, refused, gone } of executed) {
    if (gone) continue
    const client = (dbs[db] as Database).primary
    const record = await client.runtime.database.table('commands').get(commandId)
    expect(refused ? ['rejected'] : ['confirmed', 'rejected'], `command ${commandId}`).toContain(record?.status)
    if (record?.status === 'rejected') {
      await expect
        .poll(
          () =>
            (dbs[db] as Database).reported.has(commandId) ||
            client.runtime.status.get().rejected.some((r) => r.commandId === commandId),
          { timeout: 1000 },
        )
        .toBe(true)
    }
  }

  // A discarded command reached no server, unless the server had accepted it before the leave.
  for (const d of discarded) {
    const late = serverOf(d.space).log.filter(
      (e) => d.commandIds.has(e.meta?.commandId as string) && !d.onServer.has(e.id),
    )
    expect(
      late.map((e) => `${e.id} (command ${String(e.meta?.commandId)})`),
      `${d.db}: commands discarded by leaving '${d.space}' reached its server afterwards`,
    ).toEqual([])
  }

  // The reactor reacted exactly once to each logical command that added an item (never twice after a rebase).
  if (on('reactor')) {
    const causes = new Map<string, number>()
    for (const { log } of logs)
      for (const e of log) {
        if (e.type === 'Noted') {
          const cause = (e.data as { cause: string }).cause
          causes.set(cause, (causes.get(cause) ?? 0) + 1)
        }
      }
    expect(
      [...causes].filter(([, n]) => n > 1),
      'reactions to one command',
    ).toEqual([])
    // A database that left the space may have taken its reaction (pending, or not run yet) with it.
    const leftBy = (commandId: string, space: string) =>
      dbs.find((db) => commandId.startsWith(`${db.tag}-`))?.left.has(space) ?? false
    const added = logs.flatMap(({ space, log }) =>
      log
        .filter((e) => e.type === 'ItemAdded')
        .map((e) => e.meta?.commandId as string)
        .filter((c) => !leftBy(c, space)),
    )
    expect(
      added.filter((c) => !causes.has(c)),
      'added items the reactor never noted',
    ).toEqual([])
  }

  // A rebuild of every projection from the database's own log gives the same rows and quarantine (the database
  // that left the most spaces, if any did).
  const db = dbs.reduce((a, b) => (b.left.size > a.left.size ? b : a))
  const bumped = Object.fromEntries(PROJECTIONS.map((p) => [p, db.versions[p] + 1])) as unknown as SimVersions
  await db.close()
  const rebuilt = createLocalClient(domainOf(bumped, wide), { name: db.name, now })
  try {
    await ready(rebuilt, 'rebuild')
    await within(rebuilt.whenProcessed(rebuilt.runtime.status.get().position), 5000, 'rebuild whenProcessed')
    const mine = expectedOf(db)
    expect(await readModels(rebuilt), `read models of ${db.tag} after a rebuild`).toEqual(mine.readModels)
    await expectQuarantine(rebuilt, mine.quarantined, `quarantine of ${db.tag} after a rebuild`)
  } finally {
    await rebuilt.close()
  }
}
