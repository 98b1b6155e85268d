/**
 * The on-device preference profile: its stored shape, its derived view and their defaults.
 * Every field name here is persisted and sent over the wire, so none is ever minified or renamed.
 */

/** Any value JSON can carry. Traits and interests hold these. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue }

/** A product seen or carted, and when (epoch ms). */
export interface RecentItem {
  /** The product id as a string (`product_id`, `sku` or `id` of the event). */
  id: string
  /** When it was last seen or carted, epoch ms. */
  t: number
}

/**
 * A last-writer-wins value. A record without `v` is a removal (a tombstone): it has to win over
 * older values written by other devices, which a deleted key could not do.
 */
export interface Stamped {
  /** The value; absent when the key was removed at `t`. */
  v?: JsonValue
  /** When it was written, epoch ms. */
  t: number
}

/** A decaying affinity score. */
export interface Affinity {
  /** The score as of `t`; it halves every `halfLifeMs` after that. */
  s: number
  /** When `s` was last brought up to date, epoch ms. */
  t: number
}

/** A sticky experiment assignment. */
export interface Assignment {
  /** The variant this device was put in. */
  variant: string
  /** When it was assigned, epoch ms. */
  t: number
}

/** One device's contribution. Only that device writes it, and it bumps `v` on every write. */
export interface DeviceEntry {
  /** Version, strictly increasing with every write by the owning device. Merge keeps the highest. */
  v: number
  /** Event counts: `visits`, `page_views`, `product_views`, `carts`, `orders`, `event:<name>`. */
  counters: Record<string, number>
  /** Scores keyed `dimension:value`, e.g. `category:running`; at most 200 per device. */
  affinities: Record<string, Affinity>
  /** Recently viewed products, newest first, unique ids, at most {@link MAX_RECENT}. */
  viewed: RecentItem[]
  /** Recently carted products, same rules as `viewed`. */
  carted: RecentItem[]
  /** Facts the site set (membership tier, store…); last writer wins; at most 100. */
  traits: Record<string, Stamped>
  /** Zero-party preferences the shopper stated; last writer wins; at most 100. */
  interests: Record<string, Stamped>
  /** Sticky experiment assignments keyed by experiment; the earliest wins across devices. */
  experiments: Record<string, Assignment>
}

/** The whole profile: device id → that device's entry. */
export interface Profile {
  /** Stored-record schema version; see `migrate` for older shapes. */
  schema: 1
  /** Each device's contribution, keyed by its device id. */
  devices: Record<string, DeviceEntry>
}

/** What the rest of the SDK reads: the profile folded across devices as of a given time. */
export interface ProfileView {
  /** Sum over devices. */
  counters: Record<string, number>
  /** Sum over devices of each score decayed to now; scores under 0.001 are left out. */
  affinities: Record<string, number>
  /** Union over devices, newest time per id, newest first (ties: id ascending), at most 50. */
  viewed: RecentItem[]
  /** Same as `viewed`, for carted products. */
  carted: RecentItem[]
  /** Newest write wins; on equal times the greater device id wins. Removed keys are absent. */
  traits: Record<string, JsonValue>
  /** Same rules as `traits`, for the shopper's stated preferences. */
  interests: Record<string, JsonValue>
  /** Experiment → variant; the earliest assignment wins; on equal times the smaller device id. */
  experiments: Record<string, string>
}

/** How events turn into affinities and how fast they fade. */
export interface ProfileConfig {
  /** Time for an affinity score to halve, in ms. Default 14 days. Must be > 0. */
  halfLifeMs: number
  /** Product properties that feed affinities. Default `['category', 'brand']`. */
  dimensions: readonly string[]
  /** Event name → affinity weight. Events without a weight add no affinity. */
  weights: Readonly<Record<string, number>>
}

/** One event as the profile sees it; `TrackedEvent` fits. */
export interface ProfileEvent {
  /** Event name, e.g. `product_viewed`. */
  name: string
  /** Event properties. */
  props: Record<string, unknown>
  /** Epoch ms when it happened. */
  ts: number
}

/** The current stored schema version. */
export const PROFILE_SCHEMA = 1

/** Longest recently-viewed and recently-carted lists, per device and in the view. */
export const MAX_RECENT = 50

/** Used for whatever a caller leaves out of a `Partial<ProfileConfig>`. */
export const DEFAULT_PROFILE_CONFIG: Readonly<ProfileConfig> = {
  halfLifeMs: 14 * 24 * 3600 * 1000,
  dimensions: ['category', 'brand'],
  weights: { product_viewed: 1, product_added: 3, order_completed: 5 },
}

/** A device entry that has seen nothing yet (version 0, so any write beats it). */
export const emptyEntry = (): DeviceEntry => ({
  v: 0,
  counters: {},
  affinities: {},
  viewed: [],
  carted: [],
  traits: {},
  interests: {},
  experiments: {},
})

/** A profile with no devices. */
export const emptyProfile = (): Profile => ({ schema: PROFILE_SCHEMA, devices: {} })


const ownProperty = Object.prototype.hasOwnProperty

/**
 * Own-property check. Keys come from the page and the wire, and `obj[key]` for `constructor` or
 * `toString` would read Object.prototype. (`Object.hasOwn` is missing in Safari < 15.4.)
 */
export const hasOwn = (obj: object, key: string): boolean => ownProperty.call(obj, key)

/**
 * `obj[key] = value` that stores `__proto__` as a plain own key instead of running the
 * prototype setter (which would drop the key and re-parent the object).
 */
export const setOwn = <T>(obj: Record<string, T>, key: string, value: T): void => {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
  else obj[key] = value
}
