import { describe, expect, it } from 'vitest'
import { derive } from '../../src/profile/derive'
import { SITE, auth, deviceEntry, drivers, event, newVisitor, signUser, useServer } from './helpers'

describe.each(drivers)('profile sync and identify ($name)', (driver) => {
  const t = useServer(driver)

  const q = (visitor: string) => `?site=${SITE}&visitor=${visitor}`
  const put = (v: { visitor: string; token: string }, device: string, entry: unknown) =>
    t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: v.visitor, device, entry }, headers: auth(v.token) })
  const get = (v: { visitor: string; token: string }) => t.request('GET', `/v1/profile${q(v.visitor)}`, { headers: auth(v.token) })
  const identify = (v: { visitor: string; token: string }, userId: string, signature = signUser(userId)) =>
    t.request('POST', '/v1/identify', { body: { site: SITE, visitor: v.visitor, userId, signature }, headers: auth(v.token) })

  it('PUT stores this device entry; GET returns it in a schema 1 profile', async () => {
    const v = await newVisitor(t)
    const entry = deviceEntry(1, { affinities: { 'category:running': { s: 2, t: 1000 } } })
    expect((await put(v, 'phone', entry)).body).toEqual({ v: 1 })
    const answer = await get(v)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ profile: { schema: 1, devices: { phone: entry } } })
  })

  it('versions must increase: same or lower → 409 with the stored version; higher → stored', async () => {
    const v = await newVisitor(t)
    expect((await put(v, 'd', deviceEntry(5))).status).toBe(200)
    for (const lower of [5, 4, 0]) {
      const stale = await put(v, 'd', deviceEntry(lower))
      expect(stale.status).toBe(409)
      expect(stale.body).toEqual({ error: 'stale', reason: 'stale', stored_v: 5 })
    }
    expect((await put(v, 'd', deviceEntry(6))).status).toBe(200)
    expect((await get(v)).body.profile.devices.d.v).toBe(6)
  })

  it('racing PUTs of the same version: exactly one wins', async () => {
    const v = await newVisitor(t)
    const answers = await Promise.all([1, 2, 3, 4].map((i) => put(v, 'race', deviceEntry(7, { counters: { visits: i } }))))
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409])
  })

  it('PUT keeps only what migrate keeps: bad items dropped, unknown fields left out', async () => {
    const v = await newVisitor(t)
    const answer = await put(v, 'd', { ...deviceEntry(1), counters: { ok: 1, bad: -1, nan: 'x' }, extra: 'ignored' })
    expect(answer.status).toBe(200)
    const [row] = await t.sql<{ entry: Record<string, unknown> }>('SELECT entry FROM profile_entries WHERE site = $1 AND visitor = $2', [SITE, v.visitor])
    expect(row?.entry.counters).toEqual({ ok: 1 })
    expect(row?.entry).not.toHaveProperty('extra')
  })

  it.each([
    { name: 'a non-object entry', entry: 'x' },
    { name: 'a negative version', entry: deviceEntry(-1) },
    { name: 'a fractional version', entry: deviceEntry(1.5) },
    { name: 'counters that are an array', entry: { ...deviceEntry(1), counters: [] } },
  ])('PUT refuses $name with 400 invalid_entry', async ({ entry }) => {
    const v = await newVisitor(t)
    const answer = await put(v, 'd', entry)
    expect(answer.status).toBe(400)
    expect(answer.body.reason).toBe('invalid_entry')
  })

  it('a visitor with neither profile nor events → 404; its first PUT mints its token', async () => {
    const visitor = crypto.randomUUID()
    expect((await t.request('GET', `/v1/profile${q(visitor)}`)).status).toBe(404)
    const first = await t.request('PUT', '/v1/profile', { body: { site: SITE, visitor, device: 'd', entry: deviceEntry(1) } })
    expect(first.status).toBe(200)
    expect(first.body.token).toMatch(/^v1\./)
    expect((await t.request('GET', `/v1/profile${q(visitor)}`, { headers: auth(first.body.token) })).status).toBe(200)
  })

  it('identify links two visitors: both devices converge to the same merged and derived profile', async () => {
    const laptop = await newVisitor(t)
    const phone = await newVisitor(t)
    const a = deviceEntry(3, { affinities: { 'category:running': { s: 3, t: 1000 } }, viewed: [{ id: 'sku-1', t: 1000 }] })
    const b = deviceEntry(2, { affinities: { 'brand:acme': { s: 1, t: 2000 } }, interests: { color: { v: 'blue', t: 2000 } } })
    await put(laptop, 'laptop', a)
    await put(phone, 'phone', b)
    // Before identify, each sees only its own device.
    expect(Object.keys((await get(laptop)).body.profile.devices)).toEqual(['laptop'])

    const first = await identify(laptop, 'user-42')
    expect(first.status).toBe(200)
    expect(Object.keys(first.body.profile.devices)).toEqual(['laptop'])
    const second = await identify(phone, 'user-42')
    expect(second.body.profile).toEqual({ schema: 1, devices: { laptop: a, phone: b } })

    const fromLaptop = (await get(laptop)).body.profile
    const fromPhone = (await get(phone)).body.profile
    expect(fromLaptop).toEqual(fromPhone)
    expect(derive(fromLaptop, 10_000)).toEqual(derive(fromPhone, 10_000))
    expect(Object.keys(derive(fromLaptop, 10_000).affinities).sort()).toEqual(['brand:acme', 'category:running'])
    expect(await t.count('identities', 'site = $1 AND user_id = $2', [SITE, 'user-42'])).toBe(2)
  })

  it('identify with a bad signature links nothing', async () => {
    const v = await newVisitor(t)
    for (const signature of [signUser('someone-else'), signUser('user-x', 'wrong-secret-0123456'), '0'.repeat(64)]) {
      const answer = await identify(v, 'user-x', signature)
      expect(answer.status).toBe(403)
      expect(answer.body).toEqual({ error: 'forbidden', reason: 'bad_signature' })
    }
    expect(await t.count('identities', 'site = $1 AND visitor = $2', [SITE, v.visitor])).toBe(0)
  })

  it('identify accepts an upper-case hex signature', async () => {
    const v = await newVisitor(t)
    expect((await identify(v, 'upper', signUser('upper').toUpperCase())).status).toBe(200)
  })

  it("DELETE erases the visitor and, once identified, the user's other visitors: events, entries, links, visitors", async () => {
    const a = await newVisitor(t)
    const b = await newVisitor(t)
    const bystander = await newVisitor(t)
    for (const v of [a, b, bystander]) {
      await t.request('POST', '/v1/collect', { body: { site: SITE, visitor: v.visitor, token: v.token, events: [event(), event()] } })
      await put(v, `device-of-${v.visitor}`, deviceEntry(1))
    }
    await identify(a, 'user-del')
    await identify(b, 'user-del')
    const these = [a.visitor, b.visitor]
    const counts = async () => ({
      events: await t.count('events', 'site = $1 AND visitor = ANY($2::uuid[])', [SITE, these]),
      entries: await t.count('profile_entries', 'site = $1 AND visitor = ANY($2::uuid[])', [SITE, these]),
      links: await t.count('identities', "site = $1 AND user_id = 'user-del'", [SITE]),
      visitors: await t.count('visitors', 'site = $1 AND visitor = ANY($2::uuid[])', [SITE, these]),
    })
    expect(await counts()).toEqual({ events: 6, entries: 2, links: 2, visitors: 2 })

    const answer = await t.request('DELETE', `/v1/profile${q(a.visitor)}`, { headers: auth(a.token) })
    expect(answer.status).toBe(204)
    expect(answer.text).toBe('')
    expect(await counts()).toEqual({ events: 0, entries: 0, links: 0, visitors: 0 })
    // The bystander keeps everything.
    expect(await t.count('events', 'site = $1 AND visitor = $2', [SITE, bystander.visitor])).toBe(3)
    expect((await get(bystander)).status).toBe(200)

    // The old tokens return no data and cannot bring the visitor back.
    expect((await get(a)).status).toBe(404)
    expect((await get(b)).status).toBe(404)
    const revived = await t.request('POST', '/v1/collect', { body: { site: SITE, visitor: a.visitor, token: a.token, events: [event()] } })
    expect(revived.status).toBe(401)
    expect(revived.body.reason).toBe('unknown_visitor')
    expect((await put(a, 'x', deviceEntry(9))).status).toBe(401)
    expect(await counts()).toEqual({ events: 0, entries: 0, links: 0, visitors: 0 })
    // A retried DELETE is fine.
    expect((await t.request('DELETE', `/v1/profile${q(a.visitor)}`, { headers: auth(a.token) })).status).toBe(204)
  })

  it('a stored entry that no longer validates is left out of GET, not served', async () => {
    const v = await newVisitor(t)
    await put(v, 'good', deviceEntry(1))
    await t.sql(`INSERT INTO profile_entries (site, visitor, device, v, entry, updated_at) VALUES ($1, $2, 'broken', 1, '{"v":"x"}', 0)`, [SITE, v.visitor])
    expect(Object.keys((await get(v)).body.profile.devices)).toEqual(['good'])
  })
})
