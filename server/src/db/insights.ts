import type { Queryable } from './createDb'
import { DEFAULT_STEPS, HOUR_MS } from './rollup'

/** Exposed visitors of one experiment arm, from the rollups. */
export interface ArmRow {
  experiment: string
  variant: string
  exposures: number
}

/** Of them, those who converted on `goal` after their first exposure. */
export interface ArmGoalRow extends ArmRow {
  goal: string
  conversions: number
}

/** Funnel depth counts of one group: `visitors` reached exactly `depth` steps in order. */
export interface DepthRow {
  group: string
  depth: number
  visitors: number
}

/** How funnels are split. `all`: one group. */
export type FunnelBy = 'all' | 'variant' | 'segment' | 'channel'

/** Exposed visitors per arm of the site's experiments (of one when `experiment` is given). */
export const armCounts = async (q: Queryable, site: string, experiment?: string): Promise<ArmRow[]> =>
  q.query<ArmRow>(
    `SELECT experiment, variant, exposures::float8 AS exposures FROM insight_arms
     WHERE site = $1 AND ($2::text IS NULL OR experiment = $2) AND exposures > 0
     ORDER BY experiment, variant`,
    [site, experiment ?? null],
  )

/** Converted visitors per arm and goal (of one experiment when given). */
export const armGoalCounts = async (q: Queryable, site: string, experiment?: string): Promise<Omit<ArmGoalRow, 'exposures'>[]> =>
  q.query<Omit<ArmGoalRow, 'exposures'>>(
    `SELECT experiment, variant, goal, conversions::float8 AS conversions FROM insight_arm_goals
     WHERE site = $1 AND ($2::text IS NULL OR experiment = $2) AND conversions > 0
     ORDER BY experiment, variant, goal`,
    [site, experiment ?? null],
  )

/** Hours overlapping [from, to]: a bucket is in when it starts at or before `to` and ends after `from`. */
const IN_WINDOW = (column: string, from: string, to: string): string => `${column} > ${from}::bigint - ${HOUR_MS} AND ${column} <= ${to}::bigint`

/**
 * Depth counts of the default funnel (see DEFAULT_STEPS) for visitors whose first step-0 falls
 * in the window, read from the rollups: a few rows per hour and group, whatever the traffic.
 */
export const defaultFunnel = async (q: Queryable, site: string, by: FunnelBy, from: number, to: number, experiment?: string): Promise<DepthRow[]> => {
  if (by === 'variant') {
    return q.query<DepthRow>(
      `SELECT variant AS "group", depth::int AS depth, sum(visitors)::float8 AS visitors FROM insight_funnel_variants
       WHERE site = $1 AND experiment = $4 AND ${IN_WINDOW('hour', '$2', '$3')}
       GROUP BY 1, 2 HAVING sum(visitors) > 0 ORDER BY 1, 2`,
      [site, from, to, experiment ?? ''],
    )
  }
  const group = by === 'channel' ? 'channel' : by === 'segment' ? 'segment' : `'all'`
  return q.query<DepthRow>(
    `SELECT ${group} AS "group", depth::int AS depth, sum(visitors)::float8 AS visitors FROM insight_funnel
     WHERE site = $1 AND ${IN_WINDOW('hour', '$2', '$3')}
     GROUP BY 1, 2 HAVING sum(visitors) > 0 ORDER BY 1, 2`,
    [site, from, to],
  )
}

/**
 * Depth counts of any funnel, with the default funnel's rules, computed from the raw events:
 * its cost grows with the site's events (the default steps read rollups, see {@link defaultFunnel}).
 */
