import type { Queryable } from './createDb'

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

/**
 * Stores the events that are new and returns how many were. Idempotent on `(site, event_id)`:
 * a retried or doubled event is left alone (also within one batch). One statement with one
 * JSON parameter, whatever the batch size.
 */
export const insertEvents = async (q: Queryable, site: string, visitor: string, events: readonly EventRecord[], now: number): Promise<number> => {
  if (events.length === 0) return 0
  const rows = await q.query(
    `INSERT INTO events (site, event_id, visitor, name, props, ts, session, received_at)
     SELECT $1, e.id, $2, e.name, e.props, e.ts, e.session, $3
     FROM jsonb_to_recordset($4::jsonb) AS e(id uuid, name text, props jsonb, ts bigint, session text)
     ON CONFLICT (site, event_id) DO NOTHING
     RETURNING event_id`,
    [site, visitor, now, JSON.stringify(events)],
  )
  return rows.length
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
