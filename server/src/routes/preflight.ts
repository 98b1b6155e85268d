import { Hono, type Context } from 'hono'
import type { AppEnv, Deps } from '../types'
import { fail } from '../lib/fail'

const METHODS: Record<string, string> = {
  '/v1/collect': 'POST',
  '/v1/profile': 'GET, PUT, DELETE',
  '/v1/profile/export': 'GET',
  '/v1/identify': 'POST',
}

/**
 * CORS preflights of the endpoints a page calls with headers (Authorization, If-None-Match) or
 * JSON. The site comes from `?site=` or the path when the URL has it (GET and DELETE
 * /v1/profile, the site config); a preflight of a body-carrying request cannot know its site, so
 * an origin allowed for any site passes here and the real request is checked against its own site.
 */
export const preflightRoute = (deps: Deps) => {
  const answer = async (c: Context<AppEnv>, siteId: string | undefined, methods: string, headers: string) => {
    c.header('Vary', 'Origin')
    const origin = c.req.header('origin')
    if (origin === undefined) return c.body(null, 204)
    const allowed = siteId ? ((await deps.sites.get(siteId))?.origins.includes(origin) ?? false) : await deps.sites.anyAllows(origin)
    if (!allowed) {
      c.set('corsDenied', true)
      return fail(c, deps.metrics, 403, 'forbidden_origin')
    }
    c.header('Access-Control-Allow-Origin', origin)
    c.header('Access-Control-Allow-Methods', methods)
    c.header('Access-Control-Allow-Headers', headers)
    c.header('Access-Control-Max-Age', '600')
    return c.body(null, 204)
  }
  return (
    new Hono<AppEnv>()
      .on('OPTIONS', Object.keys(METHODS), (c) => answer(c, c.req.query('site'), METHODS[c.req.path] as string, 'Authorization, Content-Type'))
      // The client revalidates its kept copy of the config with If-None-Match, which is not a CORS-safelisted header.
      .on('OPTIONS', '/v1/sites/:site/config', (c) => answer(c, c.req.param('site'), 'GET', 'If-None-Match'))
      // The QA overlay sends its preview token as Authorization (routes/preview.ts).
      .on('OPTIONS', '/v1/sites/:site/preview', (c) => answer(c, c.req.param('site'), 'GET', 'Authorization'))
  )
}
