import { describe, expect, it } from 'vitest'
import cases from '../fixtures/conditions.json'
import { checkConfig } from '../../src/decide/checkConfig'
import { ADMIN_KEY, ORIGIN, SITE, auth, drivers, event, events, newVisitor, signUser, startServer, useServer } from './helpers'

describe.each(drivers)('site config and admin ($name)', (driver) => {
  const t = useServer(driver)

  const admin = (method: string, path: string, body?: unknown) => t.request(method, `/v1/admin${path}`, { body, headers: auth(ADMIN_KEY) })

  it('a new site serves {} with ETag and Cache-Control; If-None-Match → 304; a change → new ETag', async () => {
    const first = await t.request('GET', `/v1/sites/${SITE}/config`)
    expect(first.status).toBe(200)
    expect(first.body).toEqual({})
    expect(first.headers.get('cache-control')).toBe('public, max-age=60, stale-while-revalidate=600')
    const etag = first.headers.get('etag') as string
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/)

    for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, '*']) {
      const again = await t.request('GET', `/v1/sites/${SITE}/config`, { headers: { 'if-none-match': inm } })
      expect(again.status).toBe(304)
      expect(again.text).toBe('')
      expect(again.headers.get('etag')).toBe(etag)
      expect(again.headers.get('cache-control')).toMatch(/max-age=60/)
    }
    expect((await t.request('GET', `/v1/sites/${SITE}/config`, { headers: { 'if-none-match': '"other"' } })).status).toBe(200)

    const config = { goals: ['order_completed'], variants: { hero: [{ id: 'a' }, { id: 'b' }] }, experiments: [{ key: 'hero', slot: 'hero', variants: ['a', 'b'] }] }
    const written = await admin('PUT', `/sites/${SITE}/config`, { config })
    expect(written.status).toBe(200)
    const changed = await t.request('GET', `/v1/sites/${SITE}/config`, { headers: { 'if-none-match': etag } })
    expect(changed.status).toBe(200)
    expect(changed.body).toEqual(config)
    expect(changed.headers.get('etag')).not.toBe(etag)
    expect(changed.headers.get('etag')).toBe(written.body.etag)
  })

  // The client's table of conditions: the server accepts what the browser evaluates and refuses,
  // with the browser's own reason, what it would warn about.
  it.each((cases as Array<{ name: string; condition: unknown }>).map((c) => [c.name, c.condition] as const))('admin PUT checks audience conditions as the browser does: %s', async (name, condition) => {
    const config = { audiences: [{ id: 'a', condition }] }
    const why = checkConfig(config)
    // What warns in the browser is always refused; the guard is stricter still (an `in` without a list).
    if (name.startsWith('invalid:')) expect(why).toMatch(/^audience a: /)
    const put = await admin('PUT', `/sites/${SITE}/config`, { config })
    if (typeof why == 'string') expect(put.body).toEqual({ error: 'bad_request', reason: 'invalid_config', message: why })
    expect(put.status).toBe(typeof why == 'string' ? 400 : 200)
  })

  it.each([
    ['an experiment on an unknown variant', { variants: { hero: [{ id: 'a' }] }, experiments: [{ key: 'x', slot: 'hero', variants: ['a', 'b'] }] }, /experiment x: unknown or repeated variant/],
    ['a script in declarative content', { variants: { hero: [{ id: 'a', content: [{ tag: 'script', children: ['x()'] }] }] } }, /slot hero variant a: content: tag script is not allowed/],
    ['a javascript: link', { variants: { hero: [{ id: 'a', content: [{ tag: 'a', attrs: { href: 'javascript:x()' } }] }] } }, /href must be an http\(s\) or relative URL/],
    ['an event handler in an edit', { variants: { hero: [{ id: 'a', edits: [{ select: 'a', attrs: { onclick: 'x()' } }] }] } }, /edit: attribute onclick is not allowed/],
    ['a traffic share over 1', { variants: { hero: [{ id: 'a' }] }, experiments: [{ key: 'x', slot: 'hero', variants: ['a'], traffic: 2 }] }, /bad traffic/],
  ])('admin PUT refuses a config with %s, with the reason, and keeps the stored one', async (_name, config, why) => {
    const before = (await admin('GET', `/sites/${SITE}/config`)).body.config
    const put = await admin('PUT', `/sites/${SITE}/config`, { config })
    expect(put.status).toBe(400)
    expect(put.body).toMatchObject({ reason: 'invalid_config', message: expect.stringMatching(why) })
    expect((await admin('GET', `/sites/${SITE}/config`)).body.config).toEqual(before)
  })

  it('admin PUT creates a site with origins and identify secret; they take effect at once', async () => {
    const put = await admin('PUT', '/sites/fresh-site/config', { config: { a: 1 }, origins: ['https://fresh.example'], identifySecret: 'fresh-identify-secret' })
    expect(put.body).toMatchObject({ site: 'fresh-site', config: { a: 1 }, origins: ['https://fresh.example'], hasIdentifySecret: true })
    expect(put.text).not.toContain('fresh-identify-secret')
    const visitor = crypto.randomUUID()
    const collect = await t.request('POST', '/v1/collect', { body: { site: 'fresh-site', visitor, events: [event()] }, headers: { origin: 'https://fresh.example' } })
    expect(collect.status).toBe(200)
    expect(collect.headers.get('access-control-allow-origin')).toBe('https://fresh.example')
    const identify = await t.request('POST', '/v1/identify', {
      body: { site: 'fresh-site', visitor, userId: 'u', signature: signUser('u', 'fresh-identify-secret') },
      headers: auth(collect.body.token),
    })
    expect(identify.status).toBe(200)
    // A later PUT without origins keeps them.
    await admin('PUT', '/sites/fresh-site/config', { config: { a: 2 } })
    expect((await admin('GET', '/sites/fresh-site/config')).body).toMatchObject({ config: { a: 2 }, origins: ['https://fresh.example'] })
  })

  it.each([
    { name: 'no Authorization', headers: {} },
    { name: 'a wrong key', headers: auth('admin-key-0123456780') },
    { name: 'a key prefix', headers: auth(ADMIN_KEY.slice(0, -1)) },
    { name: 'a longer key', headers: auth(`${ADMIN_KEY}0`) },
    { name: 'Basic auth', headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString('base64')}` } },
    { name: "a visitor's token", headers: {} as Record<string, string>, visitorToken: true },
  ])('admin refuses $name with 401 on every route', async ({ headers, visitorToken }) => {
    const h = visitorToken ? auth((await newVisitor(t)).token) : headers
    for (const [method, path] of [
      ['GET', `/v1/admin/sites/${SITE}/config`],
      ['PUT', `/v1/admin/sites/${SITE}/config`],
      ['GET', `/v1/admin/sites/${SITE}/export`],
      ['GET', `/v1/admin/sites/${SITE}/visitors/${crypto.randomUUID()}`],
    ] as const) {
      const answer = await t.request(method, path, { headers: h, body: method === 'PUT' ? { config: { hacked: true } } : undefined })
      expect(answer.status).toBe(401)
      expect(answer.body.error).toBe('unauthorized')
    }
    expect((await t.request('GET', `/v1/sites/${SITE}/config`)).body).not.toHaveProperty('hacked')
  })

  it('a server without an admin key refuses every admin request', async () => {
    const locked = await startServer(t.url, { db: t.server.db, adminKey: undefined })
    const answer = await locked.request('GET', `/v1/admin/sites/${SITE}/config`, { headers: auth('') })
    expect(answer.status).toBe(401)
    expect(answer.body.reason).toBe('admin_disabled')
    await locked.server.drain()
  })

  it('export streams every event of the site as NDJSON, across pages', async () => {
    const { visitor, token } = await newVisitor(t)
    for (let i = 0; i < 3; i++) await t.request('POST', '/v1/collect', { body: { site: SITE, visitor, token, events: events(500) } })
    const total = await t.count('events', 'site = $1', [SITE])
    const res = await t.server.app.request(`/v1/admin/sites/${SITE}/export`, { headers: auth(ADMIN_KEY) })
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/)
    const lines = (await res.text()).trim().split('\n')
    expect(lines.length).toBe(total)
    const rows = lines.map((l) => JSON.parse(l))
    expect(new Set(rows.map((r) => r.id)).size).toBe(total)
    expect(rows[0]).toEqual({ id: expect.any(String), visitor: expect.any(String), name: 'page_viewed', props: { path: '/' }, ts: expect.any(Number), session: null, received: expect.any(Number) })
    const ids = rows.map((r) => r.id)
    expect([...ids].sort()).toEqual(ids)
  })

  it('admin visitor view: profile, linked visitors, user id and recent events', async () => {
    const v = await newVisitor(t)
    await t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: v.visitor, device: 'd', entry: { v: 1 } }, headers: auth(v.token) })
    await t.request('POST', '/v1/identify', { body: { site: SITE, visitor: v.visitor, userId: 'crm-1', signature: signUser('crm-1') }, headers: auth(v.token) })
    const answer = await admin('GET', `/sites/${SITE}/visitors/${v.visitor}`)
    expect(answer.status).toBe(200)
    expect(answer.body).toMatchObject({ site: SITE, visitor: v.visitor, userId: 'crm-1', visitors: [v.visitor] })
    expect(Object.keys(answer.body.profile.devices)).toEqual(['d'])
    expect(answer.body.events).toHaveLength(1)
  })

  it('a site configured with an initial config serves it; a restart with another keeps the stored one', async () => {
    const seeded = await startServer(t.url, { db: t.server.db, sites: { seeded: { config: { first: true } } } })
    expect((await seeded.request('GET', '/v1/sites/seeded/config')).body).toEqual({ first: true })
    const again = await startServer(t.url, { db: t.server.db, sites: { seeded: { config: { second: true } } } })
    expect((await again.request('GET', '/v1/sites/seeded/config')).body).toEqual({ first: true })
    await seeded.server.drain()
    await again.server.drain()
  })

  it('the configured origins of ATTUNE_SITES are in the sites table', async () => {
    const rows = await t.sql<{ origins: string[] }>('SELECT origins FROM sites WHERE site = $1', [SITE])
    expect(rows[0]?.origins).toContain(ORIGIN)
  })
})
