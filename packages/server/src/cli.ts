import { CliError, parseCli, USAGE } from './cli-args.js'
import { startServer } from './start.js'
import { describePostgresUrl } from './storage/postgres.js'

/** Entry point of the `cairn-server` bin. */
async function main(): Promise<void> {
  let config: ReturnType<typeof parseCli>
  try {
    config = parseCli(process.argv.slice(2), process.env)
  } catch (error) {
    if (!(error instanceof CliError)) throw error
    process.stderr.write(`cairn-server: ${error.message}\n\n${USAGE}`)
    process.exit(2)
  }
  if (config.help) {
    process.stdout.write(USAGE)
    return
  }
  if (config.tokens === undefined)
    process.stderr.write(
      'cairn-server: WARNING no tokens configured (--tokens / CAIRN_TOKENS): anyone who can reach this server can read and write every space\n',
    )

  const running = await startServer({
    host: config.host,
    port: config.port,
    db: config.db,
    ...(config.databaseUrl === undefined ? {} : { databaseUrl: config.databaseUrl }),
    ...(config.pgSchema === undefined ? {} : { pgSchema: config.pgSchema }),
    ...(config.tokens === undefined ? {} : { tokens: config.tokens }),
    ...(config.staticDir === undefined ? {} : { staticDir: config.staticDir }),
    rateLimit: config.rateLimit,
  })
  const what = config.databaseUrl ? `postgres ${describePostgresUrl(config.databaseUrl)}` : `sqlite ${config.db}`
  process.stdout.write(`cairn-server listening on ${running.url} (${what})\n`)

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    process.stderr.write(`cairn-server: ${signal} received, shutting down\n`)
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`cairn-server: error during shutdown: ${String(error)}\n`)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

// A bug in a request path must not take the server down: log it and keep serving.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(
    `cairn-server: unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`,
  )
})

main().catch((error: unknown) => {
  process.stderr.write(`cairn-server: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
