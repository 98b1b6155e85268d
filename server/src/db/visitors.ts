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

/**
 * The visitor, or undefined when unknown. Given the database itself (not a transaction),
 * lookups made while one is running go together in the next one: every request needs its
 * visitor, and under load one statement then serves many.
 */
export const getVisitor = async (q: Queryable | Db, site: string, visitor: string): Promise<VisitorRow | undefined> => {
  if (!('transaction' in q)) return (await q.query<VisitorRow>(`SELECT ${VISITOR_COLUMNS} FROM visitors WHERE site = $1 AND visitor = $2`, [site, visitor]))[0]
  let lookup = lookups.get(q)
  if (!lookup) {
    lookup = createCoalescer((keys: readonly { site: string; visitor: string }[]) => getVisitors(q, keys), { concurrency: 1, maxWeight: 500 })
    lookups.set(q, lookup)
  }
  return lookup({ site, visitor })
}

/** Creates the visitor unless another request just did; true when this call created it. */
export const insertVisitor = async (q: Queryable, site: string, visitor: string, tokenHash: string, tokenExp: number, now: number): Promise<boolean> =>
  (
    await q.query(
      `INSERT INTO visitors (site, visitor, token_hash, token_exp, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (site, visitor) DO NOTHING RETURNING visitor`,
      [site, visitor, tokenHash, tokenExp, now],
    )
  ).length === 1

export const confirmVisitor = async (q: Queryable, site: string, visitor: string, now: number): Promise<void> => {
  await q.query('UPDATE visitors SET confirmed_at = $3 WHERE site = $1 AND visitor = $2 AND confirmed_at IS NULL', [site, visitor, now])
}

/** The visitor of the site whose token has this hash, if any. */
export const visitorByTokenHash = async (q: Queryable, site: string, tokenHash: string): Promise<string | undefined> =>
  (await q.query<{ visitor: string }>('SELECT visitor FROM visitors WHERE site = $1 AND token_hash = $2 LIMIT 1', [site, tokenHash]))[0]?.visitor
