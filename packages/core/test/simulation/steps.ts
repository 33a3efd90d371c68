/** What each step of a scenario does, with the checks that hold at once (validation, leaving, a clean round). */

import { expect } from 'vitest'
import { ValidationError } from '../../src/domain/errors'
import type { EventRecord } from '../../src/store/records'
import { type Client, prefixOf, refused, toCommand } from './commands'
import type { Database } from './database'
import { contentsOf, localLog, spaceOfStream } from './logs'
import { SPACE_SCOPED } from './read-models'
import { type Run, syncCode } from './run'
import { personalValues, type Step } from './scenario'

const isValidation = (error: unknown) => error instanceof ValidationError

/**
 * Dimension `streams`: databases sync as they go (as over a live connection). One that does not hold its
 * pushes back syncs after each of its commands, and then the ones that do pull it: their pending work meets
 * pulled events of others' commands.
 */
async function liveSync(run: Run, db: Database): Promise<void> {
  const { dbs, wide } = run
  const holding = dbs.filter((other) => other.link.pushHeld)
  if (!wide || db.link.pushHeld || holding.length === 0) return
  await db.primary.syncNow().catch(() => {})
  for (const other of holding) await other.primary.syncNow().catch(() => {})
}

/** Runs one step of the scenario on its database. */
export async function runStep(run: Run, step: Step): Promise<void> {
  const { names, several, serverOf, encrypted, encryptionOf, dbs, remember, forgets, executed, discarded, seen } = run
  const db = dbs[step.client] as Database
  if (step.kind === 'command') {
    const client = step.twin && db.twin ? db.twin : db.primary
    // One of the database's spaces; `unjoined`: one it is not in (any, when there is none of that kind).
    const inPool = (n: string) => db.joined.has(n) === (step.naming !== 'unjoined')
    const pool = names.some(inPool) ? names.filter(inPool) : names
    const space = pool[(step.space ?? 0) % pool.length] as string
    const { path, request } = toCommand(step.command, prefixOf(space))
    if (step.command.kind === 'profile')
      remember(
        space,
        `${prefixOf(space)}u${step.command.user}`,
        personalValues(`${prefixOf(space)}u${step.command.user}`, step.command.variant),
      )
    if (!several) {
      const result = await client.execute(path, request as never).catch(() => undefined)
      await liveSync(run, db)
      if (result && result.events.length > 0 && !result.duplicate)
        executed.push({
          db: step.client,
          commandId: result.commandId,
          space,
          refused: refused(step.command, encrypted.has(space)),
          gone: false,
        })
      return
    }
    const stream = `${path.slice(0, path.indexOf('.'))}:${request.id}`
    const existing = await spaceOfStream(db.primary, stream)
    if (existing !== undefined) {
      expect(existing, `${db.tag}: ${stream} is in another space`).toBe(space)
      expect(db.joined.has(space), `${db.tag} holds ${stream} of '${space}', a space it did not join`).toBe(true)
    }
    let named: string | undefined = space
    let invalid: string | undefined
    if (existing !== undefined && step.naming === 'omit') {
      named = undefined
      seen.omitted++
    } else if (existing !== undefined && step.naming === 'wrong') {
      named = names[(names.indexOf(space) + 1) % names.length] as string
      invalid = `${stream} is in space '${space}', not '${named}'`
    } else if (!db.joined.has(space)) invalid = `space '${space}' is not joined`
    const streamLog = async () => {
      const { log, pending } = await localLog(db.primary, space)
      return [...log, ...pending].filter((e) => e.stream === stream)
    }
    const before = invalid ? await streamLog() : undefined
    let result: Awaited<ReturnType<Client['execute']>> | undefined
    try {
      result = await client.execute(path, { ...request, ...(named === undefined ? {} : { space: named }) } as never)
    } catch (error) {
      if (invalid === undefined && isValidation(error))
        expect.fail(`${db.tag}: ${path} on ${stream} (space '${space}'): unexpected ${String(error)}`)
      if (invalid !== undefined && !isValidation(error))
        expect.fail(`${db.tag}: ${path} on ${stream}: ${invalid}, expected a ValidationError, got ${String(error)}`)
    }
    if (invalid !== undefined) {
      seen.invalid++
      if (result) expect.fail(`${db.tag}: ${path} on ${stream} succeeded although ${invalid}`)
      expect(await streamLog(), `${db.tag}: an invalid command wrote (${invalid})`).toEqual(before)
      return
    }
    if (result && result.events.length > 0 && !result.duplicate) {
      const written = await db.primary.runtime.database
        .table<EventRecord>('events')
        .where('id')
        .anyOf(result.events.map((e) => e.id))
        .toArray()
      expect(
        written.map((e) => e.space),
        `${db.tag}: ${path} on ${stream} (named ${named ?? 'none'}) wrote into another space`,
      ).toEqual(written.map(() => space))
      executed.push({
        db: step.client,
        commandId: result.commandId,
        space,
        refused: refused(step.command, encrypted.has(space)),
        gone: false,
      })
    }
    await liveSync(run, db)
  } else if (step.kind === 'sync') {
    db.link.faults = [...step.faults]
    await db.primary.syncNow().catch(() => {})
    if (several && step.faults.every((f) => f === 'none') && !db.link.offline) {
      // A round without faults syncs every reachable space, whatever happens to the others.
      const rows = await db.primary.runtime.database.table('spaces').toArray()
      if (db.link.offlineSpaces.size > 0) seen.cutOff++
      for (const row of rows as { space: string; cursor: number }[])
        if (!db.link.offlineSpaces.has(row.space))
          expect(
            row.cursor,
            `${db.tag}: space '${row.space}' not pulled to its head by a round without faults (unreachable: ${[...db.link.offlineSpaces].join(',') || 'none'})`,
          ).toBe(serverOf(row.space).head)
    }
  } else if (step.kind === 'offline') {
    if (step.space === null || step.space === undefined || !several) db.link.offline = step.offline
    else {
      const space = names[step.space % names.length] as string
      if (step.offline) db.link.offlineSpaces.add(space)
      else db.link.offlineSpaces.delete(space)
    }
  } else if (step.kind === 'hold') {
    db.link.pushHeld = step.held
  } else if (step.kind === 'reopen') {
    await db.reopen(step.bump)
  } else if (step.kind === 'forget') {
    // A user of one of the database's spaces (of any space when it is in none), forgotten in every space
    // the database is in. A failure (offline, held, a lost request or response) is fine: the servers' key
    // stores tell what was done.
    const joined = names.filter((n) => db.joined.has(n))
    const pool = joined.length > 0 ? joined : names
    const space = pool[step.space % pool.length] as string
    const subject = `${prefixOf(space)}u${step.user}`
    const ok = await db.primary.forgetSubject(subject).then(
      () => true,
      () => false,
    )
    forgets.push({ db: db.tag, space, subject, ok, member: db.joined.has(space) })
    if (ok) seen.forgetOk++
    else seen.forgetFailed++
    if (ok && db.joined.has(space))
      expect(
        serverOf(space).subjectKeys.get(subject),
        `${db.tag}: forgetSubject('${subject}') resolved, yet the key store of '${space}' did not forget it`,
      ).toBe('forgotten')
  } else if (step.kind === 'join') {
    const client = step.twin && db.twin ? db.twin : db.primary
    const candidates = names.filter((s) => !db.joined.has(s))
    const space = (candidates.length > 0 ? candidates : names)[step.space % (candidates.length || names.length)]
    await client.joinSpace(space as string, encryptionOf(space as string))
    db.joined.add(space as string)
    await db.expectMembership(`after joining '${space}'`)
  } else {
    const client = step.twin && db.twin ? db.twin : db.primary
    const candidates = db.joined.size > 0 ? [...db.joined].sort() : names
    const space = candidates[step.space % candidates.length] as string
    const label = `${db.tag} (${client === db.twin ? 'twin' : 'primary'}) leaving '${space}'${step.discard ? ' with discardPending' : ''}`
    if (!db.joined.has(space)) {
      const error = await client.leaveSpace(space).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(syncCode(error), `${label}, not joined`).toBe('NOT_JOINED')
      return
    }
    const before = await contentsOf(db.primary, space)
    const onServer = new Set(serverOf(space).log.map((e) => e.id))
    let outcome: { discarded: number } | undefined
    let failure: unknown
    try {
      outcome = await client.leaveSpace(space, step.discard ? { discardPending: true } : {})
    } catch (error) {
      failure = error
    }
    if (failure !== undefined) {
      // Refused: nothing removed (a reactor may have added work meanwhile; nothing syncs here).
      if (step.discard) expect.fail(`${label} failed: ${String(failure)}`)
      expect(syncCode(failure), `${label}: ${String(failure)}`).toBe('UNSYNCED_WORK')
      seen.unsynced++
      const after = await contentsOf(db.primary, space)
      expect(after.pending.length, `${label}: refused, yet nothing is pending`).toBeGreaterThan(0)
      const kept = new Set(after.events.map((e) => JSON.stringify(e)))
      expect(
        before.events.filter((e) => !kept.has(JSON.stringify(e))),
        `${label}: refused, yet events changed`,
      ).toEqual([])
      const commands = new Map(after.commands.map((x) => [x.id, x.status]))
      expect(
        before.commands.filter((x) => commands.get(x.id) !== x.status).map((x) => x.id),
        `${label}: refused, yet commands changed`,
      ).toEqual([])
      for (const p of ['items', 'columns', 'handles'] as const)
        expect(after.rows[p], `${label}: refused, yet ${p} rows changed`).toEqual(before.rows[p])
      await db.expectMembership(`after ${label} was refused`)
      return
    }
    if (!step.discard) {
      expect(
        before.pending.map((x) => x.id),
        `${label}: left although work was pending`,
      ).toEqual([])
      expect(outcome?.discarded, `${label}: discarded`).toBe(0)
    } else expect(outcome?.discarded, `${label}: discarded`).toBeGreaterThanOrEqual(before.pending.length)
    db.joined.delete(space)
    db.left.add(space)
    const after = await contentsOf(db.primary, space)
    expect(
      after.events.map((e) => e.id),
      `${label}: events left behind`,
    ).toEqual([])
    expect(
      after.commands.map((x) => x.id),
      `${label}: commands left behind`,
    ).toEqual([])
    for (const p of SPACE_SCOPED) expect(after.rows[p], `${label}: ${p} rows left behind`).toEqual([])
    await db.expectMembership(`after ${label}`)
    for (const x of executed) if (x.db === step.client && x.space === space) x.gone = true
    if (before.pending.length > 0)
      discarded.push({ db: db.tag, space, commandIds: new Set(before.pending.map((x) => x.id)), onServer })
  }
}
