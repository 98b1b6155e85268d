import type { Queryable } from './createDb'

/**
 * Revokes the preview token `id` of `site` until `exp` (epoch seconds: no token minted before
 * now lives longer), and drops the revocations of the site that have outlived their tokens.
 */
export const revokePreviewToken = async (q: Queryable, site: string, id: string, exp: number, now: number): Promise<void> => {
  await q.query('DELETE FROM preview_revocations WHERE site = $1 AND exp < $2', [site, Math.floor(now / 1000)])
  await q.query(
    `INSERT INTO preview_revocations (site, token_id, exp, revoked_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (site, token_id) DO NOTHING`,
    [site, id, exp, now],
  )
}

export const isPreviewTokenRevoked = async (q: Queryable, site: string, id: string): Promise<boolean> =>
  (await q.query('SELECT 1 FROM preview_revocations WHERE site = $1 AND token_id = $2', [site, id])).length > 0
