import type { Db, Queryable } from './createDb'
import { createCoalescer } from './coalesce'

/** An event as stored; `ts` already checked and made an integer. */
export interface EventRecord {
  id: string
  name: string
  props: Record<string, unknown>
  ts: number
  session?: string
}

/** An event as read back, with its visitor and when the server received it (epoch ms). */
export interface StoredEvent extends EventRecord {
  visitor: string
  received: number
}

/** One request's events, as {@link insertEvents} takes them. */
export interface EventBatch {
  site: string
  visitor: string
  events: readonly EventRecord[]
  /** When the server received them, epoch ms. */
  now: number
}

/** Options of {@link insertEventBatches}. */
export interface InsertOptions {
  /**
   * Store only the events of visitors that still exist (a row in `visitors`), checked in the
   * statement itself. Collect always asks for it (see {@link insertEvents}); tests and benchmarks
   * that seed events of made-up visitors do not.
   */
  knownVisitorsOnly?: boolean
  /**
   * With `knownVisitorsOnly`, hold those visitors until the commit (FOR KEY SHARE), so an erasure
   * running at the same time waits for these events and deletes them too. Needed on PostgreSQL;
   * PGlite runs one statement or transaction at a time, so no erasure can run meanwhile, and the
   * lock would only cost each statement its tuple writes.
   */
  lock?: boolean
}

/**
 * Stores the events of several requests in one statement and returns, per request, how many
 * were new, or null when `knownVisitorsOnly` and its visitor is gone (nothing of it stored).
 * Idempotent on `(site, event_id)`: an event already stored, or already in an earlier request
 * of the same call, counts for no one (a retried or doubled event is left alone).
 * Rows go in event id order, so two statements storing the same ids in parallel take their
 * locks in the same order and cannot deadlock.
 */
export const insertEventBatches = async (q: Queryable, batches: readonly EventBatch[], options: InsertOptions = {}): Promise<(number | null)[]> => {
  const seen = new Set<string>()
  const rows: (EventRecord & { b: number; site: string; visitor: string; received: number })[] = []
  batches.forEach(({ site, visitor, events, now }, b) => {
    for (const event of events) {
      const key = `${site}|${event.id}`
      if (seen.has(key)) continue
      seen.add(key)
      // Spelled out rather than spread: JSON.stringify is several times slower on spread copies.
      rows.push({ b, site, id: event.id, visitor, name: event.name, props: event.props, ts: event.ts, session: event.session, received: now })
    }
  })
  const counts: (number | null)[] = batches.map(() => 0)
  if (rows.length === 0 && !options.knownVisitorsOnly) return counts
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  // The ids of the events that are new go on the rollup queue in the same statement (one row per
  // site), so they are queued exactly when they commit, and a duplicate is never queued (see
  // db/rollup.ts). It costs a few % of the statement (bench: ~5 % for 2,000 events on PostgreSQL).
  // The answer is one row per request (`b`, its index in `keys`) with its count, not every stored
  // id: reading thousands of result rows back cost the server more than the join that counts them.
  //
  // `alive`: an erasure may commit between the request's token check and this statement, and
  // events stored after it would belong to no one, beyond any later erasure. So the events go in
  // only for the visitors found here, and a request whose visitor is not found gets no row (null).
  // FOR KEY SHARE holds those visitors until the commit: an erasure, which locks them first
  // (erase in db/profiles.ts), then waits for these events and deletes them too. Both lock in
  // (site, visitor) order, so neither can deadlock the other. It is one lock per visitor of the
  // statement, not per event, and does not block the token's first use (an update of another column).
  const stored = await q.query<{ b: number; n: number }>(
    `WITH input AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb)
         AS e(b integer, site text, id uuid, visitor uuid, name text, props jsonb, ts bigint, session text, received bigint)
     ), keys AS (
       SELECT k.b::integer - 1 AS b, k.site, k.visitor FROM unnest($2::text[], $3::uuid[]) WITH ORDINALITY AS k(site, visitor, b)
     ), alive AS MATERIALIZED (
       SELECT site, visitor FROM visitors WHERE $4::boolean AND (site, visitor) IN (SELECT site, visitor FROM keys)
       ORDER BY site, visitor ${options.lock === false ? '' : 'FOR KEY SHARE'}
     ), stored AS (
       INSERT INTO events (site, event_id, visitor, name, props, ts, session, received_at)
       SELECT site, id, visitor, name, props, ts, session, received FROM input
       WHERE NOT $4::boolean OR (site, visitor) IN (SELECT site, visitor FROM alive)
       ON CONFLICT (site, event_id) DO NOTHING
       RETURNING site, event_id
     ), queued AS (
       INSERT INTO rollup_queue (site, event_ids) SELECT site, array_agg(event_id) FROM stored GROUP BY site
     ), counted AS (
       SELECT i.b, count(*)::integer AS n FROM stored s JOIN input i ON i.site = s.site AND i.id = s.event_id GROUP BY i.b
     )
     SELECT k.b, coalesce(c.n, 0) AS n FROM keys k LEFT JOIN counted c USING (b)
     WHERE NOT $4::boolean OR (k.site, k.visitor) IN (SELECT site, visitor FROM alive)`,
    [jsonbParameter(rows), batches.map((b) => b.site), batches.map((b) => b.visitor), options.knownVisitorsOnly === true],
  )
  if (options.knownVisitorsOnly) counts.fill(null)
  for (const { b, n } of stored) counts[b] = n
  return counts
}

