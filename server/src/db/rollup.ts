import type { Db, Queryable } from './createDb'

/**
 * The default funnel: the journey events the SDK sends. Its progress is kept per visitor
 * (`insight_visitors.step0…3`), so funnels over these steps read small rollups only.
 */
export const DEFAULT_STEPS = ['product_viewed', 'product_added', 'checkout_started', 'order_completed'] as const

/** One hour, ms: rollups count per UTC hour. */
export const HOUR_MS = 3_600_000

/** Queued events one rollup transaction takes (whole queue rows: up to 2,000 more). */
export const ROLLUP_BATCH = 50_000

/** Advisory lock of the rollup: one roller at a time per database (migrations hold 7270111). */
const LOCK = 7270112

/** A time no event has, for "no value" in `least` (PostgreSQL's `least` skips nulls, but we need a +∞). */
const NEVER = '9223372036854775807'

const STEP_LIST = DEFAULT_STEPS.map((s) => `'${s}'`).join(', ')

/**
 * What a visitor contributes to the rollups of visitors (`kind` 1: default funnel by hour of the
 * first step, channel and segment; 2: the same funnel by experiment variant; 3: exposed visitors
 * per arm; 4: of them, converted after exposure, per goal), for the visitors in `rollup_touched`.
 * Run once before and once after their state changes; the difference is what the rollups gain.
 *
 * Rules (documented in server/README.md, "Insights routes"):
 * - depth: how many default steps the visitor did in order, by the first time of each step;
 * - segment: `returning` when the visitor had started a second session by their first step;
 * - a conversion counts for the variant of the visitor's first exposure when the visitor's latest
 *   conversion on that goal is at or after that exposure.
 */
const contributions = (sign: 1 | -1): string => `
  INSERT INTO rollup_delta (sign, kind, site, experiment, variant, goal, hour, channel, segment, depth)
  WITH v AS (
    SELECT v.site, v.visitor, v.channel,
           v.step0 - v.step0 % ${HOUR_MS} AS hour,
           CASE WHEN v.session2 <= v.step0 THEN 'returning' ELSE 'new' END AS segment,
           CASE WHEN v.step1 IS NULL OR v.step1 < v.step0 THEN 1
                WHEN v.step2 IS NULL OR v.step2 < v.step1 THEN 2
                WHEN v.step3 IS NULL OR v.step3 < v.step2 THEN 3
                ELSE 4 END AS depth
    FROM rollup_touched t JOIN insight_visitors v ON v.site = t.site AND v.visitor = t.visitor
    WHERE v.step0 IS NOT NULL
  ), m AS (
    SELECT m.site, m.visitor, m.experiment, m.variant, m.first_ts
    FROM rollup_touched t JOIN insight_members m ON m.site = t.site AND m.visitor = t.visitor
  )
  SELECT ${sign}, 1, site, NULL, NULL, NULL, hour, channel, segment, depth FROM v
  UNION ALL
  SELECT ${sign}, 2, m.site, m.experiment, m.variant, NULL, v.hour, NULL, NULL, v.depth FROM m JOIN v ON v.site = m.site AND v.visitor = m.visitor
  UNION ALL
  SELECT ${sign}, 3, site, experiment, variant, NULL, NULL, NULL, NULL, NULL FROM m
  UNION ALL
  SELECT ${sign}, 4, m.site, m.experiment, m.variant, g.goal, NULL, NULL, NULL, NULL
  FROM m JOIN insight_goals g ON g.site = m.site AND g.visitor = m.visitor AND g.last_ts >= m.first_ts`

