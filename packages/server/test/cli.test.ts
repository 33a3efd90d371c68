import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SignJWT } from 'jose'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { CliError, parseCli } from '../src/cli-args.js'
import { cacheControlFor } from '../src/static.js'
import { dropPostgresSchema } from '../src/storage/postgres.js'
import { ev, get, openLive, PG_URL, post, push, tempDir, uniqueSchema, waitFor } from './helpers.js'

const BIN = fileURLToPath(new URL('../bin/cairn-server.js', import.meta.url))
const tmp = tempDir()
const children: ChildProcess[] = []
const schema = uniqueSchema('cli')

afterEach(() => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
})
afterAll(async () => {
  await dropPostgresSchema(PG_URL, schema)
  tmp.cleanup()
})

interface Spawned {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exit: Promise<number | null>
}

function run(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Spawned {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    env: { ...process.env, CAIRN_TOKENS: '', DATABASE_URL: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let out = ''
  let err = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString()
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString()
  })
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  return { child, stdout: () => out, stderr: () => err, exit }
}

async function listening(spawned: Spawned): Promise<string> {
  const line = await waitFor(
    () =>
      /cairn-server listening on (http:\/\/\S+) \((.+)\)/.exec(spawned.stdout()) ??
      (spawned.child.exitCode !== null ? 'exited' : null),
    20_000,
    'the listening line',
  )
  if (typeof line === 'string') throw new Error(`server exited: ${spawned.stderr()}`)
  return line[1]!
}

describe('cairn-server bin', { timeout: 30_000 }, () => {
  it('starts on SQLite (creating the db directory), serves, and exits 0 on SIGTERM', async () => {
    const db = `${tmp.dir}/nested/data/cairn.db`
    const server = run(['--port', '0', '--db', db])
    const url = await listening(server)
    expect(server.stdout()).toContain(`(sqlite ${db})`)
    expect(server.stderr()).toMatch(
      /WARNING open server: no --tokens or JWT configured, so anyone who can reach http:\/\/127\.0\.0\.1:\d+ can read and write every space/,
    )
    expect(server.stderr()).toMatch(/web pages on other origins get no CORS access/)
    expect(existsSync(db)).toBe(true)
    expect(await get(`${url}/healthz`)).toMatchObject({ status: 200, body: { ok: true } })
    expect((await post(`${url}/v1/spaces/s/push`, push([ev('card:1', 1)]))).status).toBe(200)
    server.child.kill('SIGTERM')
    expect(await server.exit).toBe(0)
  })

  it('uses tokens from CAIRN_TOKENS and PostgreSQL from --database-url, exits 0 on SIGINT', async () => {
    const server = run(['--port', '0', '--database-url', PG_URL, '--pg-schema', schema], {
      CAIRN_TOKENS: 'secret=team-1',
    })
    const url = await listening(server)
    expect(server.stdout()).toContain('(postgres 127.0.0.1:5432/test)')
    expect(server.stderr()).not.toMatch(/WARNING/)
    expect((await get(`${url}/v1/spaces/team-1/pull`)).status).toBe(401)
    expect((await get(`${url}/v1/spaces/team-1/pull`, { Authorization: 'Bearer secret' })).status).toBe(200)
    server.child.kill('SIGINT')
    expect(await server.exit).toBe(0)
  })

  it('serves a static web app with SPA fallback and cache headers', async () => {
    const web = `${tmp.dir}/web`
    mkdirSync(`${web}/assets`, { recursive: true })
    writeFileSync(`${web}/index.html`, '<!doctype html><title>app</title>')
    writeFileSync(`${web}/sw.js`, 'self.addEventListener("fetch", () => {})')
    writeFileSync(`${web}/assets/index-Bx3kD9aQ.js`, 'console.log(1)')
    const server = run(['--port', '0', '--db', `${tmp.dir}/static.db`, '--static', web])
    const url = await listening(server)
    const index = await fetch(`${url}/`)
    expect(await index.text()).toContain('<title>app</title>')
    expect(index.headers.get('cache-control')).toBe('no-cache')
    const deepLink = await fetch(`${url}/board/42`, { headers: { Accept: 'text/html' } })
    expect(deepLink.status).toBe(200)
    expect(await deepLink.text()).toContain('<title>app</title>')
    expect((await fetch(`${url}/sw.js`)).headers.get('cache-control')).toBe('no-cache')
    const asset = await fetch(`${url}/assets/index-Bx3kD9aQ.js`)
    expect(asset.headers.get('cache-control')).toContain('immutable')
    expect(await asset.text()).toBe('console.log(1)')
    expect((await fetch(`${url}/assets/missing-file.js`)).status).toBe(404)
    expect(await get(`${url}/v1/nope`)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } })
    expect((await get(`${url}/healthz`)).status).toBe(200)
    server.child.kill('SIGTERM')
    expect(await server.exit).toBe(0)
  })

  it('prints usage on --help (exit 0) and a clear error on bad flags (exit 2)', async () => {
    const help = run(['--help'])
    expect(await help.exit).toBe(0)
    expect(help.stdout()).toContain('Usage: cairn-server')
    const bad = run(['--prot', '1'])
    expect(await bad.exit).toBe(2)
    expect(bad.stderr()).toMatch(/--prot/)
    expect(bad.stderr()).toContain('Usage: cairn-server')
  })
})

