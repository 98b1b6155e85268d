import { PURPOSES, type Purpose } from './consent'
import type { ProfileConfig } from './profile/model'

/** Options of `createAttune`. Every field is checked; a mistake throws a `TypeError` saying what to write. */
export interface AttuneOptions {
  /** The site id configured on the attune server: 1–64 letters, digits, `-` or `_`. */
  site: string
  /** How consent starts before the shopper says anything. */
  consent?: {
    /** Purposes granted by default, where the law lets the site decide so. Default: none. */
    default?: readonly Purpose[]
    /** Keep `measurement` and `sync` denied while the browser sends Global Privacy Control. Default: true. */
    respectGpc?: boolean
  }
  /** Clock in epoch milliseconds. Default: `Date.now`. */
  now?: () => number
  /** Where the profile lives: `'indexeddb'` (default) or `'memory'` (nothing outlives the page). */
  storage?: 'indexeddb' | 'memory'
  /** Log what attune does and every caught error to the console. Default: false. */
  debug?: boolean
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
  consentDefault: readonly Purpose[]
  respectGpc: boolean
  now: () => number
  storage: 'indexeddb' | 'memory'
  debug: boolean
  profile: Partial<ProfileConfig>
}

const KNOWN = ['site', 'consent', 'now', 'storage', 'debug', 'profile']
const SITE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]']

const show = (value: unknown): string =>
  typeof value === 'function' ? 'a function' : JSON.stringify(value) ?? String(value)

/** Every complaint has one shape: which option, what to write, what was written. */
const fail = (name: string, want: string, got: unknown): never => {
  throw new TypeError(`attune: ${name ? `option "${name}"` : 'createAttune(options)'} must be ${want}; got ${show(got)}.`)
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** An object option with only `known` keys (an unknown key gets a "did you mean"), or undefined. */
const checkObject = (name: string, value: unknown, known: readonly string[], example: string): Record<string, unknown> => {
  if (value === undefined) return {}
  if (!isObject(value)) return fail(name, `an object like ${example}`, value)
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new TypeError(`attune: unknown option "${name ? name + '.' : ''}${key}"; the known ones are ${known.join(', ')}.`)
  }
  return value
}

/** The `site` option: a site id, or a TypeError saying how to write one. */
export const checkSite = (value: unknown): string =>
  typeof value === 'string' && SITE.test(value) ? value : fail('site', "your site id: 1–64 letters, digits, - or _, e.g. 'shop-1'", value)

/** The `storage` option. */
export const checkStorage = (value: unknown = 'indexeddb'): 'indexeddb' | 'memory' =>
  value === 'indexeddb' || value === 'memory' ? value : fail('storage', "'indexeddb' or 'memory'", value)

/** The `endpoint` option, normalised without a trailing slash; undefined stays undefined. */
export const checkEndpoint = (value: unknown): string | undefined => {
  if (value === undefined) return undefined
  let url: URL | undefined
  try {
    url = new URL(value as string)
  } catch {
    // Reported below with the rest.
  }
  if (
    typeof value !== 'string' ||
    !url ||
    (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.includes(url.hostname))) ||
    url.username || url.password || url.search || url.hash
  ) {
    return fail('endpoint', `the https URL of your attune server (http: only on localhost; no credentials, query or fragment), e.g. 'https://p.example.com'`, value)
  }
  return url.href.replace(/\/+$/, '')
}

const checkBoolean = (name: string, value: unknown, fallback: boolean): boolean =>
  value === undefined ? fallback : typeof value === 'boolean' ? value : fail(name, 'true or false', value)

const checkProfile = (value: unknown): Partial<ProfileConfig> => {
  const { halfLifeDays: days, dimensions, weights } = checkObject('profile', value, ['halfLifeDays', 'dimensions', 'weights'], '{ halfLifeDays: 14 }')
  if (
    (days !== undefined && !(typeof days === 'number' && days > 0 && days <= 3650)) ||
    (dimensions !== undefined && !(Array.isArray(dimensions) && dimensions.every((d) => typeof d === 'string' && d))) ||
    (weights !== undefined && !(isObject(weights) && Object.values(weights).every(Number.isFinite)))
  ) {
    fail('profile', "like { halfLifeDays: 14, dimensions: ['category'], weights: { product_viewed: 1 } } (days above 0, prop names, numbers)", value)
  }
  return {
    ...(days !== undefined && { halfLifeMs: (days as number) * 864e5 }),
    ...(dimensions !== undefined && { dimensions: [...(dimensions as string[])] }),
    ...(weights !== undefined && { weights: { ...(weights as Record<string, number>) } }),
  }
}

/** A function option, or a TypeError. */
export const checkFunction = <F>(name: string, value: unknown): F | undefined =>
  value === undefined || typeof value === 'function' ? (value as F | undefined) : fail(name, 'a function', value)

/**
 * Checks what the page passed to `createAttune` and fills in defaults. Throws a `TypeError`
 * that names the option and shows what to write instead: these are the site developer's
 * mistakes, caught on their first page load rather than in a shopper's browser later.
 */
export const resolveOptions = (input: unknown): ResolvedOptions => {
  if (!isObject(input)) return fail('', "an object, as in createAttune({ site: 'shop-1' })", input)
  checkObject('', input, KNOWN, '')
  const site = checkSite(input.site)
  const consent = checkObject('consent', input.consent, ['default', 'respectGpc'], "{ default: ['personalization'] }")
  const consentDefault = consent.default ?? []
  if (!Array.isArray(consentDefault) || !consentDefault.every((p) => PURPOSES.includes(p as Purpose))) {
    fail('consent.default', `an array of purposes: ${PURPOSES.join(', ')}`, consentDefault)
  }
  return {
    site,
    consentDefault: [...(consentDefault as Purpose[])],
    respectGpc: checkBoolean('consent.respectGpc', consent.respectGpc, true),
    now: checkFunction<() => number>('now', input.now) ?? Date.now,
    storage: checkStorage(input.storage),
    debug: checkBoolean('debug', input.debug, false),
    profile: checkProfile(input.profile),
  }
}
