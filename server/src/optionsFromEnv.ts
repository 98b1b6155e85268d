import * as v from 'valibot'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { BucketRule } from './lib/rateLimiter'
import type { ServerOptions } from './types'
import { JsonObject, Origin, SiteId } from './routes/fields'

/** `ATTUNE_SITES`: site id → origins, identify secret, initial config. */
export const SitesJson = v.record(
  SiteId,
  v.strictObject({
    origins: v.optional(v.array(Origin)),
    identifySecret: v.optional(v.pipe(v.string(), v.minLength(16))),
    config: v.optional(JsonObject),
  }),
)

/** Everything the CLI needs: where to listen, and the server's options. */
export interface CliOptions {
  port: number
  host: string
  options: ServerOptions & { db: string }
  /** Things to say on start (a generated secret in development…). */
  warnings: string[]
}

const problem = (message: string): never => {
  throw new Error(message)
}

const integer = (name: string, raw: string | undefined, fallback: number, max: number): number => {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  return Number.isInteger(n) && n >= 0 && n <= max ? n : problem(`${name} must be an integer from 0 to ${max}, not "${raw}"`)
}

/** `"50/100"` → 50 per second, burst 100; `"off"` → no limit. */
const bucket = (name: string, raw: string | undefined): BucketRule | false | undefined => {
  if (raw === undefined || raw === '') return undefined
  if (raw === 'off') return false
  const match = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(raw)
  return match && Number(match[1]) > 0 && Number(match[2]) >= 1
    ? { rate: Number(match[1]), burst: Number(match[2]) }
    : problem(`${name} must be "<requests per second>/<burst>" (e.g. "50/100") or "off", not "${raw}"`)
}

const sites = (env: NodeJS.ProcessEnv): ServerOptions['sites'] => {
  let text = env.ATTUNE_SITES
  if (!text && env.ATTUNE_SITES_FILE) {
    try {
      text = readFileSync(env.ATTUNE_SITES_FILE, 'utf8')
    } catch (error) {
      problem(`ATTUNE_SITES_FILE: cannot read ${env.ATTUNE_SITES_FILE}: ${(error as Error).message}`)
    }
  }
  if (!text) return undefined
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    problem('ATTUNE_SITES must be JSON like {"shop-1":{"origins":["https://shop.example"],"identifySecret":"…"}}')
  }
  const result = v.safeParse(SitesJson, json)
  if (!result.success) {
    const issue = result.issues[0]
    problem(`ATTUNE_SITES: ${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`)
  }
  return result.output as ServerOptions['sites']
}

/**
 * Reads the CLI's environment. Throws an Error whose message says what to set when something
 * is wrong; in production (`NODE_ENV=production`) a missing `ATTUNE_SECRET` or
 * `ATTUNE_ADMIN_KEY` is wrong, in development a random secret is made up.
 */
export const optionsFromEnv = (env: NodeJS.ProcessEnv): CliOptions => {
  const production = env.NODE_ENV === 'production'
  const warnings: string[] = []
  let secret = env.ATTUNE_SECRET ?? ''
  const adminKey = env.ATTUNE_ADMIN_KEY ?? ''
  if (production) {
    const missing = [!secret && 'ATTUNE_SECRET', !adminKey && 'ATTUNE_ADMIN_KEY'].filter(Boolean)
    if (missing.length) {
      problem(`NODE_ENV=production needs ${missing.join(' and ')}: set each to a long random string, e.g. $(openssl rand -hex 32). ATTUNE_SECRET signs visitor tokens and must stay the same across restarts and instances.`)
    }
    if (secret.length < 32) problem('ATTUNE_SECRET must be at least 32 characters in production, e.g. $(openssl rand -hex 32)')
  } else if (!secret) {
    secret = randomBytes(32).toString('hex')
    warnings.push('ATTUNE_SECRET is not set: using a random one, so visitor tokens stop working when the server restarts. Set ATTUNE_SECRET (required with NODE_ENV=production).')
  }
  if (!adminKey) warnings.push('ATTUNE_ADMIN_KEY is not set: /v1/admin is disabled.')
  const rateIp = bucket('ATTUNE_RATE_IP', env.ATTUNE_RATE_IP)
  const rateVisitor = bucket('ATTUNE_RATE_VISITOR', env.ATTUNE_RATE_VISITOR)
  return {
    port: integer('PORT', env.PORT, 8787, 65535),
    host: env.HOST || '127.0.0.1',
    options: {
      db: env.DATABASE_URL || env.ATTUNE_DATA_DIR || '.attune-data',
      secret,
      adminKey,
      sites: sites(env),
      rateLimits: { ...(rateIp !== undefined && { ip: rateIp }), ...(rateVisitor !== undefined && { visitor: rateVisitor }) },
      maxInFlight: integer('ATTUNE_MAX_IN_FLIGHT', env.ATTUNE_MAX_IN_FLIGHT, 256, 1_000_000) || 256,
      trustProxy: env.ATTUNE_TRUST_PROXY === '1' || env.ATTUNE_TRUST_PROXY === 'true',
    },
    warnings,
  }
}