/**
 * A value as a jsonb parameter in PostgreSQL's binary format: a version byte (1), then the JSON
 * text in UTF-8. Both drivers pass a Buffer through untouched, where a string parameter of
 * megabytes would be measured and re-encoded in JavaScript (PGlite counts its UTF-8 length one
 * character at a time: a tenth of the server's time under ingest load).
 */
const jsonbParameter = (value: unknown): Buffer => {
  const text = JSON.stringify(value)
  const bytes = Buffer.allocUnsafe(1 + Buffer.byteLength(text))
  bytes[0] = 1
  bytes.write(text, 1)
  return bytes
}

/** Group commit of collect: see {@link insertEvents}. One writer per database, made on first use. */
const writers = new WeakMap<Queryable, (batch: EventBatch) => Promise<number | null>>()

/**
 * Events per statement at most (each at least what one request may send). Bigger statements
 * amortize more, which matters most when the server is overloaded; but PGlite runs a statement
 * on the event loop, and the longest one sets how long a request can wait behind it: 250
 * events (~250 KB of JSON, ~7 ms) kept p99 at 70 % of saturation under 50 ms where 500 did not,
 * for ~5 % less throughput (bench/server.bench.mjs).
 */
const MAX_EVENTS_PER_STATEMENT = { postgres: 2000, pglite: 250 }

/**
 * Stores the events that are new, if the visitor still exists, and returns how many were new,
 * or null when the visitor is gone (erased since its token was checked: nothing is stored; see
 * {@link insertEventBatches}). Given the database itself (not a transaction), concurrent calls
 * are coalesced: those made while earlier ones are being written go together in one statement
 * (group commit), and each resolves only once that statement has committed, so an acknowledged
 * event is stored.
 */
export const insertEvents = async (q: Queryable | Db, site: string, visitor: string, events: readonly EventRecord[], now: number): Promise<number | null> => {
  if (events.length === 0) return 0
  const batch = { site, visitor, events, now }
  if (!('transaction' in q)) return (await insertEventBatches(q, [batch], { knownVisitorsOnly: true }))[0] as number | null
  let write = writers.get(q)
  if (!write) {
    // PGlite runs one statement at a time anyway; PostgreSQL overlaps a batch's commit with
    // the next batch's insert.
    const concurrency = q.kind === 'pglite' ? 1 : 2
    const lock = q.kind === 'postgres'
    write = createCoalescer((batches: readonly EventBatch[]) => insertEventBatches(q, batches, { knownVisitorsOnly: true, lock }), {
      concurrency,
      maxWeight: MAX_EVENTS_PER_STATEMENT[q.kind],
      weight: (b) => b.events.length,
    })
    writers.set(q, write)
  }
  return write(batch)
}

export const hasEvents = async (q: Queryable, site: string, visitor: string): Promise<boolean> =>
  (await q.query('SELECT 1 FROM events WHERE site = $1 AND visitor = $2 LIMIT 1', [site, visitor])).length > 0

const EVENT_COLUMNS = `event_id AS id, visitor, name, props, ts::float8 AS ts, session, received_at::float8 AS received`

/** The visitor's latest events, newest first. */
export const recentEvents = async (q: Queryable, site: string, visitor: string, limit: number): Promise<StoredEvent[]> =>
  q.query<StoredEvent>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE site = $1 AND visitor = $2 ORDER BY ts DESC, event_id DESC LIMIT $3`,
    [site, visitor, limit],
  )

/** One page of the site's events in event id order (UUIDv7: creation order), after `afterId`. */
export const eventsPage = async (q: Queryable, site: string, afterId: string | null, limit: number): Promise<StoredEvent[]> =>
  q.query<StoredEvent>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE site = $1 AND ($2::uuid IS NULL OR event_id > $2::uuid)
     ORDER BY event_id LIMIT $3`,
    [site, afterId, limit],
  )
