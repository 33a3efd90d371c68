/**
 * The checks `execute` makes on the request it was handed, before the command is queued: an object, with a
 * non-empty `id` and an `expectedVersion` the executor understands. (The input's schema is run by `execute`.)
 */
import { ValidationError } from '../domain/errors'
import type { CommandRequest } from './executor'

/** Throws a ValidationError naming `path` when `request` is not a well-formed command request. */
export function checkRequest(path: string, request: CommandRequest): void {
  if (typeof request !== 'object' || request === null) {
    throw new ValidationError(`execute('${path}'): expected { id, input }`, [{ message: 'expected an object' }])
  }
  if (typeof request.id !== 'string' || request.id === '') {
    throw new ValidationError(`execute('${path}'): 'id' must be a non-empty string`, [
      { message: 'expected a non-empty string', path: ['id'] },
    ])
  }
  const ev = request.expectedVersion
  if (ev !== undefined && ev !== 'any' && ev !== 'no_stream' && ev !== 'exists' && !(Number.isInteger(ev) && ev >= 0)) {
    throw new ValidationError(`execute('${path}'): invalid expectedVersion`, [
      { message: "expected a version >= 0, 'any', 'no_stream' or 'exists'", path: ['expectedVersion'] },
    ])
  }
}