/** The statements of one rollup step after the batch is in `rollup_batch`. */
const STEPS: readonly string[] = [
  `INSERT INTO insight_hourly (site, hour, name, events)
   SELECT site, ts - ts % ${HOUR_MS}, name, count(*) FROM rollup_batch GROUP BY 1, 2, 3
   ON CONFLICT (site, name, hour) DO UPDATE SET events = insight_hourly.events + excluded.events`,
  `INSERT INTO insight_hourly_goals (site, hour, goal, conversions)
   SELECT site, ts - ts % ${HOUR_MS}, goal, count(*) FROM rollup_batch WHERE goal IS NOT NULL GROUP BY 1, 2, 3
   ON CONFLICT (site, goal, hour) DO UPDATE SET conversions = insight_hourly_goals.conversions + excluded.conversions`,
  `CREATE TEMP TABLE rollup_touched ON COMMIT DROP AS
   SELECT DISTINCT site, visitor FROM rollup_batch
   WHERE step IS NOT NULL OR name = 'session_started' OR experiment IS NOT NULL OR goal IS NOT NULL`,
  `ANALYZE rollup_touched`,
  `CREATE TEMP TABLE rollup_delta (
     sign integer NOT NULL, kind smallint NOT NULL, site text NOT NULL, experiment text, variant text, goal text,
     hour bigint, channel text, segment text, depth smallint
   ) ON COMMIT DROP`,
  contributions(-1),
  // The two earliest distinct session starts, the channel of the earliest, the first time of each step.
  `INSERT INTO insight_visitors AS o (site, visitor, session1, session2, channel, channel_ts, step0, step1, step2, step3)
   SELECT site, visitor,
          min(ts) FILTER (WHERE name = 'session_started'),
          (array_agg(DISTINCT ts) FILTER (WHERE name = 'session_started'))[2],
          coalesce((array_agg(channel ORDER BY ts, event_id) FILTER (WHERE name = 'session_started'))[1], 'direct'),
          min(ts) FILTER (WHERE name = 'session_started'),
          min(ts) FILTER (WHERE step = 0), min(ts) FILTER (WHERE step = 1),
          min(ts) FILTER (WHERE step = 2), min(ts) FILTER (WHERE step = 3)
   FROM rollup_batch WHERE step IS NOT NULL OR name = 'session_started'
   GROUP BY site, visitor
   ON CONFLICT (site, visitor) DO UPDATE SET
     session1 = least(o.session1, excluded.session1),
     session2 = (SELECT min(x) FROM unnest(ARRAY[o.session1, o.session2, excluded.session1, excluded.session2]) AS x
                 WHERE x > least(o.session1, excluded.session1)),
     channel = CASE WHEN coalesce(excluded.channel_ts, ${NEVER}) < coalesce(o.channel_ts, ${NEVER}) THEN excluded.channel ELSE o.channel END,
     channel_ts = least(o.channel_ts, excluded.channel_ts),
     step0 = least(o.step0, excluded.step0), step1 = least(o.step1, excluded.step1),
     step2 = least(o.step2, excluded.step2), step3 = least(o.step3, excluded.step3)`,
  `INSERT INTO insight_members AS o (site, experiment, visitor, variant, first_ts, first_id)
   SELECT DISTINCT ON (site, experiment, visitor) site, experiment, visitor, variant, ts, event_id
   FROM rollup_batch WHERE experiment IS NOT NULL
   ORDER BY site, experiment, visitor, ts, event_id
   ON CONFLICT (site, experiment, visitor) DO UPDATE SET variant = excluded.variant, first_ts = excluded.first_ts, first_id = excluded.first_id
   WHERE (excluded.first_ts, excluded.first_id) < (o.first_ts, o.first_id)`,
  `INSERT INTO insight_goals AS o (site, visitor, goal, last_ts)
   SELECT site, visitor, goal, max(ts) FROM rollup_batch WHERE goal IS NOT NULL GROUP BY 1, 2, 3
   ON CONFLICT (site, visitor, goal) DO UPDATE SET last_ts = greatest(o.last_ts, excluded.last_ts)`,
  contributions(1),
  `INSERT INTO insight_funnel AS o (site, hour, channel, segment, depth, visitors)
   SELECT site, hour, channel, segment, depth, sum(sign) FROM rollup_delta WHERE kind = 1
   GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0
   ON CONFLICT (site, hour, channel, segment, depth) DO UPDATE SET visitors = o.visitors + excluded.visitors`,
  `INSERT INTO insight_funnel_variants AS o (site, experiment, variant, hour, depth, visitors)
   SELECT site, experiment, variant, hour, depth, sum(sign) FROM rollup_delta WHERE kind = 2
   GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0
   ON CONFLICT (site, experiment, variant, hour, depth) DO UPDATE SET visitors = o.visitors + excluded.visitors`,
  `INSERT INTO insight_arms AS o (site, experiment, variant, exposures)
   SELECT site, experiment, variant, sum(sign) FROM rollup_delta WHERE kind = 3
   GROUP BY 1, 2, 3 HAVING sum(sign) <> 0
   ON CONFLICT (site, experiment, variant) DO UPDATE SET exposures = o.exposures + excluded.exposures`,
  `INSERT INTO insight_arm_goals AS o (site, experiment, variant, goal, conversions)
   SELECT site, experiment, variant, goal, sum(sign) FROM rollup_delta WHERE kind = 4
   GROUP BY 1, 2, 3, 4 HAVING sum(sign) <> 0
   ON CONFLICT (site, experiment, variant, goal) DO UPDATE SET conversions = o.conversions + excluded.conversions`,
]

