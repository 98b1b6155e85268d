import { describe, expect, it } from 'vitest'
import type { StoredEvent } from '../../server/src/db/events'
import { subjectHash } from '../../server/src/lib/erasePerson'
import { timelineItem } from '../../server/src/lib/timeline'
import type { TestServer } from './helpers'
import { ADMIN_KEY, ORIGIN, OTHER_ORIGIN, SECRET, SITE, auth, deviceEntry, drivers, event, newVisitor, signUser, useServer } from './helpers'

type V = { visitor: string; token: string }

const stored = (name: string, props: unknown): StoredEvent => ({ id: 'e', visitor: 'v', name, props: props as Record<string, unknown>, ts: 1, received: 2 })

describe('timelineItem: what a call-center line keeps of an event the page sent', () => {
  it.each([
    { name: 'an event the timeline does not show', event: stored('page_viewed', { path: '/' }), line: undefined },
    { name: 'a name inherited from Object.prototype', event: stored('constructor', {}), line: undefined },
    { name: 'a product without an id', event: stored('product_viewed', { name: 'x' }), line: { kind: 'viewed', product: null } },
    { name: 'a numeric product id, a price as text', event: stored('product_added', { product_id: 42, price: '12.00' }), line: { kind: 'carted', product: { id: '42' } } },
    { name: 'text over 200 characters', event: stored('product_viewed', { sku: 's', name: 'n'.repeat(300) }), line: { kind: 'viewed', product: { id: 's', name: 'n'.repeat(200) } } },
    {
      name: 'an exposure reason with nested values',
      event: stored('exposure', { slot: 'hero', variant: null, reason: { kind: 'audience', audience: 'a', deep: { x: 1 }, list: [1], ok: true } }),
      line: { kind: 'exposure', slot: 'hero', variant: null, experiment: null, reason: { kind: 'audience', audience: 'a', ok: true } },
    },
    { name: 'props that are not an object', event: stored('session_started', ['x']), line: { kind: 'session', campaign: {} } },
    { name: 'an order whose products are junk', event: stored('order_completed', { products: 'x', value: 'lots' }), line: { kind: 'order', orderId: null, value: null, currency: null, products: [] } },
  ])('$name', ({ event, line }) => {
    const item = timelineItem(event)
    if (line === undefined) expect(item).toBeUndefined()
    else expect(item).toEqual({ at: 1, visitor: 'v', session: null, ...line })
  })
})

