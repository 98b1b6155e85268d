import * as v from 'valibot'
import { createHmac } from 'node:crypto'
import { Hono } from 'hono'
import type { AppEnv, Deps } from '../types'
import { link } from '../db/profiles'
import { fail } from '../lib/fail'
import { gate } from '../lib/gate'
import { profileOf } from '../lib/profileOf'
import { readJson } from '../lib/readJson'
import { safeEqual } from '../lib/safeEqual'
import { authenticate, bearer } from '../lib/visitorAuth'
import { SiteId, UserId, VisitorId, bodyFailed, parse } from './fields'

/** The body of `POST /v1/identify`: the site's backend signed the user id for this page. */
export const IdentifyBody = v.strictObject({
  site: SiteId,
  visitor: VisitorId,
  userId: UserId,
  signature: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/i, 'the signature is a hex HMAC-SHA256'), v.toLowerCase()),
})

/**
 * `POST /v1/identify`: links the visitor to the user (its profile then merges with the user's
 * other visitors') once the site's signature of the user id checks out; answers the merged profile.
 */
export const identifyRoute = (deps: Deps) =>
  new Hono<AppEnv>().post('/v1/identify', async (c) => {
    const body = await readJson(c.req.raw, deps.limits.bodyBytes)
    if (!('json' in body)) return bodyFailed(c, deps, body)
    const parsed = parse(c, deps, IdentifyBody, body.json)
    if ('response' in parsed) return parsed.response
    const { site, visitor, userId, signature } = parsed.value

    const gated = await gate(c, deps, site, visitor)
    if (gated instanceof Response) return gated
    // 403, not 401: the SDK takes a 401 for a dead token and starts over as a new visitor, and
    // nothing is wrong with the visitor here. Checked before the token, so that a refused first
    // contact creates no visitor.
    if (!gated.identifySecret) return fail(c, deps.metrics, 403, 'forbidden', 'identify_disabled')
    const expected = createHmac('sha256', gated.identifySecret).update(userId).digest('hex')
    if (!safeEqual(signature, expected)) return fail(c, deps.metrics, 403, 'forbidden', 'bad_signature')
    const auth = await authenticate(deps, site, visitor, bearer(c.req.header('authorization')), true)
    if (!auth.ok) return fail(c, deps.metrics, auth.status, auth.error, auth.reason)

    const profile = await deps.db.transaction(async (tx) =>
      (await link(tx, site, visitor, userId, deps.now())) ? profileOf(tx, site, visitor) : undefined,
    )
    // Erased since its token was checked: nothing was linked, and the answer is the one an erased visitor gets.
    if (!profile) return fail(c, deps.metrics, 401, 'unauthorized', 'unknown_visitor')
    return c.json({ profile, ...(auth.token ? { token: auth.token } : {}) })
  })
