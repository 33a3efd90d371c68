import type { Context } from 'hono'
import { badRequest, SyncHttpError } from './errors.js'

const JSON_TYPE = /^application\/json\s*(;|$)/i
// fatal: invalid UTF-8 is refused instead of silently becoming U+FFFD in the stored data
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

/**
 * Refuses a body (push, multi-space pull or live) not sent as `application/json`: a web page can send
 * `text/plain` across origins without a CORS preflight, so accepting it would let any page write to (or read
 * from) a server that trusts its callers' network.
 */
export function requireJson(c: Context): void {
  const type = c.req.header('content-type') ?? ''
  if (!JSON_TYPE.test(type))
    throw new SyncHttpError('UNSUPPORTED_MEDIA_TYPE', `request bodies must be sent as Content-Type: application/json`)
}

/** Reads the body as strict UTF-8 text (400 `INVALID_UTF8` otherwise). */
export async function readUtf8(c: Context): Promise<string> {
  const bytes = await c.req.arrayBuffer()
  try {
    return utf8.decode(bytes)
  } catch {
    throw badRequest('body is not valid UTF-8', { reason: 'INVALID_UTF8' })
  }
}

/** Whether an error comes from a client that went away mid-request (nothing to report, nobody to answer). */
export function isClientAbort(error: unknown, request: Request): boolean {
  if (request.signal.aborted) return true
  const code = (error as { code?: unknown } | null)?.code
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ABORT_ERR'
}
