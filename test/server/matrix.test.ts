import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Answer, TestDatabase, TestServer } from './helpers'
import { ADMIN_KEY, ORIGIN, OTHER_ORIGIN, SITE, auth, deviceEntry, drivers, event, events, newVisitor, signUser, startServer, visitorId } from './helpers'

/** One row of the status-code table: a request (built on a live server) and the status it must get. */
interface Case {
  name: string
  status: number
  run: (t: TestServer, limited: TestServer) => Promise<Answer>
}

const collect = (t: TestServer, body: unknown, headers: Record<string, string> = {}) => t.request('POST', '/v1/collect', { body, headers })
const q = (visitor: string, site = SITE) => `?site=${site}&visitor=${visitor}`

const CASES: Case[] = [
  // POST /v1/collect
  { name: 'collect: first contact, no token', status: 200, run: (t) => collect(t, { site: SITE, visitor: visitorId(), events: [event()] }) },
  {
    name: 'collect: known visitor with its token',
    status: 200,
    run: async (t) => {
      const v = await newVisitor(t)
      return collect(t, { site: SITE, visitor: v.visitor, token: v.token, events: [event()] })
    },
  },
  { name: 'collect: application/json also works', status: 200, run: (t) => collect(t, { site: SITE, visitor: visitorId(), events: [] }, { 'content-type': 'application/json' }) },
  { name: 'collect: invalid JSON', status: 400, run: (t) => collect(t, '{"site":') },
  { name: 'collect: empty body', status: 400, run: (t) => t.request('POST', '/v1/collect', { raw: '', headers: { 'content-type': 'text/plain' } }) },
  { name: 'collect: body is not an object', status: 400, run: (t) => collect(t, '[1,2]') },
  { name: 'collect: unknown envelope field', status: 400, run: (t) => collect(t, { site: SITE, visitor: visitorId(), events: [], extra: 1 }) },
  { name: 'collect: unknown event field', status: 400, run: (t) => collect(t, { site: SITE, visitor: visitorId(), events: [{ ...event(), extra: 1 }] }) },
  { name: 'collect: __proto__ key', status: 400, run: (t) => collect(t, `{"site":"${SITE}","visitor":"${visitorId()}","events":[],"__proto__":{}}`) },
  { name: 'collect: 501 events', status: 400, run: (t) => collect(t, { site: SITE, visitor: visitorId(), events: events(501) }) },
  { name: 'collect: event id not a UUIDv7', status: 400, run: (t) => collect(t, { site: SITE, visitor: visitorId(), events: [event({ id: visitorId() })] }) },
  { name: 'collect: visitor not a UUID', status: 400, run: (t) => collect(t, { site: SITE, visitor: 'me', events: [] }) },
  { name: 'collect: props is an array', status: 400, run: (t) => collect(t, { site: SITE, visitor: visitorId(), events: [event({ props: [] as never })] }) },
  { name: 'collect: form content type', status: 415, run: (t) => collect(t, 'a=1', { 'content-type': 'application/x-www-form-urlencoded' }) },
  { name: 'collect: body over 500 KB', status: 413, run: (t) => collect(t, { site: SITE, visitor: visitorId(), events: [event({ props: { pad: 'x'.repeat(520_000) } })] }) },
  { name: 'collect: unknown site', status: 404, run: (t) => collect(t, { site: 'nope', visitor: visitorId(), events: [] }) },
  { name: 'collect: foreign Origin', status: 403, run: (t) => collect(t, { site: SITE, visitor: visitorId(), events: [] }, { origin: OTHER_ORIGIN }) },
  {
    name: 'collect: known visitor, no token',
    status: 401,
    run: async (t) => collect(t, { site: SITE, visitor: (await newVisitor(t)).visitor, events: [] }),
  },
  {
    name: 'collect: known visitor, malformed token',
    status: 401,
    run: async (t) => collect(t, { site: SITE, visitor: (await newVisitor(t)).visitor, token: 'v1.x.y', events: [] }),
  },
  {
    name: "collect: another visitor's token",
    status: 403,
    run: async (t) => collect(t, { site: SITE, visitor: (await newVisitor(t)).visitor, token: (await newVisitor(t)).token, events: [] }),
  },
  {
    name: 'collect: over the rate limit',
    status: 429,
    run: async (_t, limited) => {
      await collect(limited, { site: SITE, visitor: visitorId(), events: [] })
      return collect(limited, { site: SITE, visitor: visitorId(), events: [] })
    },
  },
  { name: 'collect: wrong method', status: 405, run: (t) => t.request('GET', '/v1/collect') },

  // GET /v1/profile
  {
    name: 'profile GET: own token, entry stored',
    status: 200,
    run: async (t) => {
      const v = await newVisitor(t)
      await t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: v.visitor, device: 'd1', entry: deviceEntry(1) }, headers: auth(v.token) })
      return t.request('GET', `/v1/profile${q(v.visitor)}`, { headers: auth(v.token) })
    },
  },
  {
    name: 'profile GET: events but no entry yet',
    status: 200,
    run: async (t) => {
      const v = await newVisitor(t)
      return t.request('GET', `/v1/profile${q(v.visitor)}`, { headers: auth(v.token) })
    },
  },
  { name: 'profile GET: unknown visitor', status: 404, run: (t) => t.request('GET', `/v1/profile${q(visitorId())}`) },
  { name: 'profile GET: known visitor, no token', status: 401, run: async (t) => t.request('GET', `/v1/profile${q((await newVisitor(t)).visitor)}`) },
  {
    name: "profile GET: another visitor's token",
    status: 403,
    run: async (t) => t.request('GET', `/v1/profile${q((await newVisitor(t)).visitor)}`, { headers: auth((await newVisitor(t)).token) }),
  },
  { name: 'profile GET: no visitor parameter', status: 400, run: (t) => t.request('GET', `/v1/profile?site=${SITE}`) },
  { name: 'profile GET: unknown parameter', status: 400, run: (t) => t.request('GET', `/v1/profile${q(visitorId())}&x=1`) },
  { name: 'profile GET: unknown site', status: 404, run: (t) => t.request('GET', `/v1/profile${q(visitorId(), 'nope')}`) },
  { name: 'profile GET: foreign Origin', status: 403, run: (t) => t.request('GET', `/v1/profile${q(visitorId())}`, { headers: { origin: OTHER_ORIGIN } }) },

  // PUT /v1/profile
  { name: 'profile PUT: first contact, no token', status: 200, run: (t) => t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: visitorId(), device: 'd1', entry: deviceEntry(1) } }) },
  {
    name: 'profile PUT: same version again',
    status: 409,
    run: async (t) => {
      const v = await newVisitor(t)
      const put = () => t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: v.visitor, device: 'd1', entry: deviceEntry(3) }, headers: auth(v.token) })
      await put()
      return put()
    },
  },
  { name: 'profile PUT: entry without a version', status: 400, run: (t) => t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: visitorId(), device: 'd1', entry: { counters: {} } } }) },
  { name: 'profile PUT: unknown field', status: 400, run: (t) => t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: visitorId(), device: 'd1', entry: deviceEntry(1), v: 1 } }) },
  {
    name: 'profile PUT: entry over 256 KB',
    status: 413,
    run: (t) => t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: visitorId(), device: 'd1', entry: deviceEntry(1, { traits: { big: { v: 'x'.repeat(270_000), t: 1 } } }) } }),
  },
  {
    name: 'profile PUT: known visitor, no token',
    status: 401,
    run: async (t) => t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: (await newVisitor(t)).visitor, device: 'd1', entry: deviceEntry(1) } }),
  },

  // DELETE /v1/profile
  { name: 'profile DELETE: own token', status: 204, run: async (t) => { const v = await newVisitor(t); return t.request('DELETE', `/v1/profile${q(v.visitor)}`, { headers: auth(v.token) }) } },
  {
    name: 'profile DELETE: retried',
    status: 204,
    run: async (t) => {
      const v = await newVisitor(t)
      await t.request('DELETE', `/v1/profile${q(v.visitor)}`, { headers: auth(v.token) })
      return t.request('DELETE', `/v1/profile${q(v.visitor)}`, { headers: auth(v.token) })
    },
  },
  { name: 'profile DELETE: known visitor, no token', status: 401, run: async (t) => t.request('DELETE', `/v1/profile${q((await newVisitor(t)).visitor)}`) },
  {
    name: "profile DELETE: another visitor's token",
    status: 403,
    run: async (t) => t.request('DELETE', `/v1/profile${q((await newVisitor(t)).visitor)}`, { headers: auth((await newVisitor(t)).token) }),
  },

  // POST /v1/identify
  {
    name: 'identify: good signature',
    status: 200,
    run: async (t) => {
      const v = await newVisitor(t)
      return t.request('POST', '/v1/identify', { body: { site: SITE, visitor: v.visitor, userId: 'u-1', signature: signUser('u-1') }, headers: auth(v.token) })
    },
  },
  {
    name: 'identify: bad signature',
    status: 403,
    run: async (t) => {
      const v = await newVisitor(t)
      return t.request('POST', '/v1/identify', { body: { site: SITE, visitor: v.visitor, userId: 'u-1', signature: signUser('u-2') }, headers: auth(v.token) })
    },
  },
  { name: 'identify: signature not hex', status: 400, run: (t) => t.request('POST', '/v1/identify', { body: { site: SITE, visitor: visitorId(), userId: 'u', signature: 'zz' } }) },
  { name: 'identify: unknown site', status: 404, run: (t) => t.request('POST', '/v1/identify', { body: { site: 'nope', visitor: visitorId(), userId: 'u', signature: signUser('u') } }) },

  // GET /v1/sites/:site/config
  { name: 'config: known site', status: 200, run: (t) => t.request('GET', `/v1/sites/${SITE}/config`) },
  {
    name: 'config: If-None-Match of the current ETag',
    status: 304,
    run: async (t) => {
      const first = await t.request('GET', `/v1/sites/${SITE}/config`)
      return t.request('GET', `/v1/sites/${SITE}/config`, { headers: { 'if-none-match': first.headers.get('etag') as string } })
    },
  },
  { name: 'config: unknown site', status: 404, run: (t) => t.request('GET', '/v1/sites/nope/config') },
  { name: 'config: invalid site id', status: 400, run: (t) => t.request('GET', '/v1/sites/%20bad/config') },
  { name: 'config: foreign Origin', status: 403, run: (t) => t.request('GET', `/v1/sites/${SITE}/config`, { headers: { origin: OTHER_ORIGIN } }) },

  // /v1/admin
  { name: 'admin: no key', status: 401, run: (t) => t.request('GET', `/v1/admin/sites/${SITE}/config`) },
  { name: 'admin: wrong key', status: 401, run: (t) => t.request('GET', `/v1/admin/sites/${SITE}/config`, { headers: auth('wrong') }) },
  { name: 'admin: read config', status: 200, run: (t) => t.request('GET', `/v1/admin/sites/${SITE}/config`, { headers: auth(ADMIN_KEY) }) },
  { name: 'admin: unknown site', status: 404, run: (t) => t.request('GET', '/v1/admin/sites/nope/config', { headers: auth(ADMIN_KEY) }) },
  { name: 'admin: write config', status: 200, run: (t) => t.request('PUT', '/v1/admin/sites/new-site/config', { body: { config: { goals: ['order'] } }, headers: auth(ADMIN_KEY) }) },
  { name: 'admin: config is an array', status: 400, run: (t) => t.request('PUT', '/v1/admin/sites/new-site/config', { body: { config: [] }, headers: auth(ADMIN_KEY) }) },
  { name: 'admin: config with constructor key', status: 400, run: (t) => t.request('PUT', '/v1/admin/sites/new-site/config', { body: '{"config":{"a":{"constructor":{}}}}', headers: auth(ADMIN_KEY) }) },
  { name: 'admin: config over 256 KB', status: 413, run: (t) => t.request('PUT', '/v1/admin/sites/new-site/config', { body: { config: { pad: 'x'.repeat(270_000) } }, headers: auth(ADMIN_KEY) }) },
  { name: 'admin: origin with a path', status: 400, run: (t) => t.request('PUT', '/v1/admin/sites/new-site/config', { body: { config: {}, origins: ['https://a.example/x'] }, headers: auth(ADMIN_KEY) }) },
  { name: 'admin: export', status: 200, run: (t) => t.request('GET', `/v1/admin/sites/${SITE}/export`, { headers: auth(ADMIN_KEY) }) },
  { name: 'admin: visitor', status: 200, run: async (t) => t.request('GET', `/v1/admin/sites/${SITE}/visitors/${(await newVisitor(t)).visitor}`, { headers: auth(ADMIN_KEY) }) },
  { name: 'admin: unknown visitor', status: 404, run: (t) => t.request('GET', `/v1/admin/sites/${SITE}/visitors/${visitorId()}`, { headers: auth(ADMIN_KEY) }) },

  // preflight, health, metrics, the rest
  { name: 'preflight: allowed origin', status: 204, run: (t) => t.request('OPTIONS', `/v1/profile${q(visitorId())}`, { headers: { origin: ORIGIN } }) },
  { name: 'preflight: foreign origin', status: 403, run: (t) => t.request('OPTIONS', `/v1/profile${q(visitorId())}`, { headers: { origin: OTHER_ORIGIN } }) },
  { name: 'healthz', status: 200, run: (t) => t.request('GET', '/healthz') },
  { name: 'metrics', status: 200, run: (t) => t.request('GET', '/metrics') },
  { name: 'unknown path', status: 404, run: (t) => t.request('GET', '/v2/anything') },
]

describe.each(drivers)('status-code matrix ($name)', (driver) => {
  let database: TestDatabase
  let t: TestServer
  let limited: TestServer
  beforeAll(async () => {
    database = await driver.open()
    t = await startServer(database.url)
    // Same database, one request per IP and site.
    limited = await startServer(database.url, { db: t.server.db, rateLimits: { ip: { rate: 0.001, burst: 1 }, visitor: false } })
  })
  afterAll(async () => {
    await limited.server.drain()
    await t.server.close()
    await database.drop()
  })

  it.each(CASES)('$name → $status', async ({ run, status }) => {
    const answer = await run(t, limited)
    expect(answer.status, answer.text).toBe(status)
    // Cookies are never set, by any answer.
    expect(answer.headers.get('set-cookie')).toBeNull()
    if (status >= 400) {
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
      expect(typeof answer.body.error).toBe('string')
    }
  })
})