const FIXTURE = fileURLToPath(new URL('./fixtures/authority-domain.mjs', import.meta.url))
const event = (stream: string, type: string, data: Record<string, unknown>) => ({ ...ev(stream, 1, data), type })

describe('cairn-server --domain (the server as authority)', { timeout: 30_000 }, () => {
  it('refuses unknown types and invalid data (422) and what authorizeEvent forbids (403), listing each event', async () => {
    const server = run(['--port', '0', '--db', `${tmp.dir}/authority.db`, '--domain', FIXTURE], {
      CAIRN_TOKENS: 'ed=editor:*;adm=admin:*',
    })
    const url = await listening(server)
    expect(server.stdout()).toContain('authority: 2 aggregates + authorizeEvent')
    const send = (token: string, events: ReturnType<typeof event>[]) =>
      post(`${url}/v1/spaces/team-1/push`, push(events), { Authorization: `Bearer ${token}` })
    const unknown = event('card:1', 'CardExploded', {})
    const invalid = event('card:2', 'CardAdded', { title: '' })
    expect(await send('adm', [event('card:0', 'CardAdded', { title: 'ok' }), unknown, invalid])).toMatchObject({
      status: 422,
      body: {
        refused: [
          { id: unknown.id, code: 'UNKNOWN_EVENT_TYPE' },
          { id: invalid.id, code: 'INVALID_EVENT_DATA' },
        ],
      },
    })
    const column = event('board:1', 'ColumnAdded', { column: 'doing' })
    expect(await send('ed', [column])).toMatchObject({
      status: 403,
      body: { refused: [{ id: column.id, code: 'FORBIDDEN' }] },
    })
    expect((await send('adm', [column])).status).toBe(200)
    expect((await send('ed', [event('card:3', 'CardAdded', { title: 'mine' })])).status).toBe(200)
    server.child.kill('SIGTERM')
    expect(await server.exit).toBe(0)
  })

  it('loads a package export: the example kanban domain (TypeScript, through a loader the user runs)', async () => {
    const server = run(['--port', '0', '--db', `${tmp.dir}/kanban.db`, '--domain', '@cairn/example-kanban'], {}, [
      '--import',
      'tsx',
    ])
    const url = await listening(server)
    expect(
      (await post(`${url}/v1/spaces/s/push`, push([event('board:1', 'BoardCreated', { title: 'T' })]))).status,
    ).toBe(200)
    expect((await post(`${url}/v1/spaces/s/push`, push([event('board:2', 'Nope', {})]))).status).toBe(422)
    server.child.kill('SIGTERM')
    expect(await server.exit).toBe(0)
  })

  it.each([
    ['a missing module', () => `${tmp.dir}/missing-domain.mjs`, /domain module .*missing-domain\.mjs does not exist/],
    [
      'a module without a domain',
      () => {
        writeFileSync(`${tmp.dir}/no-domain.mjs`, 'export const answer = 42\n')
        return `${tmp.dir}/no-domain.mjs`
      },
      /no-domain\.mjs exports no domain/,
    ],
  ])('exits 1 with a one-line error, not a stack, for %s', async (_, spec, message) => {
    const server = run(['--port', '0', '--db', `${tmp.dir}/never.db`, '--domain', spec()])
    expect(await server.exit).toBe(1)
    expect(server.stderr()).toMatch(message)
    expect(server.stderr()).not.toMatch(/\n\s+at /)
  })
})

