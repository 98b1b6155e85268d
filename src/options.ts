import { PURPOSES, type Purpose } from './consent'
import type { ProfileConfig } from './profile/model'

/** Options of `createAttune`. Every field is checked; a mistake throws a `TypeError` saying what to write. */
export interface AttuneOptions {
  /** The site id configured on the attune server: 1–64 letters, digits, `-` or `_`. */
  site: string
  /**
   * Base URL of the attune server, e.g. `https://p.example.com`. Must be `https:`
   * (`http:` is allowed for localhost only). Omit it to keep everything on the device.
   */
  endpoint?: string
  /** How consent starts before the shopper says anything. */
  consent?: {
    /** Purposes granted by default, where the law lets the site decide so. Default: none. */
    default?: readonly Purpose[]
    /** Keep `measurement` and `sync` denied while the browser sends Global Privacy Control. Default: true. */
    respectGpc?: boolean
  }
  /** The `fetch` to send with (tests and special transports). Default: the global `fetch`. */
  fetch?: typeof fetch
  /** Clock in epoch milliseconds. Default: `Date.now`. */
  now?: () => number
  /** Where the profile lives: `'indexeddb'` (default) or `'memory'` (nothing outlives the page). */
  storage?: 'indexeddb' | 'memory'
  /** Log what attune does and every caught error to the console. Default: false. */
  debug?: boolean
  /**
   * Track page views (SPA navigations included), schema.org products on product pages and
   * clicks on `[data-attune-track]` by itself. Default: true.
   */
  autoTrack?: boolean
  /** How the profile learns. */
  profile?: {
    /** Days after which an affinity counts half. Default: 14. */
    halfLifeDays?: number
    /** Product props that feed affinities. Default: `['category', 'brand']`. */
    dimensions?: readonly string[]
    /** Event name → affinity weight. Default: `{ product_viewed: 1, product_added: 3, order_completed: 5 }`. */
    weights?: Readonly<Record<string, number>>
  }
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  site: string
  endpoint: string | undefined
  consentDefault: readonly Purpose[]
  respectGpc: boolean
  fetch: typeof fetch | undefined
  now: () => number
  storage: 'indexeddb' | 'memory'
  debug: boolean
  autoTrack: boolean
  profile: Partial<ProfileConfig>
}

const KNOWN = ['site', 'endpoint', 'consent', 'fetch', 'now', 'storage', 'debug', 'autoTrack', 'profile'] as const
const SITE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]']

const show = (value: unknown): string =>
  typeof value === 'function' ? 'a function' : typeof value === 'string' ? JSON.stringify(value) : String(value)

const fail = (message: string): never => {
  throw new TypeError(`attune: ${message}`)
}

/** Levenshtein distance, to suggest the option the caller probably meant. */
const distance = (a: string, b: string): number => {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length]!
}

const checkKeys = (object: object, known: readonly string[], where: string): void => {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue
    const near = known.find((k) => distance(k.toLowerCase(), key.toLowerCase()) <= 2)
    fail(`unknown ${where} "${key}". ${near ? `Did you mean "${near}"? ` : ''}Known: ${known.join(', ')}.`)
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const checkEndpoint = (value: unknown): string => {
  const hint = `option "endpoint" must be the https URL of your attune server, e.g. endpoint: 'https://p.example.com'`
  if (typeof value !== 'string') return fail(`${hint}; got ${show(value)}.`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return fail(`${hint}; got ${show(value)}, which is not an absolute URL.`)
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.includes(url.hostname))) {
    fail(`${hint} (http: only for localhost); got ${show(value)}.`)
  }
  if (url.username || url.password || url.search || url.hash) {
    fail(`${hint} with no credentials, query or fragment; got ${show(value)}.`)
  }
  return url.href.replace(/\/+$/, '')
}

