import type { Context } from 'hono'
import type { AppEnv, Deps } from '../types'
import type { SiteRow } from '../db/sites'
import { clientIp } from './clientIp'
import { originAllowed } from './cors'
import { fail } from './fail'

const limited = (c: Context<AppEnv>, deps: Deps, seconds: number, reason: string): Response => {
  c.header('Retry-After', String(seconds))
  return fail(c, deps.metrics, 429, 'rate_limited', reason)
}

/**
 * What every site-scoped endpoint checks once its input is valid, in this order: the site
 * exists (404), the Origin is allowed for it (403), the rate limits per client IP + site and
 * per visitor (429). Returns the site, or the error answer.
 */
export const gate = async (c: Context<AppEnv>, deps: Deps, siteId: string, visitor?: string): Promise<SiteRow | Response> => {
  const site = await deps.sites.get(siteId)
  if (!site) return fail(c, deps.metrics, 404, 'not_found', 'unknown_site')
  if (!originAllowed(c, site.origins)) return fail(c, deps.metrics, 403, 'forbidden_origin')
  const ipWait = deps.limiters.ip?.(`${clientIp(c, deps.trustProxy)}|${siteId}`) ?? 0
  if (ipWait) return limited(c, deps, ipWait, 'ip')
  const visitorWait = visitor ? (deps.limiters.visitor?.(`${siteId}|${visitor}`) ?? 0) : 0
  if (visitorWait) return limited(c, deps, visitorWait, 'visitor')
  return site
}
