import { type CliConfig, CliError, parseCli, USAGE } from './cli-args.js'
import { type LoadedDomain, loadDomainModule } from './domain-module.js'
import { type RunningServer, type StartServerOptions, startServer } from './start.js'
import { describePostgresUrl } from './storage/postgres.js'

const say = (line: string) => process.stderr.write(`cairn-server: ${line}\n`)

function parseOrExit(): CliConfig {
  try {
    return parseCli(process.argv.slice(2), process.env)
  } catch (error) {
    if (!(error instanceof CliError)) throw error
    process.stderr.write(`cairn-server: ${error.message}\n\n${USAGE}`)
    process.exit(2)
  }
}

function optionsOf(config: CliConfig, loaded: LoadedDomain | undefined): StartServerOptions {
  return {
    host: config.host,
    port: config.port,
    db: config.db,
    ...(config.databaseUrl === undefined ? {} : { databaseUrl: config.databaseUrl }),
    ...(config.pgSchema === undefined ? {} : { pgSchema: config.pgSchema }),
    ...(config.tokens === undefined ? {} : { tokens: config.tokens }),
    ...(config.jwt === undefined ? {} : { jwt: config.jwt }),
    ...(config.corsOrigin === undefined ? {} : { corsOrigin: config.corsOrigin }),
    ...(config.staticDir === undefined ? {} : { staticDir: config.staticDir }),
    ...(config.allowedHosts === undefined ? {} : { allowedHosts: config.allowedHosts }),
    ...(loaded === undefined ? {} : loaded),
    trustProxy: config.trustProxy,
    ...(config.requireEncryption ? { requireEncryption: true } : {}),
    rateLimit: config.rateLimit,
    maxConnections: config.maxConnections,
    headersTimeoutMs: config.headersTimeoutMs,
    requestTimeoutMs: config.requestTimeoutMs,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    limits: { maxPageBytes: config.pageBytes },
    live: { maxStreamsPerPrincipal: config.maxLiveStreams },
    pullCache: { maxBytes: config.cacheBytes },
  }
}

/** What an open server means, said where the operator looks when starting it. */
function warnIfOpen(config: CliConfig, running: RunningServer): void {
  if (config.tokens !== undefined || config.jwt !== undefined) return
  say(
    `WARNING open server: no --tokens or JWT configured, so anyone who can reach ${running.boundUrl} can read and write every space`,
  )
  if (config.corsOrigin === undefined)
    say('web pages on other origins get no CORS access (allow some with --cors-origin)')
  else {
    const origins = config.corsOrigin === '*' ? 'ANY origin' : [config.corsOrigin].flat().join(', ')
    say(`web pages from ${origins} can read and write every space (--cors-origin)`)
  }
  say(
    `requests are answered only for Host localhost or an IP address${config.allowedHosts ? ` or ${config.allowedHosts.join(', ')}` : ''} (--allowed-host)`,
  )
}

function stopOnSignals(running: RunningServer): void {
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    say(`${signal} received, shutting down`)
    running.close().then(
      () => process.exit(0),
      (error: unknown) => {
        say(`error during shutdown: ${String(error)}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

/** Entry point of the `cairn-server` bin. */
async function main(): Promise<void> {
  const config = parseOrExit()
  if (config.help) {
    process.stdout.write(USAGE)
    return
  }
  const loaded = config.domain === undefined ? undefined : await loadDomainModule(config.domain)
  const running = await startServer(optionsOf(config, loaded))
  const what = config.databaseUrl ? `postgres ${describePostgresUrl(config.databaseUrl)}` : `sqlite ${config.db}`
  const authority = loaded
    ? `, authority: ${Object.keys(loaded.domain.aggregates).length} aggregates${loaded.authorizeEvent ? ' + authorizeEvent' : ''}`
    : ''
  warnIfOpen(config, running)
  process.stdout.write(`cairn-server listening on ${running.boundUrl} (${what}${authority})\n`)
  stopOnSignals(running)
}

// A bug in a request path must not take the server down: log it and keep serving.
process.on('unhandledRejection', (reason) => {
  say(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`)
})

main().catch((error: unknown) => {
  // configuration and startup failures are read by people: the message, not a stack
  say(error instanceof Error ? error.message : String(error))
  process.exit(1)
})
