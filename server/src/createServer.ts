import { Hono } from 'hono'
import type { AppEnv, Deps, ServerOptions } from './types'
import type { Db } from './db/createDb'
import { DEFAULT_LIMITS } from './types'
import { createDb } from './db/createDb'
import { migrate } from './db/migrations'
import { seedConfig, upsertSite } from './db/sites'
import { adminGuard } from './lib/adminGuard'
import { allowedMethods } from './lib/allowedMethods'
import { allowOriginOn } from './lib/cors'
import { fail } from './lib/fail'
import { createMetrics } from './lib/metrics'
import { createRateLimiter } from './lib/rateLimiter'
import { createSiteCache } from './lib/siteCache'
import { createRollups } from './lib/rollups'
import { createBanditStats } from './lib/banditStats'
import { insightsRoute } from './routes/insights'
import { adminRoute } from './routes/admin'
import { callCenterRoute } from './routes/callCenter'
import { collectRoute } from './routes/collect'
import { dashboardRoute } from './routes/dashboard'
import { healthRoute } from './routes/health'
import { identifyRoute } from './routes/identify'
import { preflightRoute } from './routes/preflight'
import { previewRoute } from './routes/preview'
import { profileRoute } from './routes/profile'
import { siteConfigRoute } from './routes/siteConfig'
import { vitalsRoute } from './routes/vitals'

/** A running attune server, without a socket: serve `fetch` with any adapter, or call `app.request`. */
export interface AttuneServer {
  /** The Hono app (tests call `app.request(...)` in-process). */
  app: Hono<AppEnv>
  /** The fetch handler, for `serve({ fetch })` of `@hono/node-server`. */
  fetch: Hono<AppEnv>['fetch']
  /** The database it uses. */
  db: Db
  /** Counters behind `/metrics`. */
  metrics: Deps['metrics']
  /** Stops taking requests (503, `/healthz` too) and resolves once those in flight are done. */
  drain: () => Promise<void>
  /** Drains, then closes the database. */
  close: () => Promise<void>
}

const HEALTH = new Set(['/healthz', '/metrics'])

/**
 * Builds the server: opens the database (or takes the one given), applies migrations, writes
 * the configured sites, and wires the routes. Resolves once it can take requests.
 */
export const createServer = async (options: ServerOptions): Promise<AttuneServer> => {
  if (!options.secret) throw new TypeError('createServer: `secret` is required (the HMAC key of visitor tokens)')
  const db = typeof options.db === 'object' ? options.db : await createDb(options.db)
  await migrate(db)
  const now = options.now ?? Date.now
  for (const [site, s] of Object.entries(options.sites ?? {})) {
    await upsertSite(db, site, { origins: s.origins, identifySecret: s.identifySecret }, now())
    if (s.config) await seedConfig(db, site, s.config)
  }
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  const rate = options.rateLimits ?? {}
  const deps: Deps = {
    db,
    secret: options.secret,
    adminKey: options.adminKey || undefined,
    limits,
    metrics: createMetrics(),
    sites: createSiteCache(db, now),
    limiters: {
      ip: rate.ip === false ? undefined : createRateLimiter(rate.ip ?? { rate: 50, burst: 100 }, now),
      visitor: rate.visitor === false ? undefined : createRateLimiter(rate.visitor ?? { rate: 20, burst: 40 }, now),
    },
    trustProxy: options.trustProxy ?? false,
    now,
    rollups: createRollups(db),
    bandits: createBanditStats(db, now),
  }
  const maxInFlight = options.maxInFlight ?? 256

  let inFlight = 0
  let draining = false
  let idle: (() => void)[] = []
  const app = new Hono<AppEnv>()

  // An error found before the site was known (bad JSON, 413, 503…) still has to be readable by
  // the page, or its fetch fails like a network error: the client could not see Retry-After,
  // and would retry a hopeless batch forever.
  app.use('/v1/*', async (c, next) => {
    await next()
    const origin = c.req.header('origin')
    if (!origin || c.res.status < 400 || c.get('corsDenied') || c.res.headers.has('Access-Control-Allow-Origin')) return
    if (c.req.path.startsWith('/v1/admin/')) return
    // In place: c.header() on a finished answer rebuilds the Response (and takes it off
    // @hono/node-server's fast path) once per header, most of what a shed 503 would cost.
    const headers = c.res.headers
    headers.set('Vary', 'Origin')
    if (await deps.sites.anyAllows(origin).catch(() => false)) allowOriginOn(headers, origin)
  })

  // Load shedding and draining before any work: an overloaded server answers cheaply, at once.
  app.use('*', async (c, next) => {
    if (HEALTH.has(c.req.path)) return next()
    if (draining || inFlight >= maxInFlight) {
      c.header('Retry-After', '1')
      if (draining) c.header('Connection', 'close')
      return fail(c, deps.metrics, 503, 'unavailable', draining ? 'draining' : 'overloaded')
    }
    inFlight++
    try {
      await next()
    } finally {
      if (--inFlight === 0 && idle.length) {
        for (const resolve of idle) resolve()
        idle = []
      }
    }
  })

  // One admin key check in front of every /v1/admin/* route, whichever module defines it.
  app.use('/v1/admin/*', adminGuard(deps))
  app.route('/', healthRoute(deps, () => draining))
  app.route('/', preflightRoute(deps))
  app.route('/', collectRoute(deps))
  app.route('/', profileRoute(deps))
  app.route('/', identifyRoute(deps))
  app.route('/', siteConfigRoute(deps))
  app.route('/', adminRoute(deps))
  app.route('/', callCenterRoute(deps))
  app.route('/', vitalsRoute(deps))
  app.route('/', insightsRoute(deps))
  app.route('/', dashboardRoute(deps))
  app.route('/', previewRoute(deps))
  let allowed: ((path: string) => string[]) | undefined
  app.notFound((c) => {
    allowed ??= allowedMethods(app)
    const methods = allowed(c.req.path)
    // A known path asked with another method (not a route of this method that found nothing).
    if (methods.length === 0 || methods.includes(c.req.method)) return fail(c, deps.metrics, 404, 'not_found', 'no_route')
    c.header('Allow', methods.join(', '))
    return fail(c, deps.metrics, 405, 'method_not_allowed')
  })
  app.onError((error, c) => {
    console.error(`attune-server: ${c.req.method} ${c.req.path} failed:`, error)
    return fail(c, deps.metrics, 500, 'internal')
  })

  const drain = (): Promise<void> => {
    draining = true
    return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve))
  }
  let closing: Promise<void> | undefined
  return {
    app,
    fetch: app.fetch,
    db,
    metrics: deps.metrics,
    drain,
    close: () => (closing ??= drain().then(() => deps.rollups.stop()).then(() => db.close())),
  }
}
