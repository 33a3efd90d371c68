import { parseArgs } from 'node:util'
import { parseTokens } from './auth.js'

/** Usage text of `cairn-server --help`. */
export const USAGE = `Usage: cairn-server [options]

Cairn sync server: a gapless per-space event log over HTTP.

Options:
  --port <n>              port to listen on, 0 picks a free one (default 8787; env CAIRN_PORT)
  --host <addr>           interface to bind (default 127.0.0.1; env CAIRN_HOST)
  --db <file>             SQLite database file (default ./data/cairn.db; env CAIRN_DB)
  --database-url <url>    use PostgreSQL instead of SQLite (env DATABASE_URL)
  --pg-schema <name>      PostgreSQL schema (default cairn)
  --tokens <spec>         bearer tokens "token=space1,space2;token2=*" (env CAIRN_TOKENS);
                          without tokens the server is open to anyone who can reach it
  --static <dir>          also serve a built web app from <dir> (SPA fallback to index.html)
  --rate <n>              requests per second per client (default 50)
  --burst <n>             burst size per client (default 100)
  --no-rate-limit         disable rate limiting
  -h, --help              print this help
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
  staticDir: string | undefined
  rateLimit: { ratePerSecond: number; burst: number } | false
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

/** Parses argv (without `node` and the script) and the environment. @throws CliError */
export function parseCli(argv: string[], env: Record<string, string | undefined>): CliConfig {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        db: { type: 'string' },
        'database-url': { type: 'string' },
        'pg-schema': { type: 'string' },
        tokens: { type: 'string' },
        static: { type: 'string' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        'no-rate-limit': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }))
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error))
  }
  const str = (key: string): string | undefined => {
    const v = values[key]
    return typeof v === 'string' ? v : undefined
  }
  const tokens = str('tokens') ?? (env.CAIRN_TOKENS || undefined)
  if (tokens !== undefined) {
    try {
      parseTokens(tokens)
    } catch (error) {
      throw new CliError(`--tokens: ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const databaseUrl = str('database-url') ?? (env.DATABASE_URL || undefined)
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl))
    throw new CliError('--database-url must start with postgres:// or postgresql://')
  const pgSchema = str('pg-schema')
  if (pgSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(pgSchema))
    throw new CliError('--pg-schema must match ^[a-z_][a-z0-9_]{0,62}$')
  const db = str('db') ?? (env.CAIRN_DB || './data/cairn.db')
  if (db === '') throw new CliError('--db must not be empty')
  return {
    help: values.help === true,
    port: number(str('port') ?? env.CAIRN_PORT ?? '8787', '--port', 0, 65535),
    host: str('host') ?? (env.CAIRN_HOST || '127.0.0.1'),
    db,
    databaseUrl,
    pgSchema,
    tokens,
    staticDir: str('static'),
    rateLimit:
      values['no-rate-limit'] === true
        ? false
        : {
            ratePerSecond: number(str('rate') ?? '50', '--rate', 1, 1_000_000),
            burst: number(str('burst') ?? '100', '--burst', 1, 1_000_000),
          },
  }
}
