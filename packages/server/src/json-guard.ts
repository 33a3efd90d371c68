import type { JsonValue } from '@cairn/core/protocol'

/** Why a JSON value cannot be stored as sent (`details.reason` of the 400). */
export type UnstorableReason = 'TOO_DEEP' | 'FORBIDDEN_KEY' | 'NON_FINITE_NUMBER' | 'UNSAFE_INTEGER' | 'NEGATIVE_ZERO'

/** A value that would not come back as it was sent, with where and why. */
export interface Unstorable {
  reason: UnstorableReason
  /** JSON path of the offending value, e.g. `$.items[2].count`. */
  path: string
  message: string
}

const describe: Record<UnstorableReason, string> = {
  TOO_DEEP: 'is nested too deep',
  // JSON.parse makes "__proto__" an own key, but assigning it anywhere (e.g. a canonical copy) sets the prototype
  // instead: the key would vanish from comparisons and copies.
  FORBIDDEN_KEY: 'uses the key "__proto__"',
  // 1e999 parses to Infinity and is stored as null
  NON_FINITE_NUMBER: 'is a number out of range (not finite)',
  // beyond 2^53 a JSON number is rounded: what is stored is not what was sent
  UNSAFE_INTEGER: 'is an integer beyond ±(2^53 − 1) (send it as a string)',
  // -0 is stored and returned as 0
  NEGATIVE_ZERO: 'is -0 (stored as 0)',
}

const step = (path: string, key: string | number) =>
  typeof key === 'number'
    ? `${path}[${key}]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? `${path}.${key}`
      : `${path}[${JSON.stringify(key)}]`

function numberProblem(n: number): UnstorableReason | undefined {
  if (!Number.isFinite(n)) return 'NON_FINITE_NUMBER'
  if (Object.is(n, -0)) return 'NEGATIVE_ZERO'
  if (Number.isInteger(n) && !Number.isSafeInteger(n)) return 'UNSAFE_INTEGER'
  return undefined
}

/**
 * Finds the first part of a parsed JSON value that would not be stored exactly as sent, or that is nested
 * deeper than `maxDepth`. Iterative, so a hostile nesting cannot overflow the stack.
 */
export function findUnstorable(value: JsonValue, maxDepth: number, root = '$'): Unstorable | undefined {
  const stack: [unknown, number, string][] = [[value, 1, root]]
  while (stack.length > 0) {
    const [v, depth, path] = stack.pop()!
    let reason: UnstorableReason | undefined
    if (typeof v === 'number') reason = numberProblem(v)
    else if (v !== null && typeof v === 'object') {
      if (depth > maxDepth) reason = 'TOO_DEEP'
      else if (Array.isArray(v)) for (const [i, child] of v.entries()) stack.push([child, depth + 1, step(path, i)])
      else if (Object.hasOwn(v, '__proto__')) reason = 'FORBIDDEN_KEY'
      else for (const [key, child] of Object.entries(v)) stack.push([child, depth + 1, step(path, key)])
    }
    if (reason) return { reason, path, message: `${path} ${describe[reason]}` }
  }
  return undefined
}