/** What one {@link rollUp} did. */
export interface RollupStep {
  /** Queued events taken (those erased meanwhile included). */
  taken: number
  /** False when another roller held the lock and `wait` was false: nothing was done. */
  ran: boolean
}

/**
 * Rolls up about `limit` queued events (whole queue rows), in one transaction: takes them off
 * `rollup_queue` (`DELETE … RETURNING`, so an event is rolled up once: a failure rolls the queue
 * back with everything else), adds them to the hourly counts, and updates the per-visitor state and the
 * per-visitor rollups by the difference each touched visitor makes. An advisory lock lets one
 * roller work at a time across server instances; with `wait: false` a busy lock returns at once.
 * Duplicate events never reach the queue (see insertEventBatches), and an event that commits
 * after a rollup ran is still queued for the next one.
 */
export const rollUp = async (db: Db, options: { limit?: number; wait?: boolean } = {}): Promise<RollupStep> =>
  db.transaction(async (tx) => {
    if (options.wait === false) {
      const [row] = await tx.query<{ ok: boolean }>(`SELECT pg_try_advisory_xact_lock(${LOCK}) AS ok`)
      if (!row?.ok) return { taken: 0, ran: false }
    } else await tx.query(`SELECT pg_advisory_xact_lock(${LOCK})`)
    const taken = await takeBatch(tx, options.limit ?? ROLLUP_BATCH)
    if (taken > 0) for (const statement of STEPS) await tx.query(statement)
    return { taken, ran: true }
  })

/** Moves about `limit` queued events into the temporary `rollup_batch`, with the fields rollups read. */
const takeBatch = async (tx: Queryable, limit: number): Promise<number> => {
  await tx.query(`CREATE TEMP TABLE rollup_batch (
    site text NOT NULL, event_id uuid NOT NULL, visitor uuid NOT NULL, name text NOT NULL, ts bigint NOT NULL,
    step smallint, experiment text, variant text, goal text, channel text
  ) ON COMMIT DROP`)
  // Client-sent strings are cut to 200 characters: they become keys of rollups.
  const [row] = await tx.query<{ taken: number }>(
    `WITH picked AS (
       -- Whole rows, oldest first, until they hold $1 events (at least one row).
       SELECT ctid FROM (
         SELECT ctid, sum(cardinality(event_ids)) OVER (ORDER BY ctid ROWS UNBOUNDED PRECEDING) - cardinality(event_ids) AS before
         FROM rollup_queue
       ) AS q WHERE before < $1
     ), taken AS (
       DELETE FROM rollup_queue WHERE ctid IN (SELECT ctid FROM picked)
       RETURNING site, event_ids
     ), ids AS (
       SELECT site, unnest(event_ids) AS event_id FROM taken
     ), kept AS (
       INSERT INTO rollup_batch
       SELECT e.site, e.event_id, e.visitor, e.name, e.ts,
              array_position(ARRAY[${STEP_LIST}], e.name) - 1,
              CASE WHEN e.name = 'exposure' AND jsonb_typeof(e.props->'experiment') = 'string' THEN nullif(left(e.props->>'experiment', 200), '') END,
              CASE WHEN jsonb_typeof(e.props->'variant') = 'string' THEN left(e.props->>'variant', 200) ELSE 'default' END,
              CASE WHEN e.name = 'conversion' AND jsonb_typeof(e.props->'goal') = 'string' THEN nullif(left(e.props->>'goal', 200), '') END,
              CASE WHEN e.name = 'session_started' THEN left(coalesce(
                nullif(e.props->>'utm_source', ''),
                nullif(e.props->>'referrer_host', ''),
                nullif(substring(e.props->>'referrer' FROM '^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#]+)'), ''),
                'direct'), 200) END
       FROM ids JOIN events e ON e.site = ids.site AND e.event_id = ids.event_id
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM ids)::int AS taken, (SELECT count(*) FROM kept)::int AS kept`,
    [limit],
  )
  if (row?.taken) await tx.query('ANALYZE rollup_batch')
  return row?.taken ?? 0
}

/**
 * Rolls up until the queue is empty (as the last transaction saw it), waiting for the lock, or
 * until `keepGoing()` says to stop between two transactions. Returns how many events it took;
 * `NaN` when it stopped with events left.
 */
export const rollUpAll = async (db: Db, limit = ROLLUP_BATCH, keepGoing: () => boolean = () => true): Promise<number> => {
  let total = 0
  for (;;) {
    const { taken } = await rollUp(db, { limit, wait: true })
    total += taken
    if (taken < limit) return total
    if (!keepGoing()) return NaN
  }
}
