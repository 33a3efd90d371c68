import { keyFromPassphrase, type SpaceKey } from '@cairn/core'

/**
 * The space key of scenario 14, the same in the page and in Node (which fills the space): few PBKDF2 iterations,
 * since deriving the key is not what the scenario measures (it happens before the timing starts).
 */
export function benchKey(passphrase: string, space: string): Promise<SpaceKey> {
  return keyFromPassphrase(passphrase, { salt: `cairn-bench/${space}`, iterations: 1000 })
}
