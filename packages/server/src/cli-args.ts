import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { parseTokens } from './auth.js'
import type { JwtOptions } from './jwt.js'

/** Usage text of `cairn-server --help`. */
export const USAGE = `Usage: cairn-server [options]

Cairn sync server: a gapless per-space event log over HTTP.

Options:
  --port <n>                port to listen on, 0 picks a free one (default 8787; env CAIRN_PORT)
  --host <addr>             interface to bind (default 127.0.0.1; env CAIRN_HOST)
  --db <file>               SQLite database file (default ./data/cairn.db; env CAIRN_DB)
  --database-url <url>      use PostgreSQL instead of SQLite (env DATABASE_URL)
  --pg-schema <name>        PostgreSQL schema (default cairn)
  --static <dir>            also serve a built web app from <dir> (SPA fallback to index.html)

Access:
  --tokens <spec>           bearer tokens "token=space1,space2;token2=principal:space3;t3=admin:*"
                            (env CAIRN_TOKENS); without tokens or JWT the server is open to anyone
                            who can reach it
  --jwt-secret <secret>     accept HS256 JWTs signed with this secret (env CAIRN_JWT_SECRET)
  --jwks-url <url>          accept JWTs signed by keys of this JWKS (your identity provider)
  --jwt-public-key <file>   accept JWTs signed by this PEM public key (RS256; see --jwt-algorithms)
  --jwt-algorithms <list>   accepted JWT algorithms, comma-separated
  --jwt-issuer <iss>        required iss claim
  --jwt-audience <aud>      required aud claim
                            a JWT's sub is the principal, its "spaces" claim the spaces ("*" = all)
  --cors-origin <list>      web origins allowed to call the server, comma-separated, or "*"
                            (default: "*" with tokens/JWT, none for an open server)
  --allowed-host <list>     host names an open server answers besides localhost and IP addresses,
                            comma-separated (".example.com" includes subdomains, "*" any); guards
                            against DNS rebinding
  --trust-proxy             take the client address from X-Forwarded-For (behind your load balancer)
  --domain <module>         be the authority of the spaces: load the app's domain module (JS, or
                            TS under a TypeScript loader; "pkg/path#exportName" picks an export)
                            and refuse unknown event types and invalid data (422); its
                            authorizeEvent export, if any, decides per event (403)
  --require-encryption      store only end-to-end encrypted event data: refuse plaintext (422
                            NOT_ENCRYPTED); cannot go with --domain

Limits:
  --rate <n>                requests per second per principal (per address when anonymous; default 50)
  --burst <n>               burst size per principal (default 100)
  --no-rate-limit           disable rate limiting
  --max-connections <n>     open connections of the process (default 1000; keep below ulimit -n)
  --max-live-streams <n>    live streams per principal or anonymous address (default 32)
  --headers-timeout <ms>    time to send request headers (default 10000)
  --request-timeout <ms>    time to send a whole request (default 30000)
  --keep-alive-timeout <ms> idle keep-alive connections are closed after (default 5000)
  --page-bytes <n>          bytes per pull page and live catch-up message (default 1048576)
  --cache-bytes <n>         bytes of the pull cache (default 33554432; 0 turns it off)
  -h, --help                print this help
`

/** Parsed command line. */
export interface CliConfig {
  help: boolean
  port: number
  host: string
  db: string
  databaseUrl: string | undefined
  pgSchema: string | undefined
  tokens: string | undefined
  jwt: JwtOptions | undefined
  corsOrigin: string | string[] | undefined
  allowedHosts: string[] | undefined
  trustProxy: boolean
  requireEncryption: boolean
  domain: string | undefined
  staticDir: string | undefined
  rateLimit: { ratePerSecond: number; burst: number } | false
  maxConnections: number
  maxLiveStreams: number
  headersTimeoutMs: number
  requestTimeoutMs: number
  keepAliveTimeoutMs: number
  pageBytes: number
  cacheBytes: number
}

/** A command-line mistake: printed with the usage, exit code 2. */
export class CliError extends Error {
  override name = 'CliError'
}

const number = (value: string, flag: string, min: number, max: number): number => {
  const n = Number(value)
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new CliError(`${flag} must be an integer from ${min} to ${max}, got "${value}"`)
  return n
}

const STRING_FLAGS = [
  'port',
  'host',
  'db',
  'database-url',
  'pg-schema',
  'tokens',
  'static',
  'rate',
  'burst',
  'jwt-secret',
  'jwks-url',
  'jwt-public-key',
  'jwt-algorithms',
  'jwt-issuer',
  'jwt-audience',
  'cors-origin',
  'allowed-host',
  'domain',
  'max-connections',
  'max-live-streams',
  'headers-timeout',
  'request-timeout',
  'keep-alive-timeout',
  'page-bytes',
  'cache-bytes',
] as const

type Values = Record<string, string | boolean | undefined>

function parseValues(argv: string[]): Values {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((flag) => [flag, { type: 'string' as const }])),
        'no-rate-limit': { type: 'boolean' },
        'trust-proxy': { type: 'boolean' },
        'require-encryption': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error))
  }
}

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')

