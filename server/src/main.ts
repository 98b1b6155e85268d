import { serve } from '@hono/node-server'
import { createServer } from './createServer'
import { optionsFromEnv } from './optionsFromEnv'

/** How long a shutdown waits for open connections before cutting them. */
const DRAIN_TIMEOUT_MS = Number(process.env.ATTUNE_DRAIN_TIMEOUT_MS) || 25_000

const fatal = (message: string): never => {
  console.error(`attune-server: ${message}`)
  process.exit(1)
}

let cli: ReturnType<typeof optionsFromEnv> | undefined
try {
  cli = optionsFromEnv(process.env)
} catch (error) {
  fatal((error as Error).message)
}
const { port, host, options, warnings } = cli as NonNullable<typeof cli>
for (const warning of warnings) console.warn(`attune-server: warning: ${warning}`)

const attune = await createServer(options).catch((error: Error) => fatal(`cannot open the database (${options.db.replace(/:[^:@/]*@/, ':***@')}): ${error.message}`))
const server = serve({ fetch: attune.fetch, port, hostname: host }, (info) => {
  console.log(`attune-server listening on http://${host.includes(':') ? `[${host}]` : host}:${info.port} (database: ${attune.db.kind} ${attune.db.where})`)
})
server.on('error', (error) => fatal(`cannot listen on ${host}:${port}: ${error.message}`))

// A log pipe the parent closed (EPIPE) must not stop a drain halfway: logging is best effort.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})

let stopping = false
const shutdown = async (signal: string): Promise<void> => {
  if (stopping) return
  stopping = true
  console.log(`attune-server: ${signal}: draining`)
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  const timer = setTimeout(() => {
    console.error('attune-server: drain timed out, closing the remaining connections')
    if ('closeAllConnections' in server) server.closeAllConnections()
  }, DRAIN_TIMEOUT_MS)
  timer.unref()
  // In-flight requests finish (new ones on open connections get 503 and Connection: close)…
  await attune.drain()
  if ('closeIdleConnections' in server) server.closeIdleConnections()
  // …then the sockets, then the database.
  await closed
  await attune.close()
  clearTimeout(timer)
  console.log('attune-server: stopped')
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
