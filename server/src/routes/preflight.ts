import { Hono } from 'hono'
import type { AppEnv, Deps } from '../types'
import { fail } from '../lib/fail'

const METHODS: Record<string, string> = {
  '/v1/collect': 'POST',
  '/v1/profile': 'GET, PUT, DELETE',
  '/v1/identify': 'POST',
}

/**
 * CORS preflights of the endpoints a page calls with headers (Authorization) or JSON.
 * The site comes from `?site=` when the URL has it (GET and DELETE /v1/profile do); a
 * preflight of a body-carrying request cannot know its site, so an origin allowed for any site
 * passes here and the real request is checked against its own site.
 */
export const preflightRoute = (deps: Deps) =>
  new Hono<AppEnv>().on('OPTIONS', Object.keys(METHODS), async (c) => {
    c.header('Vary', 'Origin')
    const origin = c.req.header('origin')
    if (origin === undefined) return c.body(null, 204)
    const siteId = c.req.query('site')
    const allowed = siteId ? ((await deps.sites.get(siteId))?.origins.includes(origin) ?? false) : await deps.sites.anyAllows(origin)
    if (!allowed) {
      c.set('corsDenied', true)
      return fail(c, deps.metrics, 403, 'forbidden_origin')
    }
    c.header('Access-Control-Allow-Origin', origin)
    c.header('Access-Control-Allow-Methods', METHODS[c.req.path] as string)
    c.header('Access-Control-Allow-Headers', 'Authorization, Content-Type')
    c.header('Access-Control-Max-Age', '600')
    return c.body(null, 204)
  })
