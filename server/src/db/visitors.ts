import type { Queryable } from './createDb'

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

export const getVisitor = async (q: Queryable, site: string, visitor: string): Promise<VisitorRow | undefined> =>
  (
    await q.query<VisitorRow>(
      `SELECT token_hash AS "tokenHash", token_exp::float8 AS "tokenExp", created_at::float8 AS "createdAt",
              confirmed_at::float8 AS "confirmedAt"
       FROM visitors WHERE site = $1 AND visitor = $2`,
      [site, visitor],
    )
  )[0]

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
