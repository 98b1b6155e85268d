import * as v from 'valibot'
import { Hono, type Context } from 'hono'
import type { AppEnv, Deps } from '../types'
import type { Queryable } from '../db/createDb'
import type { AuditRecord, Subject } from '../db/audit'
import { writeAudit } from '../db/audit'
import { recentEvents } from '../db/events'
import { latestEvents, lastSeenOf, visitorsOfUser } from '../db/person'
import { linkedVisitors, userOf } from '../db/profiles'
import { getVisitor } from '../db/visitors'
import { clientIp } from '../lib/clientIp'
import { erasePerson } from '../lib/erasePerson'
import { fail } from '../lib/fail'
import { personExport } from '../lib/personExport'
import { profileOfVisitors } from '../lib/profileOf'
import { TIMELINE_EVENTS, timelineOf } from '../lib/timeline'
import { SiteId, UserId, VisitorId, parse } from './fields'

// Printable ASCII (HTTP header values are bytes; anything else arrives mangled), no edge spaces.
const printable = (max: number, what: string) => {
  const message = `${what} is 1–${max} printable ASCII characters`
  return v.pipe(v.string(), v.trim(), v.minLength(1, message), v.maxLength(max, message), v.regex(/^[\x20-\x7E]+$/, message))
}

/** Who is reading, for the audit log: `X-Attune-Actor` (an agent's name or id) and `X-Attune-Reason`. */
export const AuditHeaders = v.object({
  'x-attune-actor': v.optional(printable(100, 'X-Attune-Actor')),
  'x-attune-reason': v.optional(printable(200, 'X-Attune-Reason')),
})

/** The path parameters of the person routes. */
export const AdminVisitorParams = v.strictObject({ site: SiteId, visitor: VisitorId })
export const AdminUserParams = v.strictObject({ site: SiteId, userId: UserId })

/** `?limit=`: how many timeline lines at most (1–1000, default 200). */
export const TimelineQuery = v.strictObject({
  limit: v.optional(v.pipe(v.string(), v.regex(/^[1-9]\d{0,3}$/, 'limit is 1–1000'), v.transform(Number), v.maxValue(1000, 'limit is 1–1000'))),
})

const TIMELINE_NAMES = Object.keys(TIMELINE_EVENTS)

/** A request let in: its parsed path, and who asks, for the audit row. */
type Admitted<S extends v.GenericSchema> = { value: v.InferOutput<S>; audit: Omit<AuditRecord, 'site' | 'subject' | 'action'> }

/** Parses the path (and the audit headers) or answers 400, before anything is read or written. */
const admit = <S extends v.GenericSchema>(c: Context<AppEnv>, deps: Deps, schema: S): Admitted<S> | Response => {
  const params = parse(c, deps, schema, c.req.param())
  if ('response' in params) return params.response
  const headers = parse(c, deps, AuditHeaders, c.req.header())
  if ('response' in headers) return headers.response
  return {
    value: params.value,
    audit: { actor: headers.value['x-attune-actor'] ?? 'admin', reason: headers.value['x-attune-reason'] ?? null, at: deps.now(), ip: clientIp(c, deps.trustProxy) },
  }
}

/** The call-center view of these visitors: merged profile, timeline, last seen. */
const viewOf = async (q: Queryable, site: string, visitors: readonly string[], limit: number) => ({
  profile: await profileOfVisitors(q, site, visitors),
  timeline: timelineOf(await latestEvents(q, site, visitors, TIMELINE_NAMES, limit)),
  lastSeen: await lastSeenOf(q, site, visitors),
})

/**
 * The call center / CRM routes of `/v1/admin/sites/:site/…`: read, export and erase one person,
 * by visitor id or by user id. Every read and every erasure writes a row to the audit log, in
 * the transaction that reads (or erases), before the answer leaves; a request refused (401, 400,
 * 404) writes none. Admin only: behind `adminGuard`, which createServer mounts in front of `/v1/admin/*`.
 */
