import * as v from 'valibot'
import { Hono } from 'hono'
import type { AppEnv, Deps } from '../types'
import type { SiteRow } from '../db/sites'
import { eventsPage } from '../db/events'
import { getSite, upsertSite } from '../db/sites'
import { fail } from '../lib/fail'
import { checkConfig } from '../sdk'
import { readJson } from '../lib/readJson'
import { JsonObject, Origin, SiteId, bodyFailed, parse } from './fields'
import { etagOf } from './siteConfig'

/** The body of `PUT /v1/admin/sites/:site/config`. */
export const PutSiteBody = v.strictObject({
  config: JsonObject,
  origins: v.optional(v.pipe(v.array(Origin), v.maxLength(100))),
  identifySecret: v.optional(v.pipe(v.string(), v.minLength(16), v.maxLength(200))),
})

/** The path parameters of the admin routes. */
export const AdminSiteParams = v.strictObject({ site: SiteId })

const EXPORT_PAGE = 1000

const describe = (row: SiteRow) => ({
  site: row.site,
  config: row.config,
  origins: row.origins,
  hasIdentifySecret: row.identifySecret !== null,
  etag: etagOf(JSON.stringify(row.config)),
})

/**
 * `/v1/admin/*` with `Authorization: Bearer <ATTUNE_ADMIN_KEY>`: edit a site's config, origins
 * and identify secret; export its events as NDJSON. The person routes (call center, CRM) are in
 * `callCenter.ts`.
 */
export const adminRoute = (deps: Deps) =>
  new Hono<AppEnv>()
    .get('/v1/admin/sites/:site/config', async (c) => {
      const parsed = parse(c, deps, AdminSiteParams, c.req.param())
      if ('response' in parsed) return parsed.response
      const row = await getSite(deps.db, parsed.value.site)
      return row ? c.json(describe(row)) : fail(c, deps.metrics, 404, 'not_found', 'unknown_site')
    })
    .put('/v1/admin/sites/:site/config', async (c) => {
      const params = parse(c, deps, AdminSiteParams, c.req.param())
      if ('response' in params) return params.response
      const body = await readJson(c.req.raw, deps.limits.bodyBytes)
      if (!('json' in body)) return bodyFailed(c, deps, body)
      const parsed = parse(c, deps, PutSiteBody, body.json)
      if ('response' in parsed) return parsed.response
      if (Buffer.byteLength(JSON.stringify(parsed.value.config)) > deps.limits.documentBytes) {
        return fail(c, deps.metrics, 413, 'too_large', 'config_too_large', { message: `a config is at most ${deps.limits.documentBytes} bytes of JSON` })
      }
      // The SDK's own guard: a config the browser would refuse is refused here, with its reason.
      const checked = parsed.value.config && checkConfig(parsed.value.config)
      if (typeof checked == 'string') return fail(c, deps.metrics, 400, 'bad_request', 'invalid_config', { message: checked })
      const row = await upsertSite(deps.db, params.value.site, parsed.value, deps.now())
      deps.sites.invalidate()
      return c.json(describe(row))
    })
    .get('/v1/admin/sites/:site/export', async (c) => {
      const parsed = parse(c, deps, AdminSiteParams, c.req.param())
      if ('response' in parsed) return parsed.response
      const { site } = parsed.value
      if (!(await getSite(deps.db, site))) return fail(c, deps.metrics, 404, 'not_found', 'unknown_site')
      // Page by event id so memory stays flat whatever the size of the site, and stop when the
      // client goes away.
      let after: string | null = null
      const encoder = new TextEncoder()
      const stream = new ReadableStream<Uint8Array>({
        pull: async (controller) => {
          const page = await eventsPage(deps.db, site, after, EXPORT_PAGE)
          if (page.length) controller.enqueue(encoder.encode(page.map((e) => JSON.stringify(e) + '\n').join('')))
          if (page.length < EXPORT_PAGE) controller.close()
          else after = (page[page.length - 1] as { id: string }).id
        },
      })
      return c.body(stream, 200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Content-Disposition': `attachment; filename="${site}-events.ndjson"` })
    })