export const customFunnel = async (
  q: Queryable,
  site: string,
  steps: readonly string[],
  by: FunnelBy,
  from: number,
  to: number,
  experiment?: string,
): Promise<DepthRow[]> => {
  // $1 site, $2 from, $3 to, then the steps, then (by variant) the experiment.
  const at = (i: number): string => `$${i + 4}`
  const firsts = steps.map((_, i) => `min(ts) FILTER (WHERE name = ${at(i)}) AS t${i}`).join(', ')
  let depth = `${steps.length}`
  for (let i = steps.length - 1; i >= 1; i--) depth = `CASE WHEN t${i} IS NULL OR t${i} < t${i - 1} THEN ${i} ELSE ${depth} END`
  const group =
    by === 'channel' ? `coalesce(v.channel, 'direct')` : by === 'segment' ? `CASE WHEN v.session2 <= f.t0 THEN 'returning' ELSE 'new' END` : by === 'variant' ? 'm.variant' : `'all'`
  const join =
    by === 'variant'
      ? `JOIN insight_members m ON m.site = $1 AND m.experiment = ${at(steps.length)} AND m.visitor = f.visitor`
      : 'LEFT JOIN insight_visitors v ON v.site = $1 AND v.visitor = f.visitor'
  return q.query<DepthRow>(
    `WITH f AS (
       SELECT visitor, ${firsts} FROM events
       WHERE site = $1 AND name IN (${steps.map((_, i) => at(i)).join(', ')})
       GROUP BY visitor
     )
     SELECT ${group} AS "group", ${depth} AS depth, count(*)::float8 AS visitors
     FROM f ${join}
     WHERE f.t0 IS NOT NULL AND ${IN_WINDOW('f.t0 - f.t0 % ' + HOUR_MS, '$2', '$3')}
     GROUP BY 1, 2 ORDER BY 1, 2`,
    [site, from, to, ...steps, ...(by === 'variant' ? [experiment ?? ''] : [])],
  )
}

/** Is this the default funnel, whose counts are rolled up? */
export const isDefaultFunnel = (steps: readonly string[]): boolean =>
  steps.length === DEFAULT_STEPS.length && steps.every((step, i) => step === DEFAULT_STEPS[i])

/** One hourly count. */
export interface HourCount {
  hour: number
  value: number
}

/** Events per hour in the window (of one name when given; all names summed otherwise); hours without events are absent. */
export const hourlyEvents = async (q: Queryable, site: string, from: number, to: number, name?: string): Promise<HourCount[]> =>
  q.query<HourCount>(
    `SELECT hour::float8 AS hour, sum(events)::float8 AS value FROM insight_hourly
     WHERE site = $1 AND ($4::text IS NULL OR name = $4) AND ${IN_WINDOW('hour', '$2', '$3')}
     GROUP BY 1 ORDER BY 1`,
    [site, from, to, name ?? null],
  )

/** Conversion events per hour in the window (of one goal when given). */
export const hourlyConversions = async (q: Queryable, site: string, from: number, to: number, goal?: string): Promise<HourCount[]> =>
  q.query<HourCount>(
    `SELECT hour::float8 AS hour, sum(conversions)::float8 AS value FROM insight_hourly_goals
     WHERE site = $1 AND ($4::text IS NULL OR goal = $4) AND ${IN_WINDOW('hour', '$2', '$3')}
     GROUP BY 1 ORDER BY 1`,
    [site, from, to, goal ?? null],
  )

/** Conversion events per hour and goal in the window. */
export const hourlyConversionsByGoal = async (q: Queryable, site: string, from: number, to: number): Promise<(HourCount & { goal: string })[]> =>
  q.query<HourCount & { goal: string }>(
    `SELECT goal, hour::float8 AS hour, conversions::float8 AS value FROM insight_hourly_goals
     WHERE site = $1 AND conversions > 0 AND ${IN_WINDOW('hour', '$2', '$3')}
     ORDER BY 1, 2`,
    [site, from, to],
  )

/** The first hour with any event of the site, or undefined for a site without events. */
export const firstHour = async (q: Queryable, site: string): Promise<number | undefined> => {
  const [row] = await q.query<{ hour: number | null }>(`SELECT min(hour)::float8 AS hour FROM insight_hourly WHERE site = $1`, [site])
  return row?.hour ?? undefined
}
