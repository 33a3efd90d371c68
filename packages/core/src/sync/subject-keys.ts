/**
 * The subject keys this worker holds (crypto-shredding): fetched from each space's key store on the server when a
 * push or a pull needs them, kept in memory only. A forgotten subject's key is dropped and never fetched again.
 */

import { importSubjectKey, type SubjectCryptoKey } from '../crypto/personal'
import { SyncError } from '../domain/errors'
import type { SpacesTransport } from './transport'

/** A subject's key, or the news that it was forgotten; undefined: the server has none (and none was created). */
export type SubjectKeyState = SubjectCryptoKey | 'forgotten' | undefined

/** Subjects per request: the server takes at most 100. */
const PER_REQUEST = 100

export class SubjectKeyring {
  private readonly known = new Map<string, SubjectCryptoKey | 'forgotten'>()

  constructor(private readonly transport: SpacesTransport) {}

  /**
   * The keys of `subjects` in `space`, from memory or from the server (`create`: a writer about to push their
   * data asks the server to create missing keys).
   * @throws SyncError `NO_KEY_STORE` when the transport cannot reach a key store; the transport's errors.
   */
  async get(space: string, subjects: Iterable<string>, create: boolean): Promise<Map<string, SubjectKeyState>> {
    const result = new Map<string, SubjectKeyState>()
    const missing: string[] = []
    for (const subject of new Set(subjects)) {
      const known = this.known.get(keyOf(space, subject))
      if (known !== undefined) result.set(subject, known)
      else missing.push(subject)
    }
    if (missing.length === 0) return result
    const fetchKeys = this.transport.subjectKeys
    if (!fetchKeys)
      throw new SyncError(
        'NO_KEY_STORE',
        `space '${space}' holds personal data, and this transport reaches no subject key store`,
        { space },
      )
    for (let i = 0; i < missing.length; i += PER_REQUEST) {
      const subjectsAsked = missing.slice(i, i + PER_REQUEST)
      const answer = await fetchKeys.call(this.transport, space, { subjects: subjectsAsked, create })
      for (const entry of answer.keys) {
        if (!subjectsAsked.includes(entry.subject)) continue
        const state = 'forgotten' in entry ? 'forgotten' : await importSubjectKey(entry.kid, entry.key)
        this.known.set(keyOf(space, entry.subject), state)
        result.set(entry.subject, state)
      }
    }
    return result
  }

  /** `subject` was forgotten in `space`: its key is dropped for good. */
  forgotten(space: string, subject: string): void {
    this.known.set(keyOf(space, subject), 'forgotten')
  }

  /** Drops every key of `space` (the space was left). */
  dropSpace(space: string): void {
    for (const key of [...this.known.keys()]) if (key.startsWith(`${space}\n`)) this.known.delete(key)
  }
}

const keyOf = (space: string, subject: string) => `${space}\n${subject}`
