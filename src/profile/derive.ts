import type { Affinity, Assignment, JsonValue, ProfileConfig, Profile, ProfileView, RecentItem, Stamped } from './model'
import { DEFAULT_PROFILE_CONFIG, MAX_RECENT, hasOwn, setOwn } from './model'

/** Decayed affinities below this are noise and left out of the view. */
const FLOOR = 0.001

/**
 * `score` as of `fromT`, decayed to `now` with the given half-life: `score · 2^(-(now-fromT)/halfLifeMs)`.
 * A `fromT` in the future (another device's clock running ahead) counts as now.
 */
export const decay = (score: number, fromT: number, now: number, halfLifeMs: number): number =>
  // exp rather than `2 **`: several times faster in V8, and still exact for whole half-lives 1 and 2.
  now <= fromT ? score : score * Math.exp(((fromT - now) / halfLifeMs) * Math.LN2)

/** The order of recent lists: newest first, ties by id ascending. Every stored list keeps it. */
export const byRecency = (a: RecentItem, b: RecentItem): number => b.t - a.t || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * Union of recent lists already in {@link byRecency} order: a merge of their heads, so the first
 * time an id comes up is its newest, and it stops at {@link MAX_RECENT} without sorting anything.
 */
export const unionRecent = (lists: readonly RecentItem[][]): RecentItem[] => {
  const at = lists.map(() => 0)
  const seen = new Set<string>()
  const out: RecentItem[] = []
  while (out.length < MAX_RECENT) {
    let from = -1
    let head: RecentItem | undefined
    for (let l = 0; l < lists.length; l++) {
      const item = (lists[l] as RecentItem[])[at[l] as number]
      if (item && (!head || byRecency(item, head) < 0)) {
        head = item
        from = l
      }
    }
    if (!head) break
    at[from] = (at[from] as number) + 1
    if (!seen.has(head.id)) {
      seen.add(head.id)
      out.push({ id: head.id, t: head.t })
    }
  }
  return out
}

/**
 * Last writer wins. Devices arrive in ascending id order, so `>=` lets the greater id win a tie.
 * Tombstones take part (a removal must beat older values) and are dropped at the end.
 */
const lastWriter = (maps: Record<string, Stamped>[]): Record<string, JsonValue> => {
  const winners = new Map<string, Stamped>()
  for (const map of maps) {
    for (const key of Object.keys(map)) {
      const item = map[key] as Stamped
      const best = winners.get(key)
      if (!best || item.t >= best.t) winners.set(key, item)
    }
  }
  const out: Record<string, JsonValue> = {}
  winners.forEach((item, key) => item.v !== undefined && setOwn(out, key, item.v))
  return out
}

/** The affinities of one profile, summed per key as of their newest time `r`. */
interface Summed {
  /** The affinity maps summed, in device id order; entries are immutable, so identity is enough. */
  from: Record<string, Affinity>[]
  /** The half-life they were summed with. */
  h: number
  /** The newest `t` among them: every sum is as of this time. */
  r: number
  /** Each key once, in first-seen order. */
  keys: string[]
  /** The sum for `keys[i]`, as of `r`. */
  sums: number[]
}

// Reads far outnumber writes (every slot decision derives), and between writes only `now` moves.
// Summing every key once at the newest time lets a derive at any later `now` decay them all
// with one exp and a multiply each. One slot: the profile being read is nearly always the last.
let last: Summed | undefined

const summed = (from: Record<string, Affinity>[], h: number): Summed => {
  if (last && last.h === h && last.from.length === from.length && last.from.every((map, i) => map === from[i])) return last
  const keyLists = from.map((map) => Object.keys(map))
  let r = -Infinity
  from.forEach((map, d) => {
    for (const key of keyLists[d] as string[]) r = Math.max(r, (map[key] as Affinity).t)
  })
  const total = new Map<string, number>()
  from.forEach((map, d) => {
    for (const key of keyLists[d] as string[]) {
      const { s, t } = map[key] as Affinity
      total.set(key, (total.get(key) ?? 0) + decay(s, t, r, h))
    }
  })
  const keys: string[] = []
  const sums: number[] = []
  total.forEach((sum, key) => keys.push(key) && sums.push(sum))
  return (last = { from, h, r, keys, sums })
}

/** Sum over devices of each score decayed to `now`, without the ones under {@link FLOOR}. */
const affinitiesAt = (from: Record<string, Affinity>[], now: number, h: number): Record<string, number> => {
  const out: Record<string, number> = {}
  const { r, keys, sums } = summed(from, h)
  if (now >= r) {
    const factor = decay(1, r, now, h)
    for (let i = 0; i < keys.length; i++) {
      const score = (sums[i] as number) * factor
      const key = keys[i] as string
      // A plain store where it is safe: the shared helper's store is megamorphic, and slow.
      if (score < FLOOR) continue
      if (key === '__proto__') setOwn(out, key, score)
      else out[key] = score
    }
    return out
  }
  // Some score is stamped after `now` (a clock running ahead) and must not grow: key by key.
  const exact = new Map<string, number>()
  for (const map of from) {
    for (const key of Object.keys(map)) {
      const { s, t } = map[key] as Affinity
      exact.set(key, (exact.get(key) ?? 0) + decay(s, t, now, h))
    }
  }
  exact.forEach((score, key) => score >= FLOOR && setOwn(out, key, score))
  return out
}

/**
 * The profile as the SDK reads it at time `now`: counters summed, affinities decayed and summed,
 * recent lists unioned, traits and interests by last writer, experiments by first assignment.
 * Pure and cheap (it walks only the bounded per-device maps, and remembers the last profile's
 * summed affinities), so it runs on every read. That memo relies on entries never being mutated
 * in place, which `fold` and `merge` guarantee. Trait and interest values are shared with the
 * profile: treat the view as read-only.
 */
export const derive = (profile: Profile, now: number, config?: Partial<ProfileConfig>): ProfileView => {
  const halfLife = config?.halfLifeMs ?? DEFAULT_PROFILE_CONFIG.halfLifeMs
  const ids = Object.keys(profile.devices).sort()
  const counters: Record<string, number> = {}
  const affinities: Record<string, Affinity>[] = []
  const experiments: Record<string, string> = {}
  const firstAt = new Map<string, number>()
  const viewed: RecentItem[][] = []
  const carted: RecentItem[][] = []
  const traits: Record<string, Stamped>[] = []
  const interests: Record<string, Stamped>[] = []
  for (const id of ids) {
    const entry = profile.devices[id]
    if (!entry) continue
    for (const key of Object.keys(entry.counters)) {
      setOwn(counters, key, (hasOwn(counters, key) ? (counters[key] as number) : 0) + (entry.counters[key] as number))
    }
    affinities.push(entry.affinities)
    // Ascending ids and a strict `<`: on equal times the smaller id, seen first, keeps it.
    for (const key of Object.keys(entry.experiments)) {
      const { variant, t } = entry.experiments[key] as Assignment
      const first = firstAt.get(key)
      if (first === undefined || t < first) {
        firstAt.set(key, t)
        setOwn(experiments, key, variant)
      }
    }
    viewed.push(entry.viewed)
    carted.push(entry.carted)
    traits.push(entry.traits)
    interests.push(entry.interests)
  }
  return {
    counters,
    affinities: affinitiesAt(affinities, now, halfLife),
    viewed: unionRecent(viewed),
    carted: unionRecent(carted),
    traits: lastWriter(traits),
    interests: lastWriter(interests),
    experiments,
  }
}
