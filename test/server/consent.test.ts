import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune } from '../../src/index'
import type { Purpose } from '../../src/consent'
import { sync, type SyncHandle } from '../../src/sync/index'
import { ORIGIN, SITE, auth, deviceEntry, drivers, event, newVisitor, signUser, useServer, visitorId } from './helpers'

const GRANTED_AT = Date.UTC(2025, 0, 2, 10, 0, 0)
const TC_STRING = 'CQB0XQAQB0XQAAGABCENBJFgAP_gAAAAAAAAAAAAAAAA.YAAAAAAAAAAA'

describe.each(drivers)('the consent proof and Sec-GPC ($name)', (driver) => {
  const t = useServer(driver)

  const put = (v: { visitor: string; token?: string }, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.request('PUT', '/v1/profile', {
      body: { site: SITE, visitor: v.visitor, device: 'd', entry: deviceEntry(1), ...body },
      headers: { ...(v.token ? auth(v.token) : {}), ...headers },
    })
  const storedProof = async (visitor: string) =>
    (await t.sql<{ consent: unknown }>('SELECT consent FROM profile_entries WHERE site = $1 AND visitor = $2', [SITE, visitor]))[0]?.consent

  it('a profile write under Sec-GPC: 1 without a consent proof: 403 gpc, nothing stored', async () => {
    const v = await newVisitor(t)
    const answer = await put(v, {}, { 'sec-gpc': '1' })
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'forbidden', reason: 'gpc', message: expect.stringMatching(/Sec-GPC: 1.*consent\.sync/) })
    expect(await t.count('profile_entries', 'site = $1 AND visitor = $2', [SITE, v.visitor])).toBe(0)
  })

  it('a TC string alone is no proof of sync: still 403 under Sec-GPC: 1', async () => {
    const v = await newVisitor(t)
    const answer = await put(v, { consent: { tcf: TC_STRING } }, { 'sec-gpc': '1' })
    expect(answer.status).toBe(403)
    expect(answer.body.reason).toBe('gpc')
  })

  it('refused on first contact too, before a visitor is created, and readable by the page (CORS)', async () => {
    const visitor = visitorId()
    const answer = await put({ visitor }, {}, { 'sec-gpc': '1', origin: ORIGIN })
    expect(answer.status).toBe(403)
    expect(answer.body.reason).toBe('gpc')
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(await t.count('visitors', 'site = $1 AND visitor = $2', [SITE, visitor])).toBe(0)
  })

  it('with the proof that the shopper granted sync, the write under Sec-GPC: 1 is stored, and its proof with it', async () => {
    const v = await newVisitor(t)
    const proof = { sync: GRANTED_AT, tcf: TC_STRING }
    const answer = await put(v, { consent: proof }, { 'sec-gpc': '1' })
    expect(answer.status).toBe(200)
    expect(await storedProof(v.visitor)).toEqual(proof)

    // A newer write replaces the entry and the proof it was written with.
    const next = await put(v, { entry: deviceEntry(2), consent: { sync: GRANTED_AT + 1 } }, { 'sec-gpc': '1' })
    expect(next.status).toBe(200)
    expect(await storedProof(v.visitor)).toEqual({ sync: GRANTED_AT + 1 })
  })

  it('without Sec-GPC (or with another value) a write needs no proof, and stores none', async () => {
    for (const headers of [{}, { 'sec-gpc': '0' }] as Record<string, string>[]) {
      const v = await newVisitor(t)
      expect((await put(v, {}, headers)).status).toBe(200)
      expect(await storedProof(v.visitor)).toBeNull()
    }
  })

  it('identify writes no profile entry: Sec-GPC does not apply to it', async () => {
    const v = await newVisitor(t)
    const answer = await t.request('POST', '/v1/identify', {
      body: { site: SITE, visitor: v.visitor, userId: 'user-gpc', signature: signUser('user-gpc') },
      headers: { ...auth(v.token), 'sec-gpc': '1' },
    })
    expect(answer.status).toBe(200)
  })

  it('collect accepts the proof (it is sent with every batch) and stores the events', async () => {
    const v = await newVisitor(t)
    for (const consent of [{}, { sync: GRANTED_AT }, { tcf: TC_STRING }, { sync: GRANTED_AT, tcf: TC_STRING }]) {
      const answer = await t.request('POST', '/v1/collect', { body: { site: SITE, visitor: v.visitor, token: v.token, events: [event()], consent } })
      expect(answer.status).toBe(200)
      expect(answer.body.accepted).toBe(1)
    }
  })

  it.each([
    { name: 'sync as a boolean', consent: { sync: true }, reason: 'schema' },
    { name: 'a negative time', consent: { sync: -1 }, reason: 'schema' },
    { name: 'a fractional time', consent: { sync: 1.5 }, reason: 'schema' },
    { name: 'a TC string that is not base64url', consent: { tcf: 'CQ <b>' }, reason: 'schema' },
    { name: 'a TC string over 32 KiB', consent: { tcf: 'A'.repeat(32_769) }, reason: 'schema' },
    { name: 'an unknown field', consent: { sync: GRANTED_AT, at: GRANTED_AT }, reason: 'unknown_field' },
    { name: 'not an object', consent: 'yes', reason: 'schema' },
  ])('a malformed proof ($name) is 400 $reason on collect and on PUT', async ({ consent, reason }) => {
    const v = await newVisitor(t)
    const collect = await t.request('POST', '/v1/collect', { body: { site: SITE, visitor: v.visitor, token: v.token, events: [event()], consent } })
    expect(collect.status).toBe(400)
    expect(collect.body.reason).toBe(reason)
    const profile = await put(v, { consent })
    expect(profile.status).toBe(400)
    expect(profile.body.reason).toBe(reason)
    expect(await t.count('events', 'site = $1 AND visitor = $2', [SITE, v.visitor])).toBe(1)
  })
})

