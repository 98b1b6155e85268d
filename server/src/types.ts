import type { Db } from './db/createDb'
import type { Metrics } from './lib/metrics'
import type { BucketRule, RateLimiter } from './lib/rateLimiter'
import type { SiteCache } from './lib/siteCache'
import type { Rollups } from './lib/rollups'
import type { BanditStats } from './lib/banditStats'

/** A site as configured in `ATTUNE_SITES` or `createServer({ sites })`. */
export interface SiteOptions {
  /** Browser origins allowed to call this site's endpoints, e.g. `https://shop.example`. */
  origins?: string[]
  /** Key of the `HMAC-SHA256(identifySecret, userId)` signatures that `identify` requires. */
  identifySecret?: string
  /** Initial public config; only used when the site does not exist in the database yet. */
  config?: Record<string, unknown>
}

/** Size and time limits. Defaults are the protocol's; tests lower some. */
export interface Limits {
  /** Largest request body, bytes (413 above, enforced while streaming). Default 500 KB. */
  bodyBytes: number
  /** Largest event, bytes of its JSON (rejected and counted above). Default 32 KB. */
  eventBytes: number
  /** Most events in one collect request (400 above). Default 500. */
  eventsPerRequest: number
  /** Largest profile device entry or site config, bytes of JSON (413 above). Default 256 KB. */
  documentBytes: number
  /** How far in the future an event may be dated, ms. Default 24 h. */
  futureMs: number
  /** How old an event may be, ms. Default 7 days + 1 h (the client's outbox keeps 7 days). */
  pastMs: number
  /** How long after first contact a visitor that never used its token can get it again without it, ms. Default 1 h. */
  reissueMs: number
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  bodyBytes: 500 * 1024,
  eventBytes: 32 * 1024,
  eventsPerRequest: 500,
  documentBytes: 256 * 1024,
  futureMs: 24 * 3600_000,
  pastMs: 7 * 24 * 3600_000 + 3600_000,
  reissueMs: 3600_000,
}

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** A database from `createDb`, or a URL for it (see `createDb`). Default: PGlite in `.attune-data/`. */
  db?: Db | string
  /** HMAC key of visitor tokens. Required; keep it stable across restarts and instances. */
  secret: string
  /** Bearer key of `/v1/admin/*`. Without it every admin request is 401. */
  adminKey?: string
  /** Sites to create or update at start (origins and identify secret win over the stored ones). */
  sites?: Record<string, SiteOptions>
  /** Size and time limits. */
  limits?: Partial<Limits>
  /** Token buckets per client IP + site and per site + visitor; `false` turns one off. */
  rateLimits?: { ip?: BucketRule | false; visitor?: BucketRule | false }
  /** Requests handled at once before shedding with 503. Default 256. */
  maxInFlight?: number
  /** Take the client IP from `X-Forwarded-For` (behind a proxy you trust). Default false. */
  trustProxy?: boolean
  /** Clock, epoch ms (tests). */
  now?: () => number
}

/** What route modules get: everything is passed in, nothing is global. */
export interface Deps {
  db: Db
  secret: string
  adminKey: string | undefined
  limits: Limits
  metrics: Metrics
  sites: SiteCache
  limiters: { ip: RateLimiter | undefined; visitor: RateLimiter | undefined }
  trustProxy: boolean
  now: () => number
  /** Keeps the insight rollups up to date: scheduled after ingest, flushed before insight reads. */
  rollups: Rollups
  /** Bandit stats published in the site config, from the rollups. */
  bandits: BanditStats
}

/** Hono's environment for our app: request-scoped variables. */
export interface AppEnv {
  Variables: {
    /** Set when the Origin was refused, so no CORS header is added to the 403 afterwards. */
    corsDenied?: boolean
  }
}
