import * as v from 'valibot'
import { Hono } from 'hono'
import type { AppEnv, Deps } from '../types'
import { isPreviewTokenRevoked, revokePreviewToken } from '../db/previewRevocations'
import { getSite } from '../db/sites'
import { fail } from '../lib/fail'
import { gate } from '../lib/gate'
import { PREVIEW_TTL_MAX_S, mintPreviewToken, previewKey, verifyPreviewToken } from '../lib/previewToken'
import { readJson } from '../lib/readJson'
import { bearer } from '../lib/visitorAuth'
import { SiteId, bodyFailed, parse } from './fields'

/** The body of `POST /v1/admin/sites/:site/preview-tokens`; an empty body is `{}`. */
export const PreviewTokenBody = v.strictObject({
  ttlSeconds: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(PREVIEW_TTL_MAX_S, `a preview token lives at most ${PREVIEW_TTL_MAX_S} seconds`)), 3600),
  note: v.optional(v.pipe(v.string(), v.maxLength(200)), ''),
})

/** The path parameters of the preview routes. */
export const PreviewParams = v.strictObject({ site: SiteId })

/** The path parameters of a revocation: the site and the token's id (its fourth part, as minted). */
export const RevokeParams = v.strictObject({ site: SiteId, id: v.pipe(v.string(), v.regex(/^[\w-]{22}$/, 'a preview token id is 22 base64url characters')) })

/**
 * Preview tokens, which turn on the QA overlay (`attune/debug`) for site staff.
 * `POST /v1/admin/sites/:site/preview-tokens` (admin key) mints one: signed, expiring, for one
 * site, stateless. `GET /v1/sites/:site/preview` with `Authorization: Bearer <token>` is what the
 * overlay asks before it shows anything: 200 `{ site, expiresAt, note }`, or 401 with reason
 * `bad_preview_token`, `expired_preview_token` or `revoked_preview_token`. It is a browser
 * endpoint like the others: the site must exist (404) and the Origin be on its list (403, with no
 * CORS header). `DELETE /v1/admin/sites/:site/preview-tokens/:id` (admin key) revokes a token
 * by the `id` its minting answered: 204, and from then on 401 `revoked_preview_token`.
 */
export const previewRoute = (deps: Deps) => {
  const key = previewKey(deps.secret)
  return (
    new Hono<AppEnv>()
      .post('/v1/admin/sites/:site/preview-tokens', async (c) => {
        const params = parse(c, deps, PreviewParams, c.req.param())
        if ('response' in params) return params.response
        const body = await readJson(c.req.raw, 4096)
        if (!('json' in body) && body.reason !== 'empty_body') return bodyFailed(c, deps, body)
        const parsed = parse(c, deps, PreviewTokenBody, 'json' in body ? body.json : {})
        if ('response' in parsed) return parsed.response
        const { site } = params.value
        if (!(await getSite(deps.db, site))) return fail(c, deps.metrics, 404, 'not_found', 'unknown_site')
        const exp = Math.floor(deps.now() / 1000) + parsed.value.ttlSeconds
        const { token, claims } = mintPreviewToken(key, site, exp, parsed.value.note)
        c.header('Cache-Control', 'no-store')
        return c.json({ token, id: claims.id, expiresAt: exp * 1000 }, 201)
      })
      .delete('/v1/admin/sites/:site/preview-tokens/:id', async (c) => {
        const params = parse(c, deps, RevokeParams, c.req.param())
        if ('response' in params) return params.response
        const { site, id } = params.value
        if (!(await getSite(deps.db, site))) return fail(c, deps.metrics, 404, 'not_found', 'unknown_site')
        const now = deps.now()
        await revokePreviewToken(deps.db, site, id, Math.floor(now / 1000) + PREVIEW_TTL_MAX_S, now)
        return c.body(null, 204)
      })
      .get('/v1/sites/:site/preview', async (c) => {
        const params = parse(c, deps, PreviewParams, c.req.param())
        if ('response' in params) return params.response
        const site = await gate(c, deps, params.value.site)
        if (site instanceof Response) return site
        c.header('Cache-Control', 'no-store')
        const token = bearer(c.req.header('authorization'))
        if (!token) return fail(c, deps.metrics, 401, 'unauthorized', 'bad_preview_token', { message: 'send Authorization: Bearer <preview token>' })
        const checked = verifyPreviewToken(key, site.site, token, Math.floor(deps.now() / 1000))
        if ('problem' in checked) return fail(c, deps.metrics, 401, 'unauthorized', checked.problem)
        if (await isPreviewTokenRevoked(deps.db, site.site, checked.id)) return fail(c, deps.metrics, 401, 'unauthorized', 'revoked_preview_token')
        return c.json({ site: checked.site, expiresAt: checked.exp * 1000, note: checked.note })
      })
  )
}
