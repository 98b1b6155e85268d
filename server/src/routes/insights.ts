import * as v from 'valibot'
import { Hono } from 'hono'
import type { Context } from 'hono'
import type { AppEnv, Deps } from '../types'
import type { SiteConfig } from '../sdk'
import type { DepthRow, FunnelBy, HourCount } from '../db/insights'
import type { Anomaly, HourPoint } from '../insights/anomalies'
import {
  armCounts,
  armGoalCounts,
  customFunnel,
  defaultFunnel,
  firstHour,
  hourlyConversions,
  hourlyConversionsByGoal,
  hourlyEvents,
  isDefaultFunnel,
} from '../db/insights'
import { DEFAULT_STEPS, HOUR_MS } from '../db/rollup'
import { DEFAULT_MIN_HISTORY_WEEKS, HISTORY_WEEKS, detectAnomalies, detectRateAnomalies } from '../insights/anomalies'
import { experimentResult, expectedShares } from '../lib/experimentResult'
import { fail } from '../lib/fail'
import { SiteId, parse, withoutNul } from './fields'

const DAY_MS = 24 * HOUR_MS
const WEEK_MS = 7 * DAY_MS
/** Longest window of a funnel or a series (a series has a point per hour of it). */
const MAX_WINDOW_MS = 366 * DAY_MS
/** Longest window of an anomaly search (it reads HISTORY_WEEKS more before it). */
const MAX_ANOMALY_WINDOW_MS = 90 * DAY_MS

const Millis = v.pipe(
  v.string(),
  v.regex(/^(0|[1-9]\d{0,15})$/, 'a time in epoch milliseconds, e.g. 1732550400000'),
  v.transform(Number),
  v.safeInteger('a time in epoch milliseconds, e.g. 1732550400000'),
)

/** An experiment key or goal as stored: what the SDK sends, cut to 200 characters. */
const Key = v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(200), withoutNul('a key'))

/** The path parameters of the insight routes. */
export const InsightsParams = v.strictObject({ site: SiteId })
export const ExperimentParams = v.strictObject({ site: SiteId, key: Key })

/** `from` not after `to`, and at most `max` apart. */
const windowOk = (x: { from?: number; to?: number }, max: number): boolean =>
  x.from === undefined || x.to === undefined || (x.from <= x.to && x.to - x.from <= max)
const windowMessage = (max: number): string => `from must not be after to, and the window at most ${max / DAY_MS} days`

/** `steps`: comma-separated event names, 1–10 of them, each once. */
const Steps = v.pipe(
  v.string(),
  v.transform((s) => s.split(',').map((step) => step.trim())),
  v.array(v.pipe(v.string(), v.minLength(1, 'a step is an event name, e.g. product_viewed'), v.maxLength(200), withoutNul('a step'))),
  v.minLength(1),
  v.maxLength(10, 'at most 10 steps'),
  v.check((steps) => new Set(steps).size === steps.length, 'a step may appear only once'),
)

/** The query of `GET …/funnels`. Without `by`, one group: `all`. */
export const FunnelQuery = v.pipe(
  v.strictObject({
    steps: v.optional(Steps),
    by: v.optional(v.picklist(['variant', 'segment', 'channel'], 'by is variant, segment or channel')),
    experiment: v.optional(Key),
    from: v.optional(Millis),
    to: v.optional(Millis),
  }),
  v.check((q) => q.by !== 'variant' || q.experiment !== undefined, 'by=variant needs experiment=<key>'),
  v.check((q) => windowOk(q, MAX_WINDOW_MS), windowMessage(MAX_WINDOW_MS)),
)

/** The query of `GET …/anomalies`. */
export const AnomaliesQuery = v.pipe(
  v.strictObject({ from: v.optional(Millis), to: v.optional(Millis) }),
  v.check((q) => windowOk(q, MAX_ANOMALY_WINDOW_MS), windowMessage(MAX_ANOMALY_WINDOW_MS)),
)

/** The query of `GET …/series`. `goal` only with `metric=conversions` (all goals without it). */
export const SeriesQuery = v.pipe(
  v.strictObject({
    metric: v.optional(v.picklist(['events', 'conversions'], 'metric is events or conversions')),
    goal: v.optional(Key),
    from: v.optional(Millis),
    to: v.optional(Millis),
  }),
  v.check((q) => q.goal === undefined || q.metric === 'conversions', 'goal goes with metric=conversions'),
  v.check((q) => windowOk(q, MAX_WINDOW_MS), windowMessage(MAX_WINDOW_MS)),
)

