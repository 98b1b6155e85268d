import type { Db } from '../db/createDb'
import type { ArmGoalRow, ArmRow } from '../db/insights'
import { armCounts, armGoalCounts } from '../db/insights'

/** How long a site's published bandit stats are reused: they change the config's ETag, so not on every exposure. */
const TTL_MS = 60_000

type Rollup = { arms: ArmRow[]; goals: Omit<ArmGoalRow, 'exposures'>[] }
type Obj = Record<string, unknown>

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x)

/**
 * The config with `bandit.stats` of every bandit experiment computed from the rollups: per
 * configured variant, `trials` = visitors exposed to it and `successes` = of them, those who
 * converted after exposure on `bandit.goal`, or else on the site's first goal (none: 0). Other
 * fields are kept as stored; a config without bandits is returned as is.
 */
export const withBanditStats = (config: Obj, rollup: Rollup): Obj => {
  const experiments = config.experiments
  if (!Array.isArray(experiments) || !experiments.some((e) => isObj(e) && isObj(e.bandit))) return config
  const firstGoal = Array.isArray(config.goals) && typeof config.goals[0] === 'string' ? config.goals[0] : undefined
  return {
    ...config,
    experiments: experiments.map((e: unknown) => {
      if (!isObj(e) || !isObj(e.bandit) || typeof e.key !== 'string' || !Array.isArray(e.variants)) return e
      const goal = typeof e.bandit.goal === 'string' ? e.bandit.goal : firstGoal
      const stats: Record<string, { successes: number; trials: number }> = {}
      for (const variant of e.variants) {
        if (typeof variant !== 'string') continue
        const trials = rollup.arms.find((a) => a.experiment === e.key && a.variant === variant)?.exposures ?? 0
        const successes = rollup.goals.find((g) => g.experiment === e.key && g.variant === variant && g.goal === goal)?.conversions ?? 0
        stats[variant] = { successes: Math.min(successes, trials), trials }
      }
      return { ...e, bandit: { ...e.bandit, stats } }
    }),
  }
}

/**
 * Bandit stats for `GET /v1/sites/:site/config`, read from the rollups at most once a minute per
 * site (caches the promise, so a burst of config requests reads once). They are as fresh as the
 * last rollup, which runs a moment after each ingest.
 */
export const createBanditStats = (db: Db, now: () => number) => {
  let cache = new Map<string, { at: number; rollup: Promise<Rollup> }>()

  const publish = async (site: string, config: Obj): Promise<Obj> => {
    if (!Array.isArray(config.experiments) || !config.experiments.some((e) => isObj(e) && isObj(e.bandit))) return config
    let hit = cache.get(site)
    if (!hit || now() - hit.at >= TTL_MS) {
      if (cache.size > 10_000) cache = new Map()
      const rollup = Promise.all([armCounts(db, site), armGoalCounts(db, site)]).then(([arms, goals]) => ({ arms, goals }))
      rollup.catch(() => cache.delete(site))
      hit = { at: now(), rollup }
      cache.set(site, hit)
    }
    return withBanditStats(config, await hit.rollup)
  }

  return { publish }
}

export type BanditStats = ReturnType<typeof createBanditStats>