describe.each(drivers)('the SDK under Sec-GPC: 1 against the server ($name)', (driver) => {
  const t = useServer(driver)
  const open: Array<{ a: Attune; handle: SyncHandle }> = []
  afterEach(async () => {
    for (const { a, handle } of open.splice(0)) {
      handle.stop()
      await a.destroy()
    }
  })

  /** A page whose site set `respectGpc: false`, in a browser that sends `Sec-GPC: 1` with every request. */
  const page = (options: { default?: Purpose[] } = {}) => {
    const a = createAttune({ site: SITE, storage: 'memory', consent: { respectGpc: false, default: options.default ?? [] } })
    /** The answers to its profile writes: status and body. */
    const puts: Array<{ status: number; body: unknown }> = []
    const gpcBrowser = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
      const response = await t.server.app.request(String(input), { ...init, headers: { ...(init.headers as Record<string, string>), 'sec-gpc': '1' } })
      if (init.method === 'PUT') puts.push({ status: response.status, body: await response.clone().json() })
      return response
    }) as typeof fetch
    const handle = sync(a, { endpoint: 'https://p.example.com', fetch: gpcBrowser })
    open.push({ a, handle })
    return { a, handle, puts }
  }
  /** Tracks a product view, lets it land in the profile, pushes it, and returns this device's stored rows. */
  const pushed = async (a: Attune, handle: SyncHandle) => {
    await new Promise((resolve) => a.on('ready', resolve))
    a.track('product_viewed', { product_id: 'sku-1' })
    await vi.waitFor(() => expect(a.profile.get().counters.product_views).toBe(1))
    await handle.sync()
    const device = (await a.profile.export()).device?.device
    expect(device).toBeTypeOf('string')
    return t.sql<{ consent: { sync?: number } | null }>('SELECT consent FROM profile_entries WHERE site = $1 AND device = $2', [SITE, device])
  }

  it("the shopper's own grant of sync is proof enough: the profile is stored, with the grant's time", async () => {
    const { a, handle, puts } = page()
    const before = Date.now()
    a.consent.grant()
    const rows = await pushed(a, handle)
    expect(puts.map((p) => p.status)).toContain(200)
    expect(puts.map((p) => p.status)).not.toContain(403)
    expect(rows).toHaveLength(1)
    expect(rows[0]?.consent?.sync).toBeGreaterThanOrEqual(before)
    expect(rows[0]?.consent?.sync).toBeLessThanOrEqual(Date.now())
  })

  it('sync granted only by the site default is refused (403 gpc): nothing is stored', async () => {
    const { a, handle, puts } = page({ default: ['personalization', 'sync'] })
    expect(await pushed(a, handle)).toEqual([])
    // Each try (the push, and the one scheduled after the profile changed if it came first) is refused.
    expect(puts.length).toBeGreaterThan(0)
    for (const answer of puts) expect(answer).toEqual({ status: 403, body: expect.objectContaining({ error: 'forbidden', reason: 'gpc' }) })
  })
})