/** The hours overlapping [from, to], each with its count (0 when none). */
const hoursOf = (counts: readonly HourCount[], from: number, to: number): HourPoint[] => {
  const byHour = new Map(counts.map((c) => [c.hour, c.value]))
  const points: HourPoint[] = []
  for (let hour = from - (from % HOUR_MS); hour <= to; hour += HOUR_MS) points.push({ hour, value: byHour.get(hour) ?? 0 })
  return points
}

/** `visitors[i]`: reached at least i + 1 steps in order; `dropOff[i]`: share lost from step i − 1 (0 for the first, and when none reached it). */
const funnelGroup = (group: string, rows: readonly DepthRow[], steps: number) => {
  const visitors = Array.from({ length: steps }, (_, i) => rows.filter((r) => r.group === group && r.depth >= i + 1).reduce((sum, r) => sum + r.visitors, 0))
  const dropOff = visitors.map((n, i) => {
    const before = i === 0 ? 0 : (visitors[i - 1] as number)
    return before > 0 ? (before - n) / before : 0
  })
  return { group, visitors, dropOff }
}

/**
 * Insight reads of `/v1/admin/*` (behind `adminGuard`, which createServer mounts in front of
 * every admin route): experiment results, funnels, anomalies and hourly series, read from the rollups
 * (db/rollup.ts), which are brought up to date first. Shapes and rules: server/README.md,
 * "Insights routes".
 */
