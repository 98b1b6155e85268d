import type { Db } from '../db/createDb'
import type { SiteRow } from '../db/sites'
import { allOrigins, getSite } from '../db/sites'

/** How long a site read from the database is reused. Admin writes on this instance clear it at once. */
const TTL_MS = 2000

/**
 * Sites (origins, secret, config) cached for a moment: every request needs its site, and sites
 * change rarely. Caches promises, so a burst of requests reads the database once.
 */
export const createSiteCache = (db: Db, now: () => number) => {
  let sites = new Map<string, { at: number; row: Promise<SiteRow | undefined> }>()
  let origins: { at: number; set: Promise<Set<string>> } | undefined

  const get = (site: string): Promise<SiteRow | undefined> => {
    const hit = sites.get(site)
    if (hit && now() - hit.at < TTL_MS) return hit.row
    if (sites.size > 10_000) sites = new Map()
    const row = getSite(db, site)
    row.catch(() => sites.delete(site))
    sites.set(site, { at: now(), row })
    return row
  }

  /** Is this origin allowed for at least one site? (Preflights that name no site; early errors.) */
  const anyAllows = async (origin: string): Promise<boolean> => {
    if (!origins || now() - origins.at >= TTL_MS) {
      const set = allOrigins(db).then((list) => new Set(list))
      set.catch(() => (origins = undefined))
      origins = { at: now(), set }
    }
    return (await origins.set).has(origin)
  }

  const invalidate = (): void => {
    sites = new Map()
    origins = undefined
  }

  return { get, anyAllows, invalidate }
}

export type SiteCache = ReturnType<typeof createSiteCache>
