/**
 * Which joined spaces are end-to-end encrypted, and with which keys (issue 16). The app turns encryption on per
 * space: `joinSpace(space, { encryption: { keys } })` keeps the keys in the database (every tab's worker, and the
 * next visit, finds them there), or `serve(domain, { sync: { encryption } })` supplies them from the worker.
 */

import { type SpaceKey, type SpaceKeys, spaceKeys } from '../crypto/keys'
import { SyncError } from '../domain/errors'
import type { SpaceEncryptionRecord, SpaceRecord } from '../store/records'

/** Encryption of a space as `joinSpace` takes it. */
export interface JoinEncryption {
  /**
   * Keys to add to the space's keys (kept in this database, shared by its tabs). Keys already known by id are
   * replaced, the others kept, so old events stay readable; the last key given seals new events. An empty list
   * turns encryption on without a key: the space's events wait, unapplied, until a key arrives.
   */
  keys: readonly SpaceKey[]
  /** Seal event types too (the server sees `'$encrypted'`). Default: as before, else `false`. */
  hideTypes?: boolean
  /**
   * Replace the space's keys with `keys` instead of adding them (e.g. to drop a key typed wrong). Events sealed
   * with a dropped key cannot be read here any more.
   */
  replaceKeys?: boolean
}

/** Keys of a space supplied in the worker: `serve(domain, { sync: { encryption } })`. */
export interface WorkerSpaceEncryption {
  keys: SpaceKeys
  hideTypes?: boolean
}

/** A space's encryption as sync uses it. */
export interface SpaceCipher {
  keys: SpaceKeys
  hideTypes: boolean
  /** What identifies this configuration (key ids, type hiding): a new one means "try held events again". */
  fingerprint: string
  /** Ids of the keys kept with the space (empty when the worker supplies them). */
  keyIds: string[]
}

/** The record to keep after `joinSpace(space, { encryption })`, merged with what the space had. */
export function mergeEncryption(
  space: string,
  given: JoinEncryption,
  before: SpaceEncryptionRecord | undefined,
): SpaceEncryptionRecord {
  const keys = Array.isArray(given?.keys) ? given.keys : undefined
  if (keys === undefined)
    throw new SyncError('INVALID_KEYS', `joinSpace: encryption.keys of space '${space}' must be a list`, { space })
  const givenIds = new Set(keys.map((k) => k?.id))
  const kept = given.replaceKeys === true ? [] : (before?.keys ?? []).filter((k) => !givenIds.has(k.id))
  const merged = [...kept, ...keys]
  try {
    spaceKeys(merged)
  } catch (error) {
    throw new SyncError('INVALID_KEYS', `joinSpace: the keys of space '${space}' are invalid: ${errorText(error)}`, {
      space,
    })
  }
  const hideTypes = given.hideTypes ?? before?.hideTypes ?? false
  return { keys: merged.map(({ id, key }) => ({ id, key })), ...(hideTypes ? { hideTypes } : {}) }
}

/**
 * The cipher of a joined space: the worker's provider first, else the keys kept with the space; undefined when
 * the space is not encrypted.
 */
export function cipherOf(
  row: SpaceRecord,
  provider: ((space: string) => WorkerSpaceEncryption | undefined) | undefined,
): SpaceCipher | undefined {
  const supplied = provider?.(row.space)
  if (supplied) {
    const hideTypes = supplied.hideTypes ?? row.encryption?.hideTypes ?? false
    return { keys: supplied.keys, hideTypes, fingerprint: `worker:${hideTypes}`, keyIds: [] }
  }
  const kept = row.encryption
  if (!kept) return undefined
  const hideTypes = kept.hideTypes === true
  let keys: SpaceKeys
  try {
    keys = spaceKeys(kept.keys)
  } catch {
    // Checked when they were given; a row written otherwise reads nothing (its events wait, reported).
    keys = spaceKeys([])
  }
  return {
    keys,
    hideTypes,
    fingerprint: `${kept.keys.map((k) => k.id).join(',')}:${hideTypes}`,
    keyIds: kept.keys.map((k) => k.id),
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
