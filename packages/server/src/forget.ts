import { createHash } from 'node:crypto'
import { type Envelope, SUBJECT_FORGOTTEN, SYSTEM_STREAM_PREFIX, type WireEvent } from '@cairn/core/protocol'
import { FORGOTTEN_ID_PREFIX } from './reserved.js'

/** What an {@link ForgetAuthorizer} is asked: may this principal forget this subject in this space? */
export interface ForgetAuthorizationRequest {
  /** The authenticated principal; undefined when the request is anonymous (open server). */
  principal: string | undefined
  space: string
  /** The subject to forget (its key is destroyed for good). */
  subject: string
}

/**
 * Decides who may forget a subject (`POST /v1/spaces/:space/forget`), once the request is admitted to the space.
 * `true` allows; anything else refuses (403 `FORBIDDEN`).
 */
export type ForgetAuthorizer = (request: ForgetAuthorizationRequest) => boolean | Promise<boolean>

/** The `clientId` the server's own events are stored with. */
export const SERVER_CLIENT_ID = `${SYSTEM_STREAM_PREFIX}server`

/** The id of a subject's `$SubjectForgotten` event: `forgotten-` + 32 base64url characters of SHA-256(`space\nsubject`). */
export function forgottenEventId(space: string, subject: string): string {
  const digest = createHash('sha256').update(`${space}\n${subject}`, 'utf8').digest('base64url')
  return `${FORGOTTEN_ID_PREFIX}${digest.slice(0, 32)}`
}

/**
 * The event that tells a space's members `subject` was forgotten: stream `$cairn:forgotten:<subject>`, version 1,
 * data `{ subject, proof? }`, no meta, and an id fixed by the space and subject, so a retried forget appends nothing
 * new (the first forget's event stays, whatever proof a retry carries).
 */
export function forgottenEvent(space: string, subject: string, proof?: Envelope): WireEvent {
  return {
    id: forgottenEventId(space, subject),
    stream: `${SYSTEM_STREAM_PREFIX}forgotten:${subject}`,
    version: 1,
    type: SUBJECT_FORGOTTEN,
    data: proof === undefined ? { subject } : { subject, proof },
  }
}