export const insightsRoute = (deps: Deps) => {
  /** The site's config after the rollups caught up, or the 404 answer. */
  const siteOf = async (c: Context<AppEnv>, site: string): Promise<SiteConfig | Response> => {
    const row = await deps.sites.get(site)
    if (!row) return fail(c, deps.metrics, 404, 'not_found', 'unknown_site')
    await deps.rollups.flush()
    return row.config as SiteConfig
  }

  return new Hono<AppEnv>()
    .get('/v1/admin/sites/:site/experiments', async (c) => {
      const params = parse(c, deps, InsightsParams, c.req.param())
      if ('response' in params) return params.response
      const { site } = params.value
      const config = await siteOf(c, site)
      if (config instanceof Response) return config
      const [arms, conversions] = await Promise.all([armCounts(deps.db, site), armGoalCounts(deps.db, site)])
      const keys = (config.experiments ?? []).map((e) => e.key)
      for (const a of arms) if (!keys.includes(a.experiment)) keys.push(a.experiment)
      return c.json({ site, experiments: keys.map((key) => experimentResult(key, config, arms, conversions)) })
    })
    .get('/v1/admin/sites/:site/experiments/:key', async (c) => {
      const params = parse(c, deps, ExperimentParams, c.req.param())
      if ('response' in params) return params.response
      const { site, key } = params.value
      const config = await siteOf(c, site)
      if (config instanceof Response) return config
      const [arms, conversions] = await Promise.all([armCounts(deps.db, site, key), armGoalCounts(deps.db, site, key)])
      if (!config.experiments?.some((e) => e.key === key) && arms.length === 0) return fail(c, deps.metrics, 404, 'not_found', 'unknown_experiment')
      return c.json(experimentResult(key, config, arms, conversions))
    })
    .get('/v1/admin/sites/:site/funnels', async (c) => {
      const params = parse(c, deps, InsightsParams, c.req.param())
      if ('response' in params) return params.response
      const query = parse(c, deps, FunnelQuery, c.req.query())
      if ('response' in query) return query.response
      const { site } = params.value
      const steps = query.value.steps ?? [...DEFAULT_STEPS]
      const by: FunnelBy = query.value.by ?? 'all'
      const to = query.value.to ?? deps.now()
      const from = query.value.from ?? to - 28 * DAY_MS
      const experiment = by === 'variant' ? query.value.experiment : undefined
      const config = await siteOf(c, site)
      if (config instanceof Response) return config
      const rows = isDefaultFunnel(steps)
        ? await defaultFunnel(deps.db, site, by, from, to, experiment)
        : await customFunnel(deps.db, site, steps, by, from, to, experiment)
      let groups: string[]
      if (by === 'variant') {
        const e = config.experiments?.find((x) => x.key === experiment)
        const seen = [...new Set((await armCounts(deps.db, site, experiment)).map((a) => a.variant))]
        if (!e && seen.length === 0) return fail(c, deps.metrics, 404, 'not_found', 'unknown_experiment')
        groups = e ? expectedShares(config, e).map((s) => s.variant) : []
        for (const variant of [...seen, ...rows.map((r) => r.group)]) if (!groups.includes(variant)) groups.push(variant)
      } else if (by === 'segment') groups = ['new', 'returning']
      else if (by === 'channel') {
        const entered = new Map<string, number>()
        for (const r of rows) entered.set(r.group, (entered.get(r.group) ?? 0) + r.visitors)
        groups = [...entered.keys()].sort((a, b) => (entered.get(b) as number) - (entered.get(a) as number) || (a < b ? -1 : 1))
      } else groups = ['all']
      return c.json({ site, steps, by, ...(experiment ? { experiment } : {}), from, to, groups: groups.map((g) => funnelGroup(g, rows, steps.length)) })
    })
    .get('/v1/admin/sites/:site/anomalies', async (c) => {
      const params = parse(c, deps, InsightsParams, c.req.param())
      if ('response' in params) return params.response
      const query = parse(c, deps, AnomaliesQuery, c.req.query())
      if ('response' in query) return query.response
      const { site } = params.value
      const to = query.value.to ?? deps.now()
      const from = query.value.from ?? to - WEEK_MS
      const config = await siteOf(c, site)
      if (config instanceof Response) return config
      const first = await firstHour(deps.db, site)
      // The detectors judge an hour once DEFAULT_MIN_HISTORY_WEEKS of the same hour-of-week precede it.
      const enoughHistory = first !== undefined && first <= from - DEFAULT_MIN_HISTORY_WEEKS * WEEK_MS
      if (first === undefined || first > to) return c.json({ site, from, to, anomalies: [], enoughHistory })
      // The series start at the site's first hour (before it, no data is not a drop to zero), and
      // reach back as far as the detectors look.
      const start = Math.max(first, from - HISTORY_WEEKS * WEEK_MS)
      const [events, sessions, conversions] = await Promise.all([
        hourlyEvents(deps.db, site, start, to),
        hourlyEvents(deps.db, site, start, to, 'session_started'),
        hourlyConversionsByGoal(deps.db, site, start, to),
      ])
      const inWindow = (a: { hour: number }): boolean => a.hour + HOUR_MS > from && a.hour <= to
      const found: (Anomaly & { metric: 'events' | 'conversion_rate'; goal: string | null })[] = detectAnomalies(hoursOf(events, start, to))
        .filter(inWindow)
        .map((a) => ({ ...a, metric: 'events', goal: null }))
      const goals = [...(config.goals ?? [])]
      for (const row of conversions) if (!goals.includes(row.goal)) goals.push(row.goal)
      if (sessions.length > 0) {
        const denominators = hoursOf(sessions, start, to)
        for (const goal of goals) {
          const numerators = hoursOf(conversions.filter((r) => r.goal === goal), start, to)
          for (const a of detectRateAnomalies(numerators, denominators).filter(inWindow)) found.push({ ...a, metric: 'conversion_rate', goal })
        }
      }
      found.sort((a, b) => a.hour - b.hour || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0))
      return c.json({ site, from, to, anomalies: found, enoughHistory })
    })
    .get('/v1/admin/sites/:site/series', async (c) => {
      const params = parse(c, deps, InsightsParams, c.req.param())
      if ('response' in params) return params.response
      const query = parse(c, deps, SeriesQuery, c.req.query())
      if ('response' in query) return query.response
      const { site } = params.value
      const metric = query.value.metric ?? 'events'
      const goal = query.value.goal ?? null
      const to = query.value.to ?? deps.now()
      const from = query.value.from ?? to - WEEK_MS
      const config = await siteOf(c, site)
      if (config instanceof Response) return config
      const counts = metric === 'events' ? await hourlyEvents(deps.db, site, from, to) : await hourlyConversions(deps.db, site, from, to, goal ?? undefined)
      return c.json({ site, metric, goal, from, to, points: hoursOf(counts, from, to) })
    })
}
