import type { Queryable } from './createDb'

/** One row of the vitals report: a metric's p75 over the page views where `slot` showed `variant`. */
export interface VitalsRow {
  slot: string
  /** The variant id, or `null` for the page's default content. */
  variant: string | null
  metric: 'LCP' | 'CLS' | 'INP'
  /** 75th percentile, interpolated (`percentile_cont`): ms for LCP and INP, a score for CLS. */
  p75: number
  /** Page views counted. */
  count: number
}

/**
 * p75 of each Core Web Vital per slot variant, over the site's `web_vital` events (what
 * `attune/vitals` sends) with `ts >= since`. A metric reported twice in one page view (CLS and
 * INP, after the tab was hidden and shown again) keeps its web-vitals `id`: only its newest
 * value counts. Events of another shape are skipped, never an error: a malformed `variants` or
 * `value` cannot fail the query for everyone else's.
 */
export const vitalsBySlot = async (q: Queryable, site: string, since: number): Promise<VitalsRow[]> =>
  q.query<VitalsRow>(
    `WITH latest AS (
       SELECT DISTINCT ON (visitor, coalesce(props->>'id', event_id::text))
         props->>'metric' AS metric,
         CASE WHEN jsonb_typeof(props->'value') = 'number' THEN (props->>'value')::float8 END AS value,
         CASE WHEN jsonb_typeof(props->'variants') = 'object' THEN props->'variants' ELSE '{}'::jsonb END AS variants
       FROM events
       WHERE site = $1 AND name = 'web_vital' AND ts >= $2
         AND props->>'metric' IN ('LCP', 'CLS', 'INP')
         AND CASE WHEN jsonb_typeof(props->'value') = 'number' THEN (props->>'value')::float8 >= 0 ELSE false END
       ORDER BY visitor, coalesce(props->>'id', event_id::text), ts DESC, event_id DESC
     )
     SELECT v.key AS slot,
            v.value #>> '{}' AS variant,
            l.metric,
            percentile_cont(0.75) WITHIN GROUP (ORDER BY l.value) AS p75,
            count(*)::int AS count
     FROM latest l, jsonb_each(l.variants) AS v
     WHERE jsonb_typeof(v.value) IN ('string', 'null')
     GROUP BY 1, 2, 3
     ORDER BY 1, 2 NULLS FIRST, 3`,
    [site, since],
  )
