/**
 * Proof that a forget came from a member, in an end-to-end encrypted space (issue 16): the server of such a space
 * is not trusted with its data, so it must not be able to make every device erase it. The member asking the
 * server to forget a subject seals `{ subject }` with the space key; the server carries the envelope in the
 * `$SubjectForgotten` event; members erase only when it opens.
 */
import { decryptEventData, encryptEventData } from '../crypto/envelope'
import { type Envelope, SUBJECT_FORGOTTEN, SYSTEM_STREAM_PREFIX } from '../protocol'
import type { SpaceCipher } from './space-encryption'

const sealedAs = (space: string, subject: string) => ({
  space,
  id: 'forget-proof',
  stream: `${SYSTEM_STREAM_PREFIX}forgotten:${subject}`,
  version: 1,
  type: SUBJECT_FORGOTTEN,
})

/** Seals the proof of a forget of `subject` in `space`. */
export async function forgetProof(space: string, subject: string, cipher: SpaceCipher): Promise<Envelope> {
  return (await encryptEventData({ ...sealedAs(space, subject), data: { subject } }, cipher.keys)).data
}

/** Whether `proof` (from a `$SubjectForgotten` event's data) was sealed by a member for this very forget. */
export async function isForgetProven(
  space: string,
  subject: string,
  proof: unknown,
  cipher: SpaceCipher,
): Promise<boolean> {
  const opened = await decryptEventData({ ...sealedAs(space, subject), data: proof }, cipher.keys)
  if (!opened.ok) return false
  const data = opened.data as { subject?: unknown } | null
  return typeof data === 'object' && data !== null && data.subject === subject
}
