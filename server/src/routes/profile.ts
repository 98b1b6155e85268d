import * as v from 'valibot'
import { Hono, type Context } from 'hono'
import type { AppEnv, Deps } from '../types'
import { hasEvents } from '../db/events'
import { linkedVisitors, putEntry, userOf } from '../db/profiles'
import { erasePerson } from '../lib/erasePerson'
import { fail } from '../lib/fail'
import { gate } from '../lib/gate'
import { personExport } from '../lib/personExport'
import { profileOf } from '../lib/profileOf'
import { readJson } from '../lib/readJson'
import { authenticate, bearer } from '../lib/visitorAuth'
import { FORBIDDEN_KEYS, migrate } from '../sdk'
import { ConsentProof, SiteId, SiteVisitorQuery, VisitorId, bodyFailed, parse } from './fields'

/** The body of `PUT /v1/profile`: this device's entry only. */
export const PutProfileBody = v.strictObject({
  site: SiteId,
  visitor: VisitorId,
  device: v.pipe(
    v.string(),
    v.minLength(1),
    v.maxLength(200),
    v.check((x) => !FORBIDDEN_KEYS.includes(x), 'this device id is not allowed'),
  ),
  entry: v.unknown(),
  consent: v.optional(ConsentProof),
})

/**
 * What GET and DELETE share: `?site&visitor`, the Origin and rate gate, and the visitor's token
 * (these never create a visitor). Returns the answer to give at once, or who is asking.
 */
const knownVisitor = async (c: Context<AppEnv>, deps: Deps) => {
  const parsed = parse(c, deps, SiteVisitorQuery, c.req.query())
  if ('response' in parsed) return parsed.response
  const { site, visitor } = parsed.value
  const gated = await gate(c, deps, site, visitor)
  if (gated instanceof Response) return gated
  const auth = await authenticate(deps, site, visitor, bearer(c.req.header('authorization')), false)
  if (!auth.ok) return fail(c, deps.metrics, auth.status, auth.error, auth.reason)
  return { site, visitor, auth }
}

/**
 * `/v1/profile`: pull the merged profile (GET), push this device's entry (PUT), erase
 * everything (DELETE); `/v1/profile/export`: everything the server holds about the shopper.
 * All take `Authorization: Bearer <visitor token>`.
 */
export const profileRoute = (deps: Deps) =>
  new Hono<AppEnv>()
    .get('/v1/profile', async (c) => {
      const known = await knownVisitor(c, deps)
      if (known instanceof Response) return known
      const { site, visitor, auth } = known
      if (!auth.exists) return fail(c, deps.metrics, 404, 'not_found', 'no_profile')
      const profile = await profileOf(deps.db, site, visitor)
      if (Object.keys(profile.devices).length === 0 && !(await hasEvents(deps.db, site, visitor))) {
        return fail(c, deps.metrics, 404, 'not_found', 'no_profile')
      }
      return c.json({ profile, ...(auth.token ? { token: auth.token } : {}) })
    })
    .put('/v1/profile', async (c) => {
      const body = await readJson(c.req.raw, deps.limits.bodyBytes)
      if (!('json' in body)) return bodyFailed(c, deps, body)
      const parsed = parse(c, deps, PutProfileBody, body.json)
      if ('response' in parsed) return parsed.response
      const { site, visitor, device, consent } = parsed.value
      if (Buffer.byteLength(JSON.stringify(parsed.value.entry) ?? '') > deps.limits.documentBytes) {
        return fail(c, deps.metrics, 413, 'too_large', 'entry_too_large', { message: `a device entry is at most ${deps.limits.documentBytes} bytes of JSON` })
      }
      const checked = migrate({ schema: 1, devices: { [device]: parsed.value.entry } })
      const entry = 'profile' in checked ? checked.profile.devices[device] : undefined
      if (!entry) return fail(c, deps.metrics, 400, 'bad_request', 'invalid_entry', { message: 'error' in checked ? checked.error : 'unusable device id' })

      const gated = await gate(c, deps, site, visitor)
      if (gated instanceof Response) return gated
      // Global Privacy Control asks not to share: only the shopper's own grant of `sync` outranks it
      // (checked before the token, so a refused write does not even create the visitor).
      if (c.req.header('sec-gpc')?.trim() === '1' && consent?.sync === undefined) {
        return fail(c, deps.metrics, 403, 'forbidden', 'gpc', {
          message: 'the browser sends Sec-GPC: 1; a profile write then needs consent.sync, when the shopper granted sync',
        })
      }
      const auth = await authenticate(deps, site, visitor, bearer(c.req.header('authorization')), true)
      if (!auth.ok) return fail(c, deps.metrics, auth.status, auth.error, auth.reason)
      const result = await putEntry(deps.db, site, visitor, device, entry, deps.now(), consent)
      // Erased since its token was checked: nothing was stored, and the answer is the one an erased visitor gets.
      if ('gone' in result) return fail(c, deps.metrics, 401, 'unauthorized', 'unknown_visitor')
      if (!result.stored) return fail(c, deps.metrics, 409, 'stale', 'stale', { stored_v: result.storedV })
      return c.json({ v: entry.v, ...(auth.token ? { token: auth.token } : {}) })
    })
    .delete('/v1/profile', async (c) => {
      const known = await knownVisitor(c, deps)
      if (known instanceof Response) return known
      const { site, visitor, auth } = known
      // Nothing left (a retried DELETE, or a visitor never seen): done already, so 204 again.
      // A genuine token of a visitor whose row is gone still erases by its id whatever was left.
      // The shopper's own erasure is recorded like an admin's, without their IP (server/README.md, "Audit log").
      if (auth.exists || bearer(c.req.header('authorization')) !== undefined) {
        await deps.db.transaction(async (tx) =>
          erasePerson(tx, {
            secret: deps.secret,
            site,
            visitors: await linkedVisitors(tx, site, visitor),
            subject: { kind: 'visitor', id: visitor },
            actor: 'shopper',
            at: deps.now(),
          }),
        )
      }
      return c.body(null, 204)
    })
    .get('/v1/profile/export', async (c) => {
      const known = await knownVisitor(c, deps)
      if (known instanceof Response) return known
      const { site, visitor, auth } = known
      if (!auth.exists) return fail(c, deps.metrics, 404, 'not_found', 'no_profile')
      const [visitors, userId] = [await linkedVisitors(deps.db, site, visitor), (await userOf(deps.db, site, visitor)) ?? null]
      return personExport(c, deps, { site, visitors, userId })
    })