export const callCenterRoute = (deps: Deps) =>
  new Hono<AppEnv>()
    .get('/v1/admin/sites/:site/visitors/:visitor', async (c) => {
      const admitted = admit(c, deps, AdminVisitorParams)
      if (admitted instanceof Response) return admitted
      const { site, visitor } = admitted.value
      const answer = await deps.db.transaction(async (tx) => {
        if (!(await getVisitor(tx, site, visitor))) return undefined
        await writeAudit(tx, { ...admitted.audit, site, subject: { kind: 'visitor', id: visitor }, action: 'read' })
        const visitors = await linkedVisitors(tx, site, visitor)
        const userId = (await userOf(tx, site, visitor)) ?? null
        const events = await recentEvents(tx, site, visitor, 100)
        return { site, visitor, userId, visitors, ...(await viewOf(tx, site, visitors, 200)), events }
      })
      return answer ? c.json(answer) : fail(c, deps.metrics, 404, 'not_found', 'unknown_visitor')
    })
    .get('/v1/admin/sites/:site/users/:userId', async (c) => {
      const admitted = admit(c, deps, AdminUserParams)
      if (admitted instanceof Response) return admitted
      const query = parse(c, deps, TimelineQuery, c.req.query())
      if ('response' in query) return query.response
      const { site, userId } = admitted.value
      const answer = await deps.db.transaction(async (tx) => {
        const visitors = await visitorsOfUser(tx, site, userId)
        if (visitors.length === 0) return undefined
        await writeAudit(tx, { ...admitted.audit, site, subject: { kind: 'user', id: userId }, action: 'read' })
        return { site, userId, visitors, ...(await viewOf(tx, site, visitors, query.value.limit ?? 200)) }
      })
      return answer ? c.json(answer) : fail(c, deps.metrics, 404, 'not_found', 'unknown_user')
    })
    .get('/v1/admin/sites/:site/visitors/:visitor/export', async (c) => {
      const admitted = admit(c, deps, AdminVisitorParams)
      if (admitted instanceof Response) return admitted
      const { site, visitor } = admitted.value
      if (!(await getVisitor(deps.db, site, visitor))) return fail(c, deps.metrics, 404, 'not_found', 'unknown_visitor')
      const [visitors, userId] = [await linkedVisitors(deps.db, site, visitor), (await userOf(deps.db, site, visitor)) ?? null]
      return personExport(c, deps, { site, visitors, userId }, { ...admitted.audit, site, subject: { kind: 'visitor', id: visitor }, action: 'export' })
    })
    .get('/v1/admin/sites/:site/users/:userId/export', async (c) => {
      const admitted = admit(c, deps, AdminUserParams)
      if (admitted instanceof Response) return admitted
      const { site, userId } = admitted.value
      const visitors = await visitorsOfUser(deps.db, site, userId)
      if (visitors.length === 0) return fail(c, deps.metrics, 404, 'not_found', 'unknown_user')
      return personExport(c, deps, { site, visitors, userId }, { ...admitted.audit, site, subject: { kind: 'user', id: userId }, action: 'export' })
    })
    .delete('/v1/admin/sites/:site/visitors/:visitor', async (c) => {
      const admitted = admit(c, deps, AdminVisitorParams)
      if (admitted instanceof Response) return admitted
      const { site, visitor } = admitted.value
      const subject: Subject = { kind: 'visitor', id: visitor }
      await deps.db.transaction(async (tx) =>
        erasePerson(tx, { ...admitted.audit, secret: deps.secret, site, subject, visitors: await linkedVisitors(tx, site, visitor) }),
      )
      // Nothing left (a retried DELETE, a visitor never seen): done already.
      return c.body(null, 204)
    })
    .delete('/v1/admin/sites/:site/users/:userId', async (c) => {
      const admitted = admit(c, deps, AdminUserParams)
      if (admitted instanceof Response) return admitted
      const { site, userId } = admitted.value
      const subject: Subject = { kind: 'user', id: userId }
      await deps.db.transaction(async (tx) =>
        erasePerson(tx, { ...admitted.audit, secret: deps.secret, site, subject, visitors: await visitorsOfUser(tx, site, userId) }),
      )
      return c.body(null, 204)
    })
