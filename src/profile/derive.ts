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

/** Union of recent lists: each id once, at its newest time, in {@link byRecency} order, capped. */
export const unionRecent = (lists: readonly RecentItem[][]): RecentItem[] => {
  const seen = new Set<string>()
  return lists
    .flat()
    .sort(byRecency)
    .filter((item) => !seen.has(item.id) && seen.add(item.id))
    .slice(0, MAX_RECENT)
    .map(({ id, t }) => ({ id, t }))
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

/** Sum over devices of each score decayed to `now`, without the ones under {@link FLOOR}. */
const affinitiesAt = (from: Record<string, Affinity>[], now: number, h: number): Record<string, number> => {
  const sums = new Map<string, number>()
  for (const map of from) {
    for (const key of Object.keys(map)) {
      const { s, t } = map[key] as Affinity
      sums.set(key, (sums.get(key) ?? 0) + decay(s, t, now, h))
    }
  }
  const out: Record<string, number> = {}
  sums.forEach((score, key) => score >= FLOOR && setOwn(out, key, score))
  return out
}

/**
 * The profile as the SDK reads it at time `now`: counters summed, affinities decayed and summed,
 * recent lists unioned, traits and interests by last writer, experiments by first assignment.
 * Pure and cheap (it walks only the bounded per-device maps), so it runs on every read. Trait
 * and interest values are shared with the profile: treat the view as read-only.
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
