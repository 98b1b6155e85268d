import { describe, expect, it } from 'vitest'
import type { Answer, TestServer } from './helpers'
import { ORIGIN, OTHER_ORIGIN, SITE, auth, drivers, event, newVisitor, visitorId, useServer } from './helpers'

type Call = (t: TestServer, origin: string | undefined) => Promise<Answer>

const withOrigin = (origin: string | undefined): Record<string, string> => (origin ? { origin } : {})

/** Every browser-facing endpoint, called with a given Origin (or none). */
const ENDPOINTS: { name: string; call: Call; ok: number }[] = [
  { name: 'POST /v1/collect', ok: 200, call: (t, o) => t.request('POST', '/v1/collect', { body: { site: SITE, visitor: visitorId(), events: [event()] }, headers: withOrigin(o) }) },
  {
    name: 'GET /v1/profile',
    ok: 200,
    call: async (t, o) => {
      const v = await newVisitor(t)
      return t.request('GET', `/v1/profile?site=${SITE}&visitor=${v.visitor}`, { headers: { ...auth(v.token), ...withOrigin(o) } })
    },
  },
  {
    name: 'PUT /v1/profile',
    ok: 200,
    call: (t, o) => t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: visitorId(), device: 'd', entry: { v: 1 } }, headers: withOrigin(o) }),
  },
  {
    name: 'DELETE /v1/profile',
    ok: 204,
    call: async (t, o) => {
      const v = await newVisitor(t)
      return t.request('DELETE', `/v1/profile?site=${SITE}&visitor=${v.visitor}`, { headers: { ...auth(v.token), ...withOrigin(o) } })
    },
  },
  { name: 'GET /v1/sites/:site/config', ok: 200, call: (t, o) => t.request('GET', `/v1/sites/${SITE}/config`, { headers: withOrigin(o) }) },
]

describe.each(drivers)('CORS and cookies ($name)', (driver) => {
  const t = useServer(driver)

  const noCredentials = (a: Answer) => expect(a.headers.get('access-control-allow-credentials')).toBeNull()

  it.each(ENDPOINTS)('$name: an allowed Origin is echoed, with Vary: Origin, never credentials', async ({ call, ok }) => {
    const answer = await call(t, ORIGIN)
    expect(answer.status).toBe(ok)
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(answer.headers.get('vary')).toMatch(/Origin/)
    expect(answer.headers.get('access-control-expose-headers')).toMatch(/Retry-After/)
    noCredentials(answer)
  })

  it.each(ENDPOINTS)('$name: a foreign Origin → 403 forbidden_origin without Allow-Origin', async ({ call }) => {
    for (const origin of [OTHER_ORIGIN, 'null', 'https://shop.example.evil.com', 'http://shop.example']) {
      const answer = await call(t, origin)
      expect(answer.status).toBe(403)
      expect(answer.body).toEqual({ error: 'forbidden_origin' })
      expect(answer.headers.get('access-control-allow-origin')).toBeNull()
      noCredentials(answer)
    }
  })

  it.each(ENDPOINTS)('$name: no Origin (server to server) is allowed, with no CORS headers', async ({ call, ok }) => {
    const answer = await call(t, undefined)
    expect(answer.status).toBe(ok)
    expect(answer.headers.get('access-control-allow-origin')).toBeNull()
    noCredentials(answer)
  })

  it('the other site’s origin is foreign to this site', async () => {
    const answer = await t.request('POST', '/v1/collect', { body: { site: 'shop-2', visitor: visitorId(), events: [] }, headers: { origin: ORIGIN } })
    expect(answer.status).toBe(403)
  })

  it.each([
    { path: `/v1/profile?site=${SITE}&visitor=${visitorId()}`, methods: 'GET, PUT, DELETE' },
    { path: '/v1/profile', methods: 'GET, PUT, DELETE' },
    { path: '/v1/identify', methods: 'POST' },
    { path: '/v1/collect', methods: 'POST' },
  ])('preflight of $path: allowed origin gets methods and headers', async ({ path, methods }) => {
    const answer = await t.request('OPTIONS', path, { headers: { origin: ORIGIN, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type' } })
    expect(answer.status).toBe(204)
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(answer.headers.get('access-control-allow-methods')).toBe(methods)
    expect(answer.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type')
    expect(answer.headers.get('vary')).toMatch(/Origin/)
    noCredentials(answer)
  })

  it('preflight of the site config: the site\'s origin may revalidate with If-None-Match; other origins may not', async () => {
    const path = `/v1/sites/${SITE}/config`
    const ask = (origin: string) => t.request('OPTIONS', path, { headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' } })
    const answer = await ask(ORIGIN)
    expect(answer.status).toBe(204)
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(answer.headers.get('access-control-allow-methods')).toBe('GET')
    expect(answer.headers.get('access-control-allow-headers')).toBe('If-None-Match')
    noCredentials(answer)
    const foreign = await ask(OTHER_ORIGIN)
    expect(foreign.status).toBe(403)
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
    // The real request exposes the ETag the client keeps for the next page.
    const config = await t.request('GET', path, { headers: { origin: ORIGIN } })
    expect(config.headers.get('access-control-expose-headers')).toMatch(/ETag/)
  })

  it.each([
    { name: 'a foreign origin', path: '/v1/identify', origin: OTHER_ORIGIN.replace('other', 'nobody') },
    { name: "another site's origin for this site", path: `/v1/profile?site=${SITE}&visitor=${visitorId()}`, origin: OTHER_ORIGIN },
    { name: 'an unknown site', path: `/v1/profile?site=nope&visitor=${visitorId()}`, origin: ORIGIN },
  ])('preflight refuses $name: 403 and no CORS headers', async ({ path, origin }) => {
    const answer = await t.request('OPTIONS', path, { headers: { origin, 'access-control-request-method': 'GET' } })
    expect(answer.status).toBe(403)
    expect(answer.headers.get('access-control-allow-origin')).toBeNull()
    expect(answer.headers.get('access-control-allow-methods')).toBeNull()
  })

  it('errors found before the site is known stay readable by allowed origins (so the client stops retrying)', async () => {
    const bad = await t.request('POST', '/v1/collect', { body: '{oops', headers: { origin: ORIGIN } })
    expect(bad.status).toBe(400)
    expect(bad.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    const foreign = await t.request('POST', '/v1/collect', { body: '{oops', headers: { origin: 'https://nobody.example' } })
    expect(foreign.status).toBe(400)
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('cookies are ignored: a Cookie header changes nothing and no answer sets one', async () => {
    const v = await newVisitor(t)
    const cookie = { cookie: `attune_token=${v.token}; visitor=${v.visitor}` }
    const noToken = await t.request('GET', `/v1/profile?site=${SITE}&visitor=${v.visitor}`, { headers: cookie })
    expect(noToken.status).toBe(401)
    const collect = await t.request('POST', '/v1/collect', { body: { site: SITE, visitor: visitorId(), events: [] }, headers: cookie })
    expect(collect.status).toBe(200)
    for (const a of [noToken, collect]) expect(a.headers.get('set-cookie')).toBeNull()
  })
})
