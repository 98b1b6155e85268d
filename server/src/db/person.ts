import type { Queryable } from './createDb'
import type { StoredEvent } from './events'

// Every query here is about one person: a set of visitor ids of one site, passed as a JSON array.
const THESE = 'IN (SELECT value::uuid FROM jsonb_array_elements_text($2::jsonb))'

const EVENT_COLUMNS = `event_id AS id, visitor, name, props, ts::float8 AS ts, session, received_at::float8 AS received`

/** The visitors identified as this user, first linked first. */
export const visitorsOfUser = async (q: Queryable, site: string, userId: string): Promise<string[]> =>
  (
    await q.query<{ visitor: string }>('SELECT visitor FROM identities WHERE site = $1 AND user_id = $2 ORDER BY linked_at, visitor', [site, userId])
  ).map((r) => r.visitor)

/** What the server keeps about each of these visitors besides their data (never the token hash). */
export const visitorRowsOf = async (
  q: Queryable,
  site: string,
  visitors: readonly string[],
): Promise<{ visitor: string; createdAt: number; confirmedAt: number | null }[]> =>
  q.query(
    `SELECT visitor, created_at::float8 AS "createdAt", confirmed_at::float8 AS "confirmedAt" FROM visitors
     WHERE site = $1 AND visitor ${THESE} ORDER BY created_at, visitor`,
    [site, JSON.stringify(visitors)],
  )

/** The identity links of these visitors. */
export const identitiesOf = async (q: Queryable, site: string, visitors: readonly string[]): Promise<{ visitor: string; userId: string; linkedAt: number }[]> =>
  q.query(
    `SELECT visitor, user_id AS "userId", linked_at::float8 AS "linkedAt" FROM identities
     WHERE site = $1 AND visitor ${THESE} ORDER BY linked_at, visitor`,
    [site, JSON.stringify(visitors)],
  )

/** The profile entries of these visitors as stored, with the consent proof each was written with. */
export const entryRowsOf = async (
  q: Queryable,
  site: string,
  visitors: readonly string[],
): Promise<{ visitor: string; device: string; v: number; entry: unknown; updatedAt: number; consent: unknown }[]> =>
  q.query(
    `SELECT visitor, device, v::float8 AS v, entry, updated_at::float8 AS "updatedAt", consent FROM profile_entries
     WHERE site = $1 AND visitor ${THESE} ORDER BY visitor, device`,
    [site, JSON.stringify(visitors)],
  )

/** One page of these visitors' events in event id order (UUIDv7: creation order), after `afterId`. */
export const personEventsPage = async (q: Queryable, site: string, visitors: readonly string[], afterId: string | null, limit: number): Promise<StoredEvent[]> =>
  q.query<StoredEvent>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE site = $1 AND visitor ${THESE} AND ($3::uuid IS NULL OR event_id > $3::uuid)
     ORDER BY event_id LIMIT $4`,
    [site, JSON.stringify(visitors), afterId, limit],
  )

/** These visitors' latest events with one of these names, newest first. */
export const latestEvents = async (q: Queryable, site: string, visitors: readonly string[], names: readonly string[], limit: number): Promise<StoredEvent[]> =>
  q.query<StoredEvent>(
    `SELECT ${EVENT_COLUMNS} FROM events WHERE site = $1 AND visitor ${THESE} AND name = ANY($3::text[])
     ORDER BY ts DESC, event_id DESC LIMIT $4`,
    [site, JSON.stringify(visitors), names, limit],
  )

/** When any of these visitors was last seen: its latest event's time, epoch ms, or null. */
export const lastSeenOf = async (q: Queryable, site: string, visitors: readonly string[]): Promise<number | null> =>
  (await q.query<{ at: number | null }>(`SELECT max(ts)::float8 AS at FROM events WHERE site = $1 AND visitor ${THESE}`, [site, JSON.stringify(visitors)]))[0]?.at ?? null
