import type { Affinity, DeviceEntry, JsonValue, ProfileConfig, ProfileEvent, RecentItem, Stamped } from './model'
import { FORBIDDEN_KEYS } from '../lib/toJson'
import { DEFAULT_PROFILE_CONFIG, MAX_RECENT, hasOwn, setOwn } from './model'
import { byRecency, decay } from './derive'

/** Most affinity keys a device keeps; past it, the smallest decayed scores go first. */
export const MAX_AFFINITIES = 200
/** Most traits, and separately most interests, a device keeps; past it, the oldest write goes. */
export const MAX_STAMPED = 100
/**
 * Most `event:<name>` counters a device keeps; past it, new names are not counted (existing ones
 * and the five built-in counters always are). Sites that put ids in event names cannot grow it.
 */
export const MAX_EVENT_COUNTERS = 100

/** Longest dimension value, product id, trait key or variant accepted; longer is junk. */
const MAX_TEXT = 100
/** Most products per order, and values per dimension (breadcrumbs), read from one event. */
const MAX_ITEMS = 50

const COUNTERS: Readonly<Record<string, string>> = {
  session_started: 'visits',
  page_viewed: 'page_views',
  product_viewed: 'product_views',
  product_added: 'carts',
  order_completed: 'orders',
}

const isKey = (key: unknown): key is string =>
  typeof key === 'string' && key.length > 0 && key.length <= MAX_TEXT && !FORBIDDEN_KEYS.includes(key)

/** A draft entry owned by one fold: sub-objects are copied on first write, then mutated. */
interface Draft {
  /** The new entry being built. */
  _entry: DeviceEntry
  /** The affinity key count once affinities were copied, or -1 while they are still shared. */
  _count: number
  /** Counters already copied. */
  _counters: boolean
}

// Options never carry `undefined` for a setting (resolveOptions leaves it out), so a spread is enough.
const resolve = (config: Partial<ProfileConfig> | undefined): ProfileConfig => ({ ...DEFAULT_PROFILE_CONFIG, ...config })

/** Puts `id` at its place in {@link byRecency} order (the front, unless the event arrived late), capped. */
const touch = (list: RecentItem[], id: string, ts: number): RecentItem[] => {
  const old = list.find((item) => item.id === id)
  return [{ id, t: Math.max(ts, old ? old.t : ts) }, ...list.filter((item) => item !== old)].sort(byRecency).slice(0, MAX_RECENT)
}

const productId = (props: Record<string, unknown>): string | undefined => {
  const raw = props.product_id ?? props.sku ?? props.id
  const id = typeof raw === 'number' ? (Number.isFinite(raw) ? String(raw) : '') : typeof raw === 'string' ? raw.trim() : ''
  return id && id.length <= MAX_TEXT ? id : undefined
}

/** Adds `w` to every `dimension:value` key one product carries, each key once per product. */
const collect = (into: Map<string, number>, product: unknown, dimensions: readonly string[], w: number): void => {
  if (typeof product !== 'object' || product === null) return
  const seen = new Set<string>()
  for (const dim of dimensions) {
    const raw = hasOwn(product, dim) ? (product as Record<string, unknown>)[dim] : undefined
    const values = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw.slice(0, MAX_ITEMS) : []
    for (const value of values) {
      if (typeof value !== 'string') continue
      const clean = value.toLowerCase().trim()
      const key = `${dim}:${clean}`
      if (!clean || clean.length > MAX_TEXT || seen.has(key)) continue
      seen.add(key)
      into.set(key, (into.get(key) ?? 0) + w)
    }
  }
}

/** Drops the smallest scores (decayed to `now`; ties: the greater key) until within the cap. */
const prune = (affinities: Record<string, Affinity>, count: number, now: number, halfLifeMs: number): number => {
  if (count <= MAX_AFFINITIES) return count
  const ranked = Object.keys(affinities)
    .map((key): [number, string] => [decay((affinities[key] as Affinity).s, (affinities[key] as Affinity).t, now, halfLifeMs), key])
    .sort(([a, x], [b, y]) => a - b || (x < y ? 1 : -1))
  for (const [, key] of ranked.slice(0, count - MAX_AFFINITIES)) delete affinities[key]
  return MAX_AFFINITIES
}

