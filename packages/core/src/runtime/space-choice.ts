import type { SpaceOf } from '../domain/domain'
import { ValidationError } from '../domain/errors'

/** The space of commands that name none, where nothing else decides it and no sync is configured. */
export const DEFAULT_SPACE = 'default'

const SPACE_NAME = /^[A-Za-z0-9_-]{1,64}$/

/** True for a valid space name: 1–64 letters, digits, `_` or `-` (what the server accepts). */
export function isSpaceName(space: unknown): space is string {
  return typeof space === 'string' && SPACE_NAME.test(space)
}

/** What deciding a command's space needs to know about the database. */
export interface SpaceChoice {
  /** The joined spaces when the runtime syncs; `undefined` without sync (a command may name any space). */
  joined(): ReadonlySet<string> | undefined
  /** The domain's derivation for new streams. */
  spaceOf?: SpaceOf | undefined
}

/** A command's identity, as the space choice sees it. */
export interface SpaceRequest {
  path: string
  aggregate: string
  id: string
  input: unknown
  /** The space the command named, if any. */
  space?: string | undefined
  /** A new stream's space when neither the command nor `spaceOf` names one. */
  fallback?: string | undefined
}

const invalid = (message: string, issue: string) => new ValidationError(message, [{ message: issue, path: ['space'] }])

/**
 * The space of a command: its stream's space when the stream exists (a stream never moves: naming another one
 * is an error), else the space it names, else the domain's `spaceOf`, else the single joined space (or
 * `default` without sync). With sync the space must be joined.
 */
export function chooseSpace(
  request: SpaceRequest,
  /** The space of the stream when it exists. */
  existing: string | undefined,
  choice: SpaceChoice,
): string | ValidationError {
  const stream = `${request.aggregate}:${request.id}`
  if (request.space !== undefined && !isSpaceName(request.space))
    return invalid(`${request.path}: invalid space name`, 'expected 1-64 letters, digits, _ or -')
  const joined = choice.joined()
  if (existing !== undefined) {
    if (request.space !== undefined && request.space !== existing)
      return invalid(
        `${stream} belongs to space '${existing}', not '${request.space}': a stream never moves`,
        `the stream's space is '${existing}'`,
      )
    if (joined !== undefined && !joined.has(existing))
      return invalid(`${stream} belongs to space '${existing}', which is not joined`, 'not a joined space')
    return existing
  }
  let space: string | undefined
  try {
    space = request.space ?? derived(request, choice) ?? request.fallback
  } catch (error) {
    return error as ValidationError
  }
  if (space === undefined) {
    if (joined === undefined) return DEFAULT_SPACE
    if (joined.size === 1) return [...joined][0] as string
    return invalid(
      joined.size === 0
        ? `${request.path}: no space joined yet (joinSpace first)`
        : `${request.path}: several spaces are joined; name the command's space (or derive it with spaceOf)`,
      'a space is required',
    )
  }
  if (!isSpaceName(space))
    return invalid(`${request.path}: spaceOf gave an invalid space name`, 'expected 1-64 letters, digits, _ or -')
  if (joined !== undefined && !joined.has(space))
    return invalid(`${request.path}: space '${space}' is not joined (joinSpace first)`, 'not a joined space')
  return space
}

function derived(request: SpaceRequest, choice: SpaceChoice): string | undefined {
  const { path, aggregate, id, input } = request
  try {
    return choice.spaceOf?.({ path, aggregate, id, input })
  } catch (error) {
    throw invalid(`${path}: spaceOf threw: ${error instanceof Error ? error.message : String(error)}`, 'spaceOf failed')
  }
}
