import type { Queryable } from './createDb'

/** A site as stored: its public config, its browser origins and its identify secret. */
export interface SiteRow {
  site: string
  /** The public config served at `GET /v1/sites/:site/config`. */
  config: Record<string, unknown>
  /** Origins allowed to call the site's endpoints from a browser, e.g. `https://shop.example`. */
  origins: string[]
  /** Key of the site-signed `HMAC(userId)` that `identify` checks; null disables identify. */
  identifySecret: string | null
}

const COLUMNS = 'site, config, origins, identify_secret AS "identifySecret"'

export const getSite = async (q: Queryable, site: string): Promise<SiteRow | undefined> =>
  (await q.query<SiteRow>(`SELECT ${COLUMNS} FROM sites WHERE site = $1`, [site]))[0]

/** Every site's origins (the preflight of a request that names no site, and early errors). */
export const allOrigins = async (q: Queryable): Promise<string[]> =>
  (await q.query<{ origin: string }>('SELECT DISTINCT jsonb_array_elements_text(origins) AS origin FROM sites')).map((r) => r.origin)

/** Creates the site or changes the fields given; fields left undefined keep their stored value. */
export const upsertSite = async (
  q: Queryable,
  site: string,
  fields: { config?: Record<string, unknown>; origins?: string[]; identifySecret?: string },
  now: number,
): Promise<SiteRow> => {
  const rows = await q.query<SiteRow>(
    `INSERT INTO sites (site, config, origins, identify_secret, updated_at)
     VALUES ($1, coalesce($2::jsonb, '{}'), coalesce($3::jsonb, '[]'), $4, $5)
     ON CONFLICT (site) DO UPDATE SET
       config = coalesce($2::jsonb, sites.config),
       origins = coalesce($3::jsonb, sites.origins),
       identify_secret = coalesce($4, sites.identify_secret),
       updated_at = $5
     RETURNING ${COLUMNS}`,
    [
      site,
      fields.config === undefined ? null : JSON.stringify(fields.config),
      fields.origins === undefined ? null : JSON.stringify(fields.origins),
      fields.identifySecret ?? null,
      now,
    ],
  )
  return rows[0] as SiteRow
}

/** Sets the config of a site whose config is still empty (the initial config of `ATTUNE_SITES`). */
export const seedConfig = async (q: Queryable, site: string, config: Record<string, unknown>): Promise<void> => {
  await q.query(`UPDATE sites SET config = $2::jsonb WHERE site = $1 AND config = '{}'::jsonb`, [site, JSON.stringify(config)])
}
