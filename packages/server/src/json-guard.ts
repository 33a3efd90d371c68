import type { JsonValue } from '@cairn/core/protocol'

/** Why a JSON value cannot be stored as sent (`details.reason` of the 400). */
export type UnstorableReason =
  | 'TOO_DEEP'
  | 'FORBIDDEN_KEY'
  | 'NON_FINITE_NUMBER'
  | 'UNSAFE_INTEGER'
  | 'INEXACT_NUMBER'
  | 'NEGATIVE_ZERO'

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
  // more digits than a double holds (0.30000000000000000001): it would be stored rounded
  INEXACT_NUMBER: 'has more precision than a JSON number keeps here (it would be stored rounded; send it as a string)',
  // -0 is stored and returned as 0
  NEGATIVE_ZERO: 'is -0 (stored as 0)',
}

const step = (path: string, key: string | number) =>
  path === '' && typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)
    ? key
    : typeof key === 'number'
      ? `${path}[${key}]`
      : /^[A-Za-z_$][\w$]*$/.test(key)
        ? `${path}.${key}`
        : `${path}[${JSON.stringify(key)}]`

function numberProblem(n: number, judgeIntegers: boolean): UnstorableReason | undefined {
  if (!Number.isFinite(n)) return 'NON_FINITE_NUMBER'
  if (Object.is(n, -0)) return 'NEGATIVE_ZERO'
  if (judgeIntegers && Number.isInteger(n) && !Number.isSafeInteger(n)) return 'UNSAFE_INTEGER'
  return undefined
}

/**
 * Finds the first part of a parsed JSON value that would not be stored exactly as sent, or that is nested
 * deeper than `maxDepth`. Iterative, so a hostile nesting cannot overflow the stack.
 *
 * On a parsed value the text a number was sent as is gone, so an integer beyond ±(2^53 − 1) is refused even
 * when it round-trips exactly (1e20). Pass `judgeIntegers: false` when the numbers were already judged on
 * their source text with `findInexactNumber`, which refuses exactly the numbers that would change.
 */
export function findUnstorable(
  value: JsonValue,
  maxDepth: number,
  root = '$',
  judgeIntegers = true,
): Unstorable | undefined {
  const stack: [unknown, number, string][] = [[value, 1, root]]
  while (stack.length > 0) {
    const [v, depth, path] = stack.pop()!
    let reason: UnstorableReason | undefined
    if (typeof v === 'number') reason = numberProblem(v, judgeIntegers)
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

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/

/** The decimal value a JSON number's text denotes, canonically (`<sign><digits>e<exponent>`, zero as `0`). */
function decimalOf(text: string): string | undefined {
  const m = NUMBER.exec(text)
  if (!m) return undefined
  const fraction = m[3] ?? ''
  let digits = `${m[2]}${fraction}`.replace(/^0+/, '')
  if (digits === '') return '0'
  const trimmed = digits.replace(/0+$/, '')
  const exponent = Number(m[4] ?? 0) - fraction.length + (digits.length - trimmed.length)
  digits = trimmed
  return `${m[1]}${digits}e${exponent}`
}

/**
 * Whether a JSON number's text comes back as the same value once parsed and serialized again
 * (`JSON.stringify(Number(text))` denotes the same decimal value): `1e20`, `0.1`, `1.50` do; `9007199254740993`
 * and `0.30000000000000000001` do not. Non-finite values and `-0` are left to {@link findUnstorable}.
 */
function inexactReason(text: string): UnstorableReason | undefined {
  const n = Number(text)
  if (!Number.isFinite(n) || n === 0) {
    // 1e999 (Infinity) and -0 are findUnstorable's; a tiny nonzero text that underflows to 0 is inexact
    if (n !== 0 || decimalOf(text) === '0') return undefined
  } else if (decimalOf(text) === decimalOf(String(n))) return undefined
  return /[.eE]/.test(text) ? 'INEXACT_NUMBER' : 'UNSAFE_INTEGER'
}

interface Frame {
  array: boolean
  path: string
  index: number
  key: string
  expectKey: boolean
}

/**
 * Finds the first number in a JSON text (already known to be valid JSON) that would not come back as sent:
 * judged on its source text, which `JSON.parse` discards (its reviver's `context.source` needs Node 21+; this
 * server runs on Node 20 too). A single linear scan that tracks the path of each value.
 */
export function findInexactNumber(text: string): Unstorable | undefined {
  const stack: Frame[] = []
  const here = (): string => {
    const top = stack[stack.length - 1]
    if (!top) return '$'
    return top.array ? step(top.path, top.index) : step(top.path, top.key)
  }
  const open = (array: boolean) => {
    const path = stack.length === 0 ? '' : here()
    stack.push({ array, path, index: 0, key: '', expectKey: !array })
  }
  let i = 0
  while (i < text.length) {
    const ch = text[i]!
    if (ch === '"') {
      let end = i + 1
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1
      const top = stack[stack.length - 1]
      if (top && !top.array && top.expectKey) {
        top.key = JSON.parse(text.slice(i, end + 1)) as string
        top.expectKey = false
      }
      i = end + 1
    } else if (ch === '{' || ch === '[') {
      open(ch === '[')
      i += 1
    } else if (ch === '}' || ch === ']') {
      stack.pop()
      i += 1
    } else if (ch === ',') {
      const top = stack[stack.length - 1]
      if (top?.array) top.index += 1
      else if (top) top.expectKey = true
      i += 1
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      let end = i + 1
      while (end < text.length && /[-+0-9.eE]/.test(text[end]!)) end += 1
      const reason = inexactReason(text.slice(i, end))
      if (reason) {
        const path = here()
        return { reason, path, message: `${path} ${describe[reason]}` }
      }
      i = end
    } else i += 1
  }
  return undefined
}
