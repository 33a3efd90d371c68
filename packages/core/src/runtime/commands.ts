/**
 * Commands as `execute` takes them, up to the executor: refused once the runtime is closed, the path resolved,
 * the request checked (an object, a non-empty `id`, an `expectedVersion` the executor understands) and the input
 * run through its schema, then handed to the executor once booted. Nothing is written when a check fails.
 */
import { ClosedError, ValidationError } from '../domain/errors'
import { runSchema } from '../domain/validation'
import type { CommandRequest, CommandResult, Executor } from './executor'
import type { LoadedDomain } from './loaded-domain'

/** What `execute` needs from the runtime that owns it. */
export interface CommandsHost {
  loaded: LoadedDomain
  /** The runtime's boot: commands are submitted once it is over. */
  ready: Promise<void>
  /** The executor (created at boot). */
  executor: () => Executor
  isClosed: () => boolean
}

/** Runs `execute` up to the executor (see the file comment). */
export class Commands {
  /** Settles once the last command issued was handed to the executor (or failed its checks). */
  private turn: Promise<unknown> = Promise.resolve()

  constructor(private readonly host: CommandsHost) {}

  /**
   * Executes a command by path. Throws a CairnError on failure; nothing is written then. Commands reach the
   * executor in the order `execute` was called: their checks take different times (a schema is awaited, a
   * command without one is not), so without the turn a later command could be decided before the one it follows
   * (`add` then `finish`, issued together, would find nothing to finish). A command waits for the one before it
   * to be handed over, never for its outcome; one that fails its checks holds nothing back.
   */
  execute(path: string, request: CommandRequest): Promise<CommandResult> {
    const prepared = this.prepare(path, request)
    // Its failure is reported when its turn comes.
    prepared.catch(() => {})
    let result: Promise<CommandResult> | undefined
    const handed = this.turn
      .then(() => prepared)
      .then((job) => {
        result = this.host.executor().submit(job)
      })
    this.turn = handed.catch(() => {})
    return handed.then(() => result as Promise<CommandResult>)
  }

  /** The checks of `execute`, up to the job the executor takes (once booted). */
  private async prepare(path: string, request: CommandRequest): Promise<Parameters<Executor['submit']>[0]> {
    const { host } = this
    if (host.isClosed()) throw new ClosedError()
    const { aggregate, name, handler } = host.loaded.command(path)
    checkRequest(path, request)
    let input = request.input
    const schema = aggregate.inputs[name]
    if (schema) {
      const result = await runSchema(schema, input)
      if (!result.ok) throw new ValidationError(`Input of '${path}' failed its schema`, result.issues)
      input = result.value
    }
    await host.ready
    return { path, aggregate, handler, request, input }
  }
}

/** Throws a ValidationError naming `path` when `request` is not a well-formed command request. */
function checkRequest(path: string, request: CommandRequest): void {
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