describe('cairn-server --require-encryption', { timeout: 30_000 }, () => {
  const envelope = { $cairn: 'enc1', kid: 'k1', iv: 'AAAAAAAAAAAAAAAA', ct: 'AAAAAAAAAAAAAAAAAAAAAA' }

  it('stores envelopes and refuses plaintext data with 422 NOT_ENCRYPTED, listing each event', async () => {
    const server = run(['--port', '0', '--db', `${tmp.dir}/encrypted.db`, '--require-encryption'])
    const url = await listening(server)
    const sealed = event('card:1', '$encrypted', envelope)
    expect((await post(`${url}/v1/spaces/s/push`, push([sealed]))).status).toBe(200)
    const plain = event('card:2', 'CardAdded', { title: 'in clear' })
    expect(await post(`${url}/v1/spaces/s/push`, push([plain]))).toMatchObject({
      status: 422,
      body: { code: 'NOT_ENCRYPTED', refused: [{ id: plain.id, code: 'NOT_ENCRYPTED' }] },
    })
    server.child.kill('SIGTERM')
    expect(await server.exit).toBe(0)
  })

  it('refuses to start with --domain, which checks data an encrypted space hides (one-line error, exit 1)', async () => {
    const server = run(['--port', '0', '--db', `${tmp.dir}/never2.db`, '--require-encryption', '--domain', FIXTURE])
    expect(await server.exit).toBe(1)
    expect(server.stderr()).toMatch(/requireEncryption and domain cannot go together/)
    expect(server.stderr()).not.toMatch(/\n\s+at /)
  })
})