/** Applies one event to a draft. Returns false when the event is ignored altogether. */
const apply = (d: Draft, event: ProfileEvent, config: ProfileConfig): boolean => {
  const { name, ts } = event
  // A NaN time would poison every decayed score for good; such an event is ignored whole.
  if (typeof name !== 'string' || !name || !Number.isFinite(ts)) return false
  const props: Record<string, unknown> = typeof event.props === 'object' && event.props !== null ? event.props : {}
  const e = d._entry
  e.v++

  const builtIn = hasOwn(COUNTERS, name)
  const counter = builtIn ? (COUNTERS[name] as string) : 'event:' + name
  const known = hasOwn(e.counters, counter)
  if (builtIn || known || Object.keys(e.counters).filter((k) => k.startsWith('event:')).length < MAX_EVENT_COUNTERS) {
    if (!d._counters) e.counters = { ...e.counters }
    d._counters = true
    setOwn(e.counters, counter, (known ? (e.counters[counter] as number) : 0) + 1)
  }

  if (name === 'product_viewed' || name === 'product_added') {
    const id = productId(props)
    if (id !== undefined) {
      if (name === 'product_viewed') e.viewed = touch(e.viewed, id, ts)
      else e.carted = touch(e.carted, id, ts)
    }
  }

  const w = hasOwn(config.weights, name) ? config.weights[name] : undefined
  if (typeof w !== 'number' || !Number.isFinite(w) || w === 0) return true
  const adds = new Map<string, number>()
  collect(adds, props, config.dimensions, w)
  if (name === 'order_completed' && Array.isArray(props.products)) {
    for (const product of props.products.slice(0, MAX_ITEMS)) collect(adds, product, config.dimensions, w)
  }
  if (!adds.size) return true
  if (d._count < 0) {
    // Spread defines own properties, so even a `__proto__` key is copied as data.
    e.affinities = { ...e.affinities }
    d._count = Object.keys(e.affinities).length
  }
  const affinities = e.affinities
  adds.forEach((add, key) => {
    const old = hasOwn(affinities, key) ? affinities[key] : undefined
    if (!old) {
      d._count++
      affinities[key] = { s: add, t: ts }
      return
    }
    // A late event (ts before the stored time) is added decayed, rather than rewinding the clock.
    const t = Math.max(old.t, ts)
    affinities[key] = { s: decay(old.s, old.t, t, config.halfLifeMs) + decay(add, ts, t, config.halfLifeMs), t }
  })
  d._count = prune(affinities, d._count, ts, config.halfLifeMs)
  return true
}

/**
 * Folds a batch of events into a device entry, oldest first. Same result as calling {@link fold}
 * for each event in turn (so `v` goes up by the number of events used), but copies the entry once.
 */
export const foldAll = (
  entry: DeviceEntry,
  events: readonly ProfileEvent[],
  config?: Partial<ProfileConfig>,
): DeviceEntry => {
  const d: Draft = { _entry: { ...entry }, _count: -1, _counters: false }
  const full = resolve(config)
  let used = false
  for (const event of events) used = apply(d, event, full) || used
  return used ? d._entry : entry
}

/**
 * Folds one event into a device entry and returns a new entry with `v + 1`: its counter, its
 * product in the recently viewed or carted list, and its weight added to the affinity of every
 * configured dimension it carries (`order_completed` also reads each of `props.products`).
 * The input is not mutated; unchanged parts are shared with it. An event without a string name
 * or a finite `ts` is ignored and the input returned as is.
 */
export const fold = (entry: DeviceEntry, event: ProfileEvent, config?: Partial<ProfileConfig>): DeviceEntry =>
  foldAll(entry, [event], config)

/* @__NO_SIDE_EFFECTS__ */
const stamp =
  (field: 'traits' | 'interests') =>
  (entry: DeviceEntry, key: string, value: JsonValue | undefined, now: number): DeviceEntry => {
    if (!isKey(key) || !Number.isFinite(now)) return entry
    const map: Record<string, Stamped> = { ...entry[field] }
    // No `v` is a removal that still wins over older values from other devices.
    setOwn(map, key, value === undefined ? { t: now } : { v: value, t: now })
    const keys = Object.keys(map)
    // Over the cap, the oldest other write goes; never the one just made.
    if (keys.length > MAX_STAMPED) delete map[keys.filter((k) => k !== key).sort((a, b) => (map[a] as Stamped).t - (map[b] as Stamped).t)[0] as string]
    return { ...entry, v: entry.v + 1, [field]: map }
  }

/**
 * Records a preference the shopper stated (zero-party data) at time `now`; `undefined` removes it.
 * At most {@link MAX_STAMPED} are kept, the oldest write going first. Returns a new entry with
 * `v + 1`, or the input itself when the key is unusable (empty, over 100 characters, `__proto__`…).
 * The value must be JSON; checking it is the caller's job, at the edge.
 */
export const setInterest = stamp('interests')

/** Records a fact the site set, with the same rules as {@link setInterest}. */
export const setTrait = stamp('traits')

/**
 * Records this device's variant for an experiment. Sticky: an existing assignment is kept and the
 * input returned as is; otherwise a new entry with `v + 1`. Across devices the earliest wins.
 */
export const assignExperiment = (entry: DeviceEntry, key: string, variant: string, now: number): DeviceEntry =>
  !isKey(key) || hasOwn(entry.experiments, key) || typeof variant !== 'string' || !variant || variant.length > MAX_TEXT || !Number.isFinite(now)
    ? entry
    : { ...entry, v: entry.v + 1, experiments: { ...entry.experiments, [key]: { variant, t: now } } }
