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
    at[from]++
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

/**
 * The profile as the SDK reads it at time `now`: counters summed, affinities decayed and summed,
 * recent lists unioned, traits and interests by last writer, experiments by first assignment.
 * Pure and cheap (it walks only the bounded per-device maps), so it runs on every read.
 * Trait and interest values are shared with the profile: treat the view as read-only.
 */
export const derive = (profile: Profile, now: number, config?: Partial<ProfileConfig>): ProfileView => {
  const halfLife = config?.halfLifeMs ?? DEFAULT_PROFILE_CONFIG.halfLifeMs
  const ids = Object.keys(profile.devices).sort()
  const counters: Record<string, number> = {}
  const sums = new Map<string, number>()
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
    const affinities = entry.affinities
    for (const key of Object.keys(affinities)) {
      const { s, t } = affinities[key] as Affinity
      sums.set(key, (sums.get(key) ?? 0) + decay(s, t, now, halfLife))
    }
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
  const affinities: Record<string, number> = {}
  sums.forEach((sum, key) => sum >= FLOOR && setOwn(affinities, key, sum))
  return {
    counters,
    affinities,
    viewed: unionRecent(viewed),
    carted: unionRecent(carted),
    traits: lastWriter(traits),
    interests: lastWriter(interests),
    experiments,
  }
}