describe('cairn-server with JWT and limits', { timeout: 30_000 }, () => {
  it('accepts JWTs signed with CAIRN_JWT_SECRET and caps live streams per principal (--max-live-streams)', async () => {
    const secret = 'cli-test-secret-of-at-least-32-bytes'
    const server = run(['--port', '0', '--db', `${tmp.dir}/jwt.db`, '--max-live-streams', '1'], {
      CAIRN_JWT_SECRET: secret,
    })
    const url = await listening(server)
    const token = await new SignJWT({ sub: 'ann', spaces: ['team-1'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret))
    expect((await get(`${url}/v1/spaces/team-1/pull`, { Authorization: `Bearer ${token}` })).status).toBe(200)
    expect((await get(`${url}/v1/spaces/team-1/pull`)).status).toBe(401)
    expect((await get(`${url}/v1/spaces/team-2/pull`, { Authorization: `Bearer ${token}` })).status).toBe(403)
    const live = await openLive(`${url}/v1/spaces/team-1/live?token=${token}`)
    expect(live.status).toBe(200)
    expect((await fetch(`${url}/v1/spaces/team-1/live?token=${token}`)).status).toBe(429)
    live.close()
    expect(server.stderr()).not.toMatch(/WARNING/)
    server.child.kill('SIGTERM')
    expect(await server.exit).toBe(0)
  })
})

describe('cairn-server and browsers', { timeout: 30_000 }, () => {
  const preflight = (url: string, origin: string) =>
    fetch(`${url}/v1/spaces/s/push`, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type',
      },
    })

  it('an open server grants no foreign origin by default', async () => {
    const server = run(['--port', '0', '--db', `${tmp.dir}/open.db`])
    const url = await listening(server)
    expect((await preflight(url, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull()
    const read = await fetch(`${url}/v1/spaces/s/pull`, { headers: { Origin: 'https://evil.example' } })
    expect(read.headers.get('access-control-allow-origin')).toBeNull()
    server.child.kill('SIGTERM')
    expect(await server.exit).toBe(0)
  })

  it('--cors-origin allows the listed origins only, and the warning says what that means', async () => {
    const server = run(['--port', '0', '--db', `${tmp.dir}/cors.db`, '--cors-origin', 'https://app.example'])
    const url = await listening(server)
    await waitFor(
      () => server.stderr().includes('web pages from https://app.example can read and write every space'),
      5000,
      'the warning',
    )
    expect((await preflight(url, 'https://app.example')).headers.get('access-control-allow-origin')).toBe(
      'https://app.example',
    )
    expect((await preflight(url, 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull()
    server.child.kill('SIGTERM')
    expect(await server.exit).toBe(0)
  })

  it('prints the address it really bound (0.0.0.0, not 127.0.0.1)', async () => {
    const server = run(['--port', '0', '--host', '0.0.0.0', '--db', `${tmp.dir}/any.db`], { CAIRN_TOKENS: 't=*' })
    const url = await listening(server)
    expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/)
    const port = new URL(url).port
    expect((await get(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
    server.child.kill('SIGTERM')
    expect(await server.exit).toBe(0)
  })
})

describe('parseCli', () => {
  it('applies defaults and environment', () => {
    expect(parseCli([], {})).toEqual({
      help: false,
      port: 8787,
      host: '127.0.0.1',
      db: './data/cairn.db',
      databaseUrl: undefined,
      pgSchema: undefined,
      tokens: undefined,
      jwt: undefined,
      corsOrigin: undefined,
      trustProxy: false,
      requireEncryption: false,
      domain: undefined,
      staticDir: undefined,
      rateLimit: { ratePerSecond: 50, burst: 100 },
      maxConnections: 1000,
      maxLiveStreams: 32,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5000,
      pageBytes: 1024 * 1024,
      cacheBytes: 32 * 1024 * 1024,
    })
    expect(parseCli(['--no-rate-limit'], { DATABASE_URL: 'postgres://x/y', CAIRN_TOKENS: 't=*' })).toMatchObject({
      databaseUrl: 'postgres://x/y',
      tokens: 't=*',
      rateLimit: false,
    })
  })

  it('parses the access and limit flags', () => {
    expect(
      parseCli(
        [
          '--tokens',
          'a=ann:team-1;b=team-2',
          '--cors-origin',
          'https://a.example, https://b.example:8443',
          '--trust-proxy',
          '--domain',
          './domain.js',
          '--max-connections',
          '5000',
          '--max-live-streams',
          '8',
          '--page-bytes',
          '65536',
          '--cache-bytes',
          '0',
          '--jwt-issuer',
          'https://idp.example',
        ],
        { CAIRN_JWT_SECRET: 's'.repeat(32) },
      ),
    ).toMatchObject({
      tokens: 'a=ann:team-1;b=team-2',
      corsOrigin: ['https://a.example', 'https://b.example:8443'],
      trustProxy: true,
      domain: './domain.js',
      maxConnections: 5000,
      maxLiveStreams: 8,
      pageBytes: 65536,
      cacheBytes: 0,
      jwt: { secret: 's'.repeat(32), issuer: 'https://idp.example' },
    })
    expect(parseCli(['--cors-origin', '*'], {}).corsOrigin).toBe('*')
  })

  it.each([
    [['--port', 'abc']],
    [['--port', '70000']],
    [['--port']],
    [['--unknown']],
    [['positional']],
    [['--tokens', 'nonsense']],
    [['--database-url', 'mysql://x']],
    [['--pg-schema', 'Bad-Name']],
    [['--rate', '0']],
    [['--cors-origin', 'app.example']],
    [['--cors-origin', ',']],
    [['--jwt-secret', 'too-short']],
    [['--jwt-secret', 'x'.repeat(32), '--jwks-url', 'https://idp.example/jwks']],
    [['--jwks-url', 'ftp://idp.example/jwks']],
    [['--jwt-public-key', '/nonexistent/key.pem']],
    [['--headers-timeout', '5000', '--request-timeout', '1000']],
    [['--max-connections', '0']],
    [['--max-live-streams', '-1']],
    [['--page-bytes', '10']],
    [['--tokens', 'secret=bad principal:team-1']],
  ])('rejects %j', (args) => {
    expect(() => parseCli(args, {})).toThrow(CliError)
  })
})

describe('static cache policy', () => {
  it.each([
    ['/index.html', 'no-cache'],
    ['/sw.js', 'no-cache'],
    ['/assets/index-Bx3kD9aQ.js', 'public, max-age=31536000, immutable'],
    ['/chunk.3f9a1c2b.css', 'public, max-age=31536000, immutable'],
    ['/my-component.js', 'no-cache'],
    ['/favicon.ico', 'no-cache'],
  ])('%s → %s', (path, expected) => {
    expect(cacheControlFor(path)).toBe(expected)
  })
})
