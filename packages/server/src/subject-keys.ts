import { randomBytes } from 'node:crypto'
import type { SubjectKey, SubjectKeysResponse } from '@cairn/core/protocol'
import type { SubjectKeyMaterial, SubjectKeyState } from './storage/types.js'

/** A new subject key: 32 random bytes (AES-256-GCM) and a 16-byte id, both base64url without padding. */
export function newSubjectKey(): SubjectKeyMaterial {
  return { kid: randomBytes(16).toString('base64url'), key: randomBytes(32).toString('base64url') }
}

/**
 * The answer to `POST /v1/spaces/:space/subject-keys`: one entry per subject asked (in the order asked) that has a
 * key or was forgotten; the others are left out.
 */
export function subjectKeysResponse(
  subjects: readonly string[],
  found: ReadonlyMap<string, SubjectKeyState>,
): SubjectKeysResponse {
  const keys: SubjectKey[] = []
  for (const subject of subjects) {
    const state = found.get(subject)
    if (state === undefined) continue
    keys.push(state === 'forgotten' ? { subject, forgotten: true } : { subject, kid: state.kid, key: state.key })
  }
  return { keys }
}