function jwtOf(str: (key: string) => string | undefined, env: Record<string, string | undefined>) {
  const secret = str('jwt-secret') ?? (env.CAIRN_JWT_SECRET || undefined)
  const jwksUrl = str('jwks-url')
  const keyFile = str('jwt-public-key')
  const sources = [secret, jwksUrl, keyFile].filter((s) => s !== undefined).length
  if (sources === 0) return undefined
  if (sources > 1) throw new CliError('give only one of --jwt-secret, --jwks-url, --jwt-public-key')
  if (secret !== undefined && Buffer.byteLength(secret) < 32)
    throw new CliError('--jwt-secret must be at least 32 bytes')
  if (jwksUrl !== undefined && !/^https?:\/\//.test(jwksUrl)) throw new CliError('--jwks-url must be an http(s) URL')
  let publicKey: string | undefined
  if (keyFile !== undefined) {
    try {
      publicKey = readFileSync(keyFile, 'utf8')
    } catch (error) {
      throw new CliError(`--jwt-public-key: cannot read ${keyFile}: ${(error as Error).message}`)
    }
  }
  const jwt: JwtOptions = {}
  if (secret !== undefined) jwt.secret = secret
  if (jwksUrl !== undefined) jwt.jwksUrl = jwksUrl
  if (publicKey !== undefined) jwt.publicKey = publicKey
  const algorithms = str('jwt-algorithms')
  if (algorithms !== undefined) jwt.algorithms = list(algorithms)
  const issuer = str('jwt-issuer')
  if (issuer !== undefined) jwt.issuer = issuer
  const audience = str('jwt-audience')
  if (audience !== undefined) jwt.audience = audience
  return jwt
}

function corsOf(value: string | undefined): string | string[] | undefined {
  if (value === undefined) return undefined
  if (value.trim() === '*') return '*'
  const origins = list(value)
  for (const origin of origins)
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      throw new CliError(`--cors-origin: "${origin}" is not an origin like https://app.example.com`)
  if (origins.length === 0) throw new CliError('--cors-origin must list at least one origin')
  return origins
}

function allowedHostsOf(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  const hosts = list(value)
  for (const host of hosts)
    if (host !== '*' && !/^\.?[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?\.?$/.test(host))
      throw new CliError(`--allowed-host: "${host}" is not a host name like app.example.com`)
  if (hosts.length === 0) throw new CliError('--allowed-host must list at least one host name')
  return hosts
}

function tokensOf(tokens: string | undefined): string | undefined {
  if (tokens === undefined) return undefined
  try {
    parseTokens(tokens)
  } catch (error) {
    throw new CliError(`--tokens: ${error instanceof Error ? error.message : String(error)}`)
  }
  return tokens
}

/** Parses argv (without `node` and the script) and the environment. @throws CliError */
export function parseCli(argv: string[], env: Record<string, string | undefined>): CliConfig {
  const values = parseValues(argv)
  const str = (key: string): string | undefined => {
    const v = values[key]
    return typeof v === 'string' ? v : undefined
  }
  const int = (flag: string, fallback: number, min: number, max: number) =>
    number(str(flag) ?? String(fallback), `--${flag}`, min, max)
  const databaseUrl = str('database-url') ?? (env.DATABASE_URL || undefined)
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new CliError('--database-url must start with postgres:// or postgresql://')
  const pgSchema = str('pg-schema')
  if (pgSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(pgSchema))
    throw new CliError('--pg-schema must match ^[a-z_][a-z0-9_]{0,62}$')
  const db = str('db') ?? (env.CAIRN_DB || './data/cairn.db')
  if (db === '') throw new CliError('--db must not be empty')
  const headersTimeoutMs = int('headers-timeout', 10_000, 100, 3_600_000)
  const requestTimeoutMs = int('request-timeout', 30_000, 100, 3_600_000)
  if (headersTimeoutMs > requestTimeoutMs) throw new CliError('--headers-timeout must not exceed --request-timeout')
  return {
    help: values.help === true,
    port: number(str('port') ?? env.CAIRN_PORT ?? '8787', '--port', 0, 65535),
    host: str('host') ?? (env.CAIRN_HOST || '127.0.0.1'),
    db,
    databaseUrl,
    pgSchema,
    tokens: tokensOf(str('tokens') ?? (env.CAIRN_TOKENS || undefined)),
    jwt: jwtOf(str, env),
    corsOrigin: corsOf(str('cors-origin')),
    allowedHosts: allowedHostsOf(str('allowed-host')),
    trustProxy: values['trust-proxy'] === true,
    requireEncryption: values['require-encryption'] === true,
    domain: str('domain'),
    staticDir: str('static'),
    rateLimit:
      values['no-rate-limit'] === true
        ? false
        : { ratePerSecond: int('rate', 50, 1, 1_000_000), burst: int('burst', 100, 1, 1_000_000) },
    maxConnections: int('max-connections', 1000, 1, 1_000_000),
    maxLiveStreams: int('max-live-streams', 32, 1, 1_000_000),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: int('keep-alive-timeout', 5000, 0, 3_600_000),
    pageBytes: int('page-bytes', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    cacheBytes: int('cache-bytes', 32 * 1024 * 1024, 0, 16 * 1024 * 1024 * 1024),
  }
}