describe.each(drivers)('call center, audit log, export and erasure ($name)', (driver) => {
  const t = useServer(driver)

  const admin = (method: string, path: string, headers: Record<string, string> = {}) =>
    t.request(method, `/v1/admin/sites/${SITE}${path}`, { headers: { ...auth(ADMIN_KEY), ...headers } })
  const collect = (v: V, evs: ReturnType<typeof event>[]) => t.request('POST', '/v1/collect', { body: { site: SITE, visitor: v.visitor, token: v.token, events: evs } })
  const put = (v: V, device: string, entry: unknown, consent?: object) =>
    t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: v.visitor, device, entry, ...(consent ? { consent } : {}) }, headers: auth(v.token) })
  const identify = (v: V, userId: string) =>
    t.request('POST', '/v1/identify', { body: { site: SITE, visitor: v.visitor, userId, signature: signUser(userId) }, headers: auth(v.token) })
  const exportOf = (v: V, headers: Record<string, string> = auth(v.token)) => t.request('GET', `/v1/profile/export?site=${SITE}&visitor=${v.visitor}`, { headers })
  const audits = (where = 'true', params: unknown[] = []) =>
    t.sql<{ subject_kind: string; subject: string; actor: string; action: string; reason: string | null; ip: string | null }>(
      `SELECT subject_kind, subject, actor, action, reason, ip FROM audit_log WHERE ${where} ORDER BY id`,
      params,
    )
  const auditCount = () => t.count('audit_log')

  /** Two visitors identified as `userId`, each with a device entry and some browsing. */
  const shopper = async (userId: string, base = Date.now() - 60_000) => {
    const laptop = await newVisitor(t)
    const phone = await newVisitor(t)
    await put(laptop, 'laptop', deviceEntry(2, { viewed: [{ id: 'sku-1', t: base }] }), { sync: base })
    await put(phone, 'phone', deviceEntry(1, { interests: { color: { v: 'blue', t: base } } }))
    await identify(laptop, userId)
    await identify(phone, userId)
    return { laptop, phone, base }
  }

  it('the user view merges two linked visitors: both devices, one timeline across them, newest first', async () => {
    // A minute ahead (the server takes up to 24 h), so these come after the visitors' first contact.
    const { laptop, phone, base } = await shopper('user-view', Date.now() + 60_000)
    await collect(laptop, [
      event({ name: 'session_started', ts: base + 1, session: 's-1', props: { utm_source: 'newsletter', landing_path: '/c/running', n: 3 } }),
      event({ name: 'product_viewed', ts: base + 2, session: 's-1', props: { product_id: 'sku-1', name: 'Trail shoe', category: 'running', price: 120, currency: 'EUR' } }),
      event({ name: 'exposure', ts: base + 5, session: 's-1', props: { slot: 'home-hero', variant: 'running', experiment: null, reason: { kind: 'affinity', tag: 'category:running', score: 3 } } }),
    ])
    await collect(phone, [
      event({ name: 'product_added', ts: base + 3, props: { sku: 'sku-2', name: 'Rain jacket' } }),
      event({ name: 'page_viewed', ts: base + 7, props: { path: '/' } }),
      event({ name: 'order_completed', ts: base + 6, props: { order_id: 'o-1', value: 99.5, currency: 'EUR', products: [{ product_id: 'sku-2' }, 'junk'] } }),
    ])
    const answer = await admin('GET', '/users/user-view')
    expect(answer.status).toBe(200)
    expect(answer.body.userId).toBe('user-view')
    expect([...answer.body.visitors].sort()).toEqual([laptop.visitor, phone.visitor].sort())
    expect(Object.keys(answer.body.profile.devices).sort()).toEqual(['laptop', 'phone'])
    expect(answer.body.lastSeen).toBe(base + 7)
    expect(answer.body.timeline).toEqual([
      { kind: 'order', at: base + 6, visitor: phone.visitor, session: null, orderId: 'o-1', value: 99.5, currency: 'EUR', products: [{ id: 'sku-2' }] },
      { kind: 'exposure', at: base + 5, visitor: laptop.visitor, session: 's-1', slot: 'home-hero', variant: 'running', experiment: null, reason: { kind: 'affinity', tag: 'category:running', score: 3 } },
      { kind: 'carted', at: base + 3, visitor: phone.visitor, session: null, product: { id: 'sku-2', name: 'Rain jacket' } },
      { kind: 'viewed', at: base + 2, visitor: laptop.visitor, session: 's-1', product: { id: 'sku-1', name: 'Trail shoe', category: 'running', price: 120, currency: 'EUR' } },
      { kind: 'session', at: base + 1, visitor: laptop.visitor, session: 's-1', campaign: { utm_source: 'newsletter', landing_path: '/c/running' } },
    ])
    const capped = await admin('GET', '/users/user-view?limit=2')
    expect(capped.body.timeline.map((i: { kind: string }) => i.kind)).toEqual(['order', 'exposure'])
  })

  it('a user id is taken as identify took it, percent-encoded in the path', async () => {
    const v = await newVisitor(t)
    await identify(v, 'ana maría/42@example.com')
    const answer = await admin('GET', `/users/${encodeURIComponent('ana maría/42@example.com')}`)
    expect(answer.status).toBe(200)
    expect(answer.body.visitors).toEqual([v.visitor])
  })

  it('every admin read of a person writes exactly one audit row, with its actor and reason', async () => {
    const { laptop } = await shopper('user-audit')
    const reads = [
      { path: '/users/user-audit', kind: 'user', subject: 'user-audit', action: 'read' },
      { path: '/users/user-audit/export', kind: 'user', subject: 'user-audit', action: 'export' },
      { path: `/visitors/${laptop.visitor}`, kind: 'visitor', subject: laptop.visitor, action: 'read' },
      { path: `/visitors/${laptop.visitor}/export`, kind: 'visitor', subject: laptop.visitor, action: 'export' },
    ]
    for (const read of reads) {
      const before = await auditCount()
      const answer = await admin('GET', read.path, { 'x-attune-actor': 'Agent Smith (#7)', 'x-attune-reason': 'caller asked about an order' })
      expect(answer.status).toBe(200)
      expect(await auditCount()).toBe(before + 1)
      const [row] = (await audits()).slice(-1)
      expect(row).toMatchObject({ subject_kind: read.kind, subject: read.subject, actor: 'Agent Smith (#7)', action: read.action, reason: 'caller asked about an order' })
      expect(row?.ip).toEqual(expect.any(String))
    }
    // Without the headers: actor "admin", no reason.
    await admin('GET', '/users/user-audit')
    expect((await audits()).slice(-1)[0]).toMatchObject({ actor: 'admin', reason: null, action: 'read' })
  })

  it("the shopper's export holds everything: both visitors, links, entries with consent proofs, every event, and who read their data", async () => {
    const { laptop, phone, base } = await shopper('user-export')
    // More events than one page of the stream.
    for (let i = 0; i < 3; i++) {
      await collect(laptop, Array.from({ length: 400 }, (_, j) => event({ ts: base + i * 400 + j, props: { path: `/p/${i}-${j}` } })))
    }
    await collect(phone, [event({ name: 'product_viewed', props: { product_id: 'sku-9' } })])
    await admin('GET', '/users/user-export', { 'x-attune-actor': 'agent-1', 'x-attune-reason': 'order question' })
    await admin('GET', `/visitors/${phone.visitor}`, { 'x-attune-actor': 'agent-2' })

    const answer = await exportOf(laptop, { ...auth(laptop.token), origin: ORIGIN })
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    const body = answer.body
    expect(body.site).toBe(SITE)
    expect(body.userId).toBe('user-export')
    expect(body.visitors.map((v: { visitor: string }) => v.visitor).sort()).toEqual([laptop.visitor, phone.visitor].sort())
    expect(body.visitors[0]).not.toHaveProperty('tokenHash')
    expect(body.identities.map((i: { userId: string }) => i.userId)).toEqual(['user-export', 'user-export'])
    expect(Object.keys(body.profile.devices).sort()).toEqual(['laptop', 'phone'])
    const laptopEntry = body.entries.find((e: { device: string }) => e.device === 'laptop')
    expect(laptopEntry).toMatchObject({ visitor: laptop.visitor, v: 2, consent: { sync: base } })
    expect(body.entries.find((e: { device: string }) => e.device === 'phone').consent).toBeNull()
    const stored = await t.count('events', 'site = $1 AND visitor = ANY($2::uuid[])', [SITE, [laptop.visitor, phone.visitor]])
    expect(stored).toBe(1200 + 1 + 2)
    expect(body.events).toHaveLength(stored)
    expect(new Set(body.events.map((e: { id: string }) => e.id)).size).toBe(stored)
    expect(body.audit).toEqual([
      { subjectKind: 'user', subject: 'user-export', actor: 'agent-1', action: 'read', at: expect.any(Number), reason: 'order question' },
      { subjectKind: 'visitor', subject: phone.visitor, actor: 'agent-2', action: 'read', at: expect.any(Number), reason: null },
    ])
    // The shopper reading their own data is not an admin read.
    expect(await t.count('audit_log', 'subject = ANY($1::text[])', [[laptop.visitor, 'user-export']])).toBe(1)
    // The other device's token exports the same person.
    expect((await exportOf(phone)).body.audit).toHaveLength(2)
  })

  it('a missing or wrong admin key is 401 on every person route, and leaves no audit row and nothing erased', async () => {
    const { laptop } = await shopper('user-locked')
    const before = await auditCount()
    const routes = [
      ['GET', '/users/user-locked'],
      ['GET', '/users/user-locked/export'],
      ['DELETE', '/users/user-locked'],
      ['GET', `/visitors/${laptop.visitor}`],
      ['GET', `/visitors/${laptop.visitor}/export`],
      ['DELETE', `/visitors/${laptop.visitor}`],
    ] as const
    for (const headers of [{}, auth('wrong-admin-key-0000'), auth(laptop.token)]) {
      for (const [method, path] of routes) {
        const answer = await t.request(method, `/v1/admin/sites/${SITE}${path}`, { headers: { ...headers, 'x-attune-actor': 'mallory' } })
        expect(answer.status).toBe(401)
        expect(answer.body.error).toBe('unauthorized')
      }
    }
    expect(await auditCount()).toBe(before)
    expect(await t.count('visitors', 'visitor = $1', [laptop.visitor])).toBe(1)
    expect(await t.count('identities', 'user_id = $1', ['user-locked'])).toBe(2)
  })

  it.each<{ name: string; path: string; headers?: Record<string, string>; reason: string }>([
    { name: 'a user id over 200 characters', path: `/users/${'u'.repeat(201)}`, reason: 'schema' },
    { name: 'a visitor id that is no UUID', path: '/visitors/not-a-uuid', reason: 'schema' },
    { name: 'a limit of 0', path: '/users/user-x?limit=0', reason: 'schema' },
    { name: 'a limit over 1000', path: '/users/user-x?limit=1001', reason: 'schema' },
    { name: 'an unknown query field', path: '/users/user-x?since=1', reason: 'unknown_field' },
    { name: 'an actor with a control character', path: '/users/user-x', headers: { 'x-attune-actor': 'agent\u0001' }, reason: 'schema' },
    { name: 'an actor over 100 characters', path: '/users/user-x', headers: { 'x-attune-actor': 'a'.repeat(101) }, reason: 'schema' },
    { name: 'an empty actor', path: '/users/user-x', headers: { 'x-attune-actor': '  ' }, reason: 'schema' },
    { name: 'a reason over 200 characters', path: '/users/user-x', headers: { 'x-attune-reason': 'r'.repeat(201) }, reason: 'schema' },
  ])('$name → 400 and no audit row', async ({ path, headers, reason }) => {
    const v = await newVisitor(t)
    await identify(v, 'user-x')
    const before = await auditCount()
    const answer = await admin('GET', path, headers)
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ error: 'bad_request', reason })
    expect(await auditCount()).toBe(before)
  })

  it('an unknown user or visitor → 404 and no audit row', async () => {
    const before = await auditCount()
    expect((await admin('GET', '/users/nobody')).body).toEqual({ error: 'not_found', reason: 'unknown_user' })
    expect((await admin('GET', '/users/nobody/export')).status).toBe(404)
    expect((await admin('GET', `/visitors/${crypto.randomUUID()}`)).body).toEqual({ error: 'not_found', reason: 'unknown_visitor' })
    expect((await admin('GET', `/visitors/${crypto.randomUUID()}/export`)).status).toBe(404)
    expect(await auditCount()).toBe(before)
  })

  it("the shopper's export needs their own token: none 401, another visitor's 403, a foreign origin 403", async () => {
    const a = await newVisitor(t)
    const b = await newVisitor(t)
    expect((await exportOf(a, {})).status).toBe(401)
    const other = await exportOf(a, auth(b.token))
    expect(other.status).toBe(403)
    expect(other.body).toEqual({ error: 'forbidden', reason: 'other_visitor' })
    expect((await exportOf(a, auth('v1.1.x'))).status).toBe(401)
    const foreign = await exportOf(a, { ...auth(a.token), origin: OTHER_ORIGIN })
    expect(foreign.status).toBe(403)
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
    const preflight = await t.request('OPTIONS', `/v1/profile/export?site=${SITE}&visitor=${a.visitor}`, { headers: { origin: ORIGIN } })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET')
  })

  const everything = async (t: TestServer, visitors: string[], userId: string) => ({
    events: await t.count('events', 'site = $1 AND visitor = ANY($2::uuid[])', [SITE, visitors]),
    entries: await t.count('profile_entries', 'site = $1 AND visitor = ANY($2::uuid[])', [SITE, visitors]),
    identities: await t.count('identities', 'site = $1 AND (visitor = ANY($2::uuid[]) OR user_id = $3)', [SITE, visitors, userId]),
    visitors: await t.count('visitors', 'site = $1 AND visitor = ANY($2::uuid[])', [SITE, visitors]),
    audit: await t.count('audit_log', 'site = $1 AND (subject = ANY($2::text[]) OR subject = $3)', [SITE, visitors, userId]),
  })

  it("erasing a user removes every linked visitor's events, entries, links, visitor rows and audit rows, and nothing of a neighbour", async () => {
    const { laptop, phone } = await shopper('user-erase')
    const neighbour = await shopper('user-neighbour')
    for (const v of [laptop, phone, neighbour.laptop]) await collect(v, [event(), event({ name: 'product_viewed', props: { product_id: 'sku-1' } })])
    await admin('GET', '/users/user-erase')
    await admin('GET', `/visitors/${phone.visitor}`)
    await admin('GET', '/users/user-neighbour')
    const these = [laptop.visitor, phone.visitor]
    const theirs = [neighbour.laptop.visitor, neighbour.phone.visitor]
    expect(await everything(t, these, 'user-erase')).toEqual({ events: 6, entries: 2, identities: 2, visitors: 2, audit: 2 })
    const neighbourBefore = await everything(t, theirs, 'user-neighbour')

    const answer = await admin('DELETE', '/users/user-erase', { 'x-attune-actor': 'agent-dpo', 'x-attune-reason': 'GDPR art. 17 request' })
    expect(answer.status).toBe(204)
    expect(answer.text).toBe('')
    expect(await everything(t, these, 'user-erase')).toEqual({ events: 0, entries: 0, identities: 0, visitors: 0, audit: 0 })
    expect(await everything(t, theirs, 'user-neighbour')).toEqual(neighbourBefore)
    // One row records the erasure, keyed by a hash of the user id only.
    const erased = await audits("action = 'erased'")
    expect(erased.filter((r) => r.subject === subjectHash(SECRET, SITE, { kind: 'user', id: 'user-erase' }))).toEqual([
      { subject_kind: 'user', subject: subjectHash(SECRET, SITE, { kind: 'user', id: 'user-erase' }), actor: 'agent-dpo', action: 'erased', reason: 'GDPR art. 17 request', ip: expect.any(String) },
    ])

    // Afterwards: the user is unknown, the old tokens neither read nor write, and a repeat is 204 with no new row.
    expect((await admin('GET', '/users/user-erase')).status).toBe(404)
    expect((await admin('GET', `/visitors/${laptop.visitor}`)).status).toBe(404)
    expect((await exportOf(laptop)).status).toBe(404)
    expect((await exportOf(phone)).status).toBe(404)
    expect((await collect(laptop, [event()])).status).toBe(401)
    const rows = await auditCount()
    expect((await admin('DELETE', '/users/user-erase')).status).toBe(204)
    expect(await auditCount()).toBe(rows)
    expect(await everything(t, these, 'user-erase')).toEqual({ events: 0, entries: 0, identities: 0, visitors: 0, audit: 0 })
    // The neighbour still reads their data.
    expect((await exportOf(neighbour.laptop)).status).toBe(200)
  })

  it('erasing by visitor removes that visitor and every visitor linked to it', async () => {
    const { laptop, phone } = await shopper('user-erase-by-visitor')
    expect((await admin('DELETE', `/visitors/${phone.visitor}`)).status).toBe(204)
    expect(await everything(t, [laptop.visitor, phone.visitor], 'user-erase-by-visitor')).toEqual({ events: 0, entries: 0, identities: 0, visitors: 0, audit: 0 })
    expect(await audits('subject = $1', [subjectHash(SECRET, SITE, { kind: 'visitor', id: phone.visitor })])).toHaveLength(1)
    expect((await admin('DELETE', `/visitors/${phone.visitor}`)).status).toBe(204)
  })

  it("the shopper's own DELETE also erases the audit rows about them and records the erasure without their IP", async () => {
    const { laptop, phone } = await shopper('user-self-erase')
    await admin('GET', '/users/user-self-erase')
    await admin('GET', `/visitors/${laptop.visitor}`)
    expect((await t.request('DELETE', `/v1/profile?site=${SITE}&visitor=${phone.visitor}`, { headers: auth(phone.token) })).status).toBe(204)
    expect(await everything(t, [laptop.visitor, phone.visitor], 'user-self-erase')).toEqual({ events: 0, entries: 0, identities: 0, visitors: 0, audit: 0 })
    expect(await audits('subject = $1', [subjectHash(SECRET, SITE, { kind: 'visitor', id: phone.visitor })])).toEqual([
      { subject_kind: 'visitor', subject: expect.any(String), actor: 'shopper', action: 'erased', reason: null, ip: null },
    ])
  })
})
