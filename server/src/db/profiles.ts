import { forgetVisitors } from './visitors'
import type { Queryable } from './createDb'

/** The visitor and every visitor identified as the same user of the site. */
export const linkedVisitors = async (q: Queryable, site: string, visitor: string): Promise<string[]> =>
  (
    await q.query<{ visitor: string }>(
      `SELECT $2::uuid AS visitor
       UNION
       SELECT i.visitor FROM identities i
       JOIN identities me ON me.site = i.site AND me.user_id = i.user_id
       WHERE me.site = $1 AND me.visitor = $2`,
      [site, visitor],
    )
  ).map((r) => r.visitor)

/** The stored device entries of these visitors, as stored (validate before use). */
export const entriesOf = async (q: Queryable, site: string, visitors: readonly string[]): Promise<{ visitor: string; device: string; entry: unknown }[]> =>
  q.query<{ visitor: string; device: string; entry: unknown }>(
    `SELECT visitor, device, entry FROM profile_entries
     WHERE site = $1 AND visitor IN (SELECT value::uuid FROM jsonb_array_elements_text($2::jsonb))
     ORDER BY visitor, device`,
    [site, JSON.stringify(visitors)],
  )

/**
 * Stores the device entry when its version is higher than the stored one, atomically (two
 * racing writes cannot both win), with the consent proof it came with. Returns the stored
 * version when it is not, and `gone` when the visitor no longer exists (erased since its token
 * was checked): then nothing is stored. The visitor is held FOR KEY SHARE until the commit, as
 * collect's insert does (see insertEventBatches in db/events.ts).
 */
export const putEntry = async (
  q: Queryable,
  site: string,
  visitor: string,
  device: string,
  entry: { v: number },
  now: number,
  consent?: object,
): Promise<{ stored: true } | { stored: false; storedV: number } | { stored: false; gone: true }> => {
  const [written] = await q.query<{ alive: boolean; written: boolean }>(
    `WITH alive AS MATERIALIZED (
       SELECT 1 FROM visitors WHERE site = $1 AND visitor = $2 FOR KEY SHARE
     ), written AS (
       INSERT INTO profile_entries (site, visitor, device, v, entry, updated_at, consent)
       SELECT $1::text, $2::uuid, $3::text, $4::bigint, $5::jsonb, $6::bigint, $7::jsonb FROM alive
       ON CONFLICT (site, visitor, device) DO UPDATE SET v = excluded.v, entry = excluded.entry, updated_at = excluded.updated_at, consent = excluded.consent
       WHERE profile_entries.v < excluded.v
       RETURNING v
     )
     SELECT EXISTS (SELECT 1 FROM alive) AS alive, EXISTS (SELECT 1 FROM written) AS written`,
    [site, visitor, device, entry.v, JSON.stringify(entry), now, consent ? JSON.stringify(consent) : null],
  )
  if (!written?.alive) return { stored: false, gone: true }
  if (written.written) return { stored: true }
  const [row] = await q.query<{ v: number }>('SELECT v::float8 AS v FROM profile_entries WHERE site = $1 AND visitor = $2 AND device = $3', [
    site,
    visitor,
    device,
  ])
  return { stored: false, storedV: row?.v ?? 0 }
}

/** The user the visitor is identified as, if any. */
export const userOf = async (q: Queryable, site: string, visitor: string): Promise<string | undefined> =>
  (await q.query<{ userId: string }>('SELECT user_id AS "userId" FROM identities WHERE site = $1 AND visitor = $2', [site, visitor]))[0]?.userId

/**
 * Links the visitor to the user; a later identify as someone else moves the link. False, and
 * nothing linked, when the visitor no longer exists (held FOR KEY SHARE otherwise, as putEntry does).
 */
export const link = async (q: Queryable, site: string, visitor: string, userId: string, now: number): Promise<boolean> => {
  const linked = await q.query(
    `INSERT INTO identities (site, visitor, user_id, linked_at)
     SELECT site, visitor, $3::text, $4::bigint FROM visitors WHERE site = $1 AND visitor = $2 FOR KEY SHARE
     ON CONFLICT (site, visitor) DO UPDATE SET user_id = excluded.user_id, linked_at = excluded.linked_at
     RETURNING visitor`,
    [site, visitor, userId, now],
  )
  return linked.length === 1
}

/**
 * Erases these visitors entirely: events, profile entries, identity links, the visitors
 * themselves, their insight state, and every link of the users they were identified as — by
 * visitor id, so also what is left of a visitor whose row is gone. Run it in a transaction.
 */
export const erase = async (q: Queryable, site: string, visitors: readonly string[]): Promise<void> => {
  const list = JSON.stringify(visitors)
  const these = 'IN (SELECT value::uuid FROM jsonb_array_elements_text($2::jsonb))'
  // First, in (site, visitor) order: a write for them under way holds them FOR KEY SHARE, so this
  // waits until it commits, and the deletes below (each reads what has committed before it, at
  // READ COMMITTED) take what it wrote; a write that comes later waits for this transaction and
  // then finds its visitor gone.
  await q.query(`SELECT 1 FROM visitors WHERE site = $1 AND visitor ${these} ORDER BY visitor FOR UPDATE`, [site, list])
  await q.query(
    `DELETE FROM identities WHERE site = $1 AND user_id IN (SELECT user_id FROM identities WHERE site = $1 AND visitor ${these})`,
    [site, list],
  )
  // insight_*: the per-visitor state of the insight rollups (their hourly and per-arm sums are anonymous and stay).
  for (const table of ['identities', 'events', 'profile_entries', 'visitors', 'insight_visitors', 'insight_members', 'insight_goals']) {
    await q.query(`DELETE FROM ${table} WHERE site = $1 AND visitor ${these}`, [site, list])
  }
  forgetVisitors(site, visitors)
}
