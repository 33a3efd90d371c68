import { describe, expect, it } from 'vitest'
import { CliError, parseCli } from '../src/cli-args.js'
import { addressKey } from '../src/client-address.js'
import { isAllowedHost } from '../src/host-check.js'

describe('Host check of an open server', () => {
  it.each([
    'localhost',
    'localhost:8787',
    'LOCALHOST.',
    'app.localhost:5173',
    '127.0.0.1:8787',
    '[::1]:8787',
    '10.0.0.5',
    '[2001:db8::1]',
  ])('allows %s without a list', (host) => {
    expect(isAllowedHost(host, [])).toBe(true)
  })

  it.each([undefined, '', 'attacker.example', 'attacker.example:8787', 'localhost.attacker.example', '[::1'])(
    'refuses %s without a list',
    (host) => {
      expect(isAllowedHost(host, [])).toBe(false)
    },
  )

  it('allows listed names, subdomains of a leading-dot entry, and anything with *', () => {
    expect(isAllowedHost('devbox.lan:8787', ['devbox.lan'])).toBe(true)
    expect(isAllowedHost('other.lan', ['devbox.lan'])).toBe(false)
    expect(isAllowedHost('a.example.com', ['.example.com'])).toBe(true)
    expect(isAllowedHost('example.com', ['.example.com'])).toBe(true)
    expect(isAllowedHost('badexample.com', ['.example.com'])).toBe(false)
    expect(isAllowedHost('anything.example', ['*'])).toBe(true)
  })

  it('--allowed-host takes a comma-separated list of names', () => {
    expect(parseCli(['--allowed-host', 'devbox.lan, .example.com'], {}).allowedHosts).toEqual([
      'devbox.lan',
      '.example.com',
    ])
    expect(parseCli([], {}).allowedHosts).toBeUndefined()
    expect(() => parseCli(['--allowed-host', 'http://x'], {})).toThrow(CliError)
  })
})

describe('address keys', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['[::ffff:cb00:7107]', '203.0.113.7'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2:ffff:1:2:3', '2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s counts as %s', (address, key) => {
    expect(addressKey(address)).toBe(key)
  })
})
