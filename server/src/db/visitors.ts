import type { Db, Queryable } from './createDb'
import { createCoalescer } from './coalesce'

/** What the server keeps about a visitor besides its data: its one token, by hash. */
export interface VisitorRow {
  /** sha256 (hex) of the token minted on first contact. */
  tokenHash: string
  /** The token's expiry, epoch seconds (part of the token, so it can be re-derived). */
  tokenExp: number
  /** First contact, epoch ms. */
  createdAt: number
  /** First request that presented the token, epoch ms; null until then. */
  confirmedAt: number | null
}

const VISITOR_COLUMNS = `token_hash AS "tokenHash", token_exp::float8 AS "tokenExp", created_at::float8 AS "createdAt", confirmed_at::float8 AS "confirmedAt"`

/** Several visitors at once, in the order asked (undefined for those unknown). */
export const getVisitors = async (q: Queryable, keys: readonly { site: string; visitor: string }[]): Promise<(VisitorRow | undefined)[]> => {
  const rows = await q.query<VisitorRow & { i: number }>(
    `SELECT k.i::int AS i, ${VISITOR_COLUMNS}
     FROM unnest($1::text[], $2::uuid[]) WITH ORDINALITY AS k(site, visitor, i)
     JOIN visitors USING (site, visitor)`,
    [keys.map((k) => k.site), keys.map((k) => k.visitor)],
  )
  const found: (VisitorRow | undefined)[] = keys.map(() => undefined)
  for (const { i, ...row } of rows) found[i - 1] = row
  return found
}

/** Lookups of one database, coalesced: see {@link getVisitor}. */
const lookups = new WeakMap<Queryable, (key: { site: string; visitor: string }) => Promise<VisitorRow | undefined>>()

/** Visitors read from an embedded database, by `site|visitor` (see {@link getVisitor}). */
const known = new Map<string, { db: Db; row: VisitorRow }>()

/** Most visitors {@link known} holds; the oldest read goes first. ~200 B each. */
const KNOWN_MAX = 50_000

/**
 * Drops what {@link known} holds for these visitors. Called once a statement that changes
 * them has run (not before: a read already under way could otherwise put the old row back).
 */
export const forgetVisitors = (site: string, visitors: readonly string[]): void => {
  for (const visitor of visitors) known.delete(`${site}|${visitor}`)
}

/**
 * The visitor, or undefined when unknown. Given the database itself (not a transaction),
 * lookups made while one is running go together in the next one: every request needs its
 * visitor, and under load one statement then serves many.
 *
 * On PGlite the rows read are also kept: an embedded database has this process as its only
 * user, and every change to a visitor here forgets it ({@link forgetVisitors}), so a kept row is
 * the row. That spares the one thread PGlite and the requests share a statement per request.
 * A PostgreSQL database may have other servers writing to it: there, every lookup reads.
 */
export const getVisitor = async (q: Queryable | Db, site: string, visitor: string): Promise<VisitorRow | undefined> => {
  if (!('transaction' in q)) return (await q.query<VisitorRow>(`SELECT ${VISITOR_COLUMNS} FROM visitors WHERE site = $1 AND visitor = $2`, [site, visitor]))[0]
  const key = `${site}|${visitor}`
  const kept = q.kind === 'pglite' ? known.get(key) : undefined
  if (kept?.db === q) return kept.row
  let lookup = lookups.get(q)
  if (!lookup) {
    lookup = createCoalescer((keys: readonly { site: string; visitor: string }[]) => getVisitors(q, keys), { concurrency: 1, maxWeight: 500 })
    lookups.set(q, lookup)
  }
  const row = await lookup({ site, visitor })
  if (row && q.kind === 'pglite') {
    if (known.size >= KNOWN_MAX) known.delete(known.keys().next().value as string)
    known.set(key, { db: q, row })
  }
  return row
}

/** Creates the visitor unless another request just did; true when this call created it. */
export const insertVisitor = async (q: Queryable, site: string, visitor: string, tokenHash: string, tokenExp: number, now: number): Promise<boolean> => {
  const rows = await q.query(
    `INSERT INTO visitors (site, visitor, token_hash, token_exp, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (site, visitor) DO NOTHING RETURNING visitor`,
    [site, visitor, tokenHash, tokenExp, now],
  )
  forgetVisitors(site, [visitor])
  return rows.length === 1
}

export const confirmVisitor = async (q: Queryable, site: string, visitor: string, now: number): Promise<void> => {
  await q.query('UPDATE visitors SET confirmed_at = $3 WHERE site = $1 AND visitor = $2 AND confirmed_at IS NULL', [site, visitor, now])
  forgetVisitors(site, [visitor])
}

/** The visitor of the site whose token has this hash, if any. */
export const visitorByTokenHash = async (q: Queryable, site: string, tokenHash: string): Promise<string | undefined> =>
  (await q.query<{ visitor: string }>('SELECT visitor FROM visitors WHERE site = $1 AND token_hash = $2 LIMIT 1', [site, tokenHash]))[0]?.visitor
