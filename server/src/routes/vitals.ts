import * as v from 'valibot'
import { Hono } from 'hono'
import type { AppEnv, Deps } from '../types'
import { getSite } from '../db/sites'
import { vitalsBySlot } from '../db/vitals'
import { fail } from '../lib/fail'
import { SiteId, parse } from './fields'

/** The path parameters of `GET /v1/admin/sites/:site/vitals`. */
export const VitalsParams = v.strictObject({ site: SiteId })

/** Its query: `since`, epoch ms (default: 28 days ago, the window of Chrome's field data). */
export const VitalsQuery = v.strictObject({
  since: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^(0|[1-9]\d{0,15})$/, 'a time in epoch milliseconds, e.g. 1732550400000'),
      v.transform(Number),
      v.safeInteger('a time in epoch milliseconds, e.g. 1732550400000'),
    ),
  ),
})

const WINDOW_MS = 28 * 24 * 60 * 60 * 1000

/**
 * `GET /v1/admin/sites/:site/vitals?since=<epoch ms>`: p75 of LCP, CLS and INP per slot variant,
 * from the `web_vital` events of `attune/vitals`, so a retailer sees when a variant hurts
 * performance. → `{ site, since, slots: [{ slot, variant, metric, p75, count }] }`, `variant`
 * `null` for default content. Admin only: behind `adminGuard`, which createServer
 * mounts in front of `/v1/admin/*`.
 */
export const vitalsRoute = (deps: Deps) =>
  new Hono<AppEnv>().get('/v1/admin/sites/:site/vitals', async (c) => {
    const params = parse(c, deps, VitalsParams, c.req.param())
    if ('response' in params) return params.response
    const query = parse(c, deps, VitalsQuery, c.req.query())
    if ('response' in query) return query.response
    const { site } = params.value
    const since = query.value.since ?? deps.now() - WINDOW_MS
    if (!(await getSite(deps.db, site))) return fail(c, deps.metrics, 404, 'not_found', 'unknown_site')
    return c.json({ site, since, slots: await vitalsBySlot(deps.db, site, since) })
  })
