import * as v from 'valibot'
import { Hono } from 'hono'
import type { AppEnv, Deps } from '../types'
import type { EventRecord } from '../db/events'
import { insertEvents } from '../db/events'
import { fail } from '../lib/fail'
import { gate } from '../lib/gate'
import { readJson } from '../lib/readJson'
import { authenticate } from '../lib/visitorAuth'
import { ConsentProof, JsonObject, SiteId, VisitorId, bodyFailed, parse } from './fields'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i

/** One event as the client sends it. */
const Event = v.strictObject({
  id: v.pipe(v.string(), v.regex(UUID_V7, 'an event id is a UUIDv7'), v.toLowerCase()),
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(200)),
  props: JsonObject,
  ts: v.pipe(v.number(), v.finite()),
  session: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(200))),
})

/** The body of `POST /v1/collect`. The token rides in the body: sendBeacon cannot set headers. */
export const CollectBody = v.strictObject({
  site: SiteId,
  visitor: VisitorId,
  token: v.optional(v.pipe(v.string(), v.maxLength(200))),
  events: v.array(Event),
  dropped: v.optional(
    v.pipe(
      v.record(v.pipe(v.string(), v.minLength(1), v.maxLength(64)), v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1e9))),
      v.check((x) => Object.keys(x).length <= 32, 'at most 32 drop reasons'),
    ),
  ),
  consent: v.optional(ConsentProof),
})

/**
 * The drop reasons the SDK reports (src/sync/outbox.ts, createSync.ts): its outbox's `expired` and
 * `overflow`, and `status_<code>` for a batch refused for good — a 4xx this server answers collect
 * with, or 501. Any other reason is counted as `other`: metric labels are not for visitors to choose.
 */
const DROP_REASONS = new Set(['expired', 'overflow', 'status_400', 'status_403', 'status_404', 'status_405', 'status_413', 'status_415', 'status_501'])

/** Most drops one request may add to the counter: an outbox holds at most 1,000 events, so honest reports stay far below. */
const MAX_DROPS_PER_REQUEST = 10_000

const countDrops = (deps: Deps, dropped: Record<string, number>): void => {
  let left = MAX_DROPS_PER_REQUEST
  for (const [reason, count] of Object.entries(dropped)) {
    const n = Math.min(count, left)
    left -= n
    deps.metrics.add('attune_client_dropped_total', n, { reason: DROP_REASONS.has(reason) ? reason : 'other' })
  }
}

/**
 * Why one event of an accepted batch was refused, or undefined to keep it. `small`: the whole
 * body is within the event limit, so no event in it can be over (and need not be measured).
 */
const refusal = (event: v.InferOutput<typeof Event>, deps: Deps, now: number, small: boolean): string | undefined => {
  if (!small && Buffer.byteLength(JSON.stringify(event)) > deps.limits.eventBytes) return 'too_large'
  if (event.ts > now + deps.limits.futureMs) return 'future'
  if (event.ts < now - deps.limits.pastMs) return 'too_old'
  return undefined
}

/**
 * `POST /v1/collect`: a batch of events, stored once each. Whole-request problems are 4xx and
 * store nothing; a bad event inside a sound batch is only counted (`rejected`) so the rest lands.
 */
export const collectRoute = (deps: Deps) =>
  new Hono<AppEnv>().post('/v1/collect', async (c) => {
    const body = await readJson(c.req.raw, deps.limits.bodyBytes)
    if (!('json' in body)) return bodyFailed(c, deps, body)
    const events = (body.json as { events?: unknown } | null)?.events
    if (Array.isArray(events) && events.length > deps.limits.eventsPerRequest) {
      return fail(c, deps.metrics, 400, 'bad_request', 'too_many_events', { message: `at most ${deps.limits.eventsPerRequest} events per request` })
    }
    const parsed = parse(c, deps, CollectBody, body.json)
    if ('response' in parsed) return parsed.response
    const input = parsed.value

    const site = await gate(c, deps, input.site, input.visitor)
    if (site instanceof Response) return site
    const auth = await authenticate(deps, input.site, input.visitor, input.token, true)
    if (!auth.ok) return fail(c, deps.metrics, auth.status, auth.error, auth.reason)

    const now = deps.now()
    const keep: EventRecord[] = []
    let rejected = 0
    for (const event of input.events) {
      const reason = refusal(event, deps, now, body.bytes <= deps.limits.eventBytes)
      if (reason) {
        rejected++
        deps.metrics.add('attune_events_rejected_total', 1, { reason })
      } else keep.push({ ...event, ts: Math.floor(event.ts) })
    }
    // Noted before the insert too: a rollup under way then stops at its next transaction rather
    // than learning of this request only once it got through (on PGlite, after that rollup).
    if (keep.length > 0) deps.rollups.schedule()
    const accepted = await insertEvents(deps.db, input.site, input.visitor, keep, now)
    // Erased since its token was checked: nothing was stored, and the answer is the one an erased visitor gets.
    if (accepted === null) return fail(c, deps.metrics, 401, 'unauthorized', 'unknown_visitor')
    if (accepted > 0) deps.rollups.schedule()
    const duplicates = keep.length - accepted
    deps.metrics.add('attune_events_accepted_total', accepted)
    deps.metrics.add('attune_events_duplicate_total', duplicates)
    countDrops(deps, input.dropped ?? {})
    return c.json({ accepted, duplicates, rejected, ...(auth.token ? { token: auth.token } : {}) })
  })
