import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { createServer } from './createServer'
import { optionsFromEnv } from './optionsFromEnv'

/**
 * Connections the kernel may hold for us before we accept them. Node's default (511) overflows
 * when a burst of new connections meets an event loop busy for a few ms (PGlite runs its
 * statements on it): the kernel then drops handshakes, and clients stall for seconds and time
 * out instead of getting a quick 503. The kernel caps it at net.core.somaxconn.
 */
const LISTEN_BACKLOG = 4096

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
const server = createAdaptorServer({ fetch: attune.fetch, hostname: host })
server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
  const info = server.address() as AddressInfo
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