const checkConsent = (value: unknown): { consentDefault: readonly Purpose[]; respectGpc: boolean } => {
  if (value === undefined) return { consentDefault: [], respectGpc: true }
  if (!isObject(value)) return fail(`option "consent" must be an object like { default: [], respectGpc: true }; got ${show(value)}.`)
  checkKeys(value, ['default', 'respectGpc'], 'consent option')
  const given = value.default ?? []
  if (!Array.isArray(given) || !given.every((p) => PURPOSES.includes(p as Purpose))) {
    fail(`option "consent.default" must be an array of purposes (${PURPOSES.join(', ')}), e.g. default: ['personalization']; got ${JSON.stringify(given)}.`)
  }
  return { consentDefault: [...(given as Purpose[])], respectGpc: checkBoolean('consent.respectGpc', value.respectGpc, true) }
}

const checkBoolean = (name: string, value: unknown, fallback: boolean): boolean => {
  if (value !== undefined && typeof value !== 'boolean') fail(`option "${name}" must be true or false; got ${show(value)}.`)
  return (value as boolean | undefined) ?? fallback
}

const checkProfile = (value: unknown): Partial<ProfileConfig> => {
  if (value === undefined) return {}
  if (!isObject(value)) return fail(`option "profile" must be an object like { halfLifeDays: 14 }; got ${show(value)}.`)
  checkKeys(value, ['halfLifeDays', 'dimensions', 'weights'], 'profile option')
  const { halfLifeDays: days, dimensions, weights } = value
  const config: Partial<ProfileConfig> = {}
  if (days !== undefined) {
    if (typeof days !== 'number' || !(days > 0) || days > 3650) fail(`option "profile.halfLifeDays" must be a number of days above 0, e.g. halfLifeDays: 14; got ${show(days)}.`)
    config.halfLifeMs = (days as number) * 864e5
  }
  if (dimensions !== undefined) {
    if (!Array.isArray(dimensions) || !dimensions.every((d) => typeof d === 'string' && d !== '')) {
      fail(`option "profile.dimensions" must be an array of product prop names, e.g. dimensions: ['category', 'brand']; got ${JSON.stringify(dimensions)}.`)
    }
    config.dimensions = [...(dimensions as string[])]
  }
  if (weights !== undefined) {
    if (!isObject(weights) || !Object.values(weights).every((w) => typeof w === 'number' && Number.isFinite(w))) {
      fail(`option "profile.weights" must map event names to numbers, e.g. weights: { product_viewed: 1 }; got ${JSON.stringify(weights)}.`)
    }
    config.weights = { ...(weights as Record<string, number>) }
  }
  return config
}

const checkFunction = <F>(name: string, value: unknown, example: string): F | undefined => {
  if (value !== undefined && typeof value !== 'function') fail(`option "${name}" must be a function, e.g. ${name}: ${example}; got ${show(value)}.`)
  return value as F | undefined
}

/**
 * Checks what the page passed to `createAttune` and fills in defaults. Throws a `TypeError`
 * that names the option and shows what to write instead: these are the site developer's
 * mistakes, caught on their first page load rather than in a shopper's browser later.
 */
export const resolveOptions = (input: unknown): ResolvedOptions => {
  if (!isObject(input)) return fail(`createAttune(options) needs an options object, e.g. createAttune({ site: 'shop-1' }); got ${show(input)}.`)
  checkKeys(input, KNOWN, 'option')
  const { site, endpoint, storage = 'indexeddb' } = input
  if (typeof site !== 'string' || !SITE.test(site)) {
    fail(`option "site" must be your site id (1–64 letters, digits, "-" or "_"), e.g. site: 'shop-1'; got ${show(site)}.`)
  }
  if (storage !== 'indexeddb' && storage !== 'memory') fail(`option "storage" must be 'indexeddb' or 'memory'; got ${show(storage)}.`)
  return {
    site: site as string,
    endpoint: endpoint === undefined ? undefined : checkEndpoint(endpoint),
    ...checkConsent(input.consent),
    fetch: checkFunction<typeof fetch>('fetch', input.fetch, 'window.fetch'),
    now: checkFunction<() => number>('now', input.now, 'Date.now') ?? Date.now,
    storage: storage as 'indexeddb' | 'memory',
    debug: checkBoolean('debug', input.debug, false),
    autoTrack: checkBoolean('autoTrack', input.autoTrack, true),
    profile: checkProfile(input.profile),
  }
}
