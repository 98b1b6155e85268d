/**
 * The SDK against the real reference server (in-process, through `app.request`), on both
 * drivers: what issue 5 calls "nothing lost, nothing doubled" and "two devices converge".
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune } from '../../src/index'
import { sync, type SyncHandle } from '../../src/sync/index'
import { drivers, signUser, SITE, startServer, type TestDatabase, type TestServer } from './helpers'

const ENDPOINT = 'https://p.example.com'

describe.each(drivers)('the SDK and the server ($name)', (driver) => {
  let db: TestDatabase
  let t: TestServer
  let open: Array<{ a: Attune; handle: SyncHandle }> = []
  /** Network conditions, per test: a function that may throw before and/or after the server answers. */
  let network: { before?: () => void; after?: () => void } = {}
  const viaServer = (async (input: RequestInfo | URL, init?: RequestInit) => {
    network.before?.()
    const response = await t.server.app.request(String(input), init)
    network.after?.()
    return response
  }) as typeof fetch

  /** A device: a browser with its own visitor and device ids, the purposes granted (all by default), ready. */
  const device = async (now = () => Date.now(), purposes?: Parameters<Attune['consent']['grant']>[0]) => {
    const a = createAttune({ site: SITE, storage: 'memory', now })
    const handle = sync(a, { endpoint: ENDPOINT, fetch: viaServer })
    open.push({ a, handle })
    const ready = new Promise((resolve) => a.on('ready', resolve))
    a.consent.grant(purposes)
    await ready
    return { a, handle }
  }
  const stored = (name?: string) => t.count('events', name ? 'name = $1' : 'true', name ? [name] : [])

  beforeAll(async () => {
    db = await driver.open()
    t = await startServer(db.url)
  })
  afterEach(async () => {
    network = {}
    for (const { a, handle } of open) {
      handle.stop()
      await a.destroy()
    }
    open = []
    await t.sql('DELETE FROM events')
  })
  afterAll(async () => {
    await t.server.close()
    await db.drop()
  })

  it('stores every event once, though the page was offline when they were tracked', async () => {
    const { a, handle } = await device()
    network.before = () => {
      throw new TypeError('Failed to fetch')
    }
    for (let i = 0; i < 300; i++) a.track('offline', { i })
    await handle.flush()
    expect(await stored('offline')).toBe(0)
    network = {}
    await handle.flush()
    await vi.waitFor(async () => expect(await stored('offline')).toBe(300))
  })

  it('stores nothing twice when the server committed but the answers were lost three times', async () => {
    const { a, handle } = await device()
    let lost = 3
    network.after = () => {
      if (lost-- > 0) throw new TypeError('connection reset')
    }
    for (let i = 0; i < 50; i++) a.track('acked-late', { i })
    for (let i = 0; i < 4; i++) await handle.flush()
    expect(await stored('acked-late')).toBe(50)
    await handle.flush()
    expect(await stored('acked-late')).toBe(50)
  })

  it('brings a profile learnt on one device to another once both are the same signed-in user', async () => {
    let now = 1_750_000_000_000
    const clock = () => now
    const phone = await device(clock)
    for (let i = 0; i < 4; i++) phone.a.track('product_viewed', { product_id: `run-${i}`, category: 'Running' })
    await phone.handle.identify('user-42', { signature: signUser('user-42') })
    const laptop = await device(clock)
    laptop.a.track('product_viewed', { product_id: 'hike-1', category: 'Hiking' })
    expect(laptop.a.profile.get().affinities['category:running']).toBeUndefined()
    await laptop.handle.identify('user-42', { signature: signUser('user-42') })
    expect(laptop.a.profile.get().affinities['category:running']).toBeCloseTo(4)
    // The phone hears of the laptop on its next sync: then both derive the same profile.
    await phone.handle.sync()
    expect(phone.a.profile.get().affinities['category:hiking']).toBeCloseTo(1)
    now += 3 * 864e5
    expect(phone.a.profile.get()).toEqual(laptop.a.profile.get())
  })

  it('sends events with measurement alone, and the profile only with sync', async () => {
    const requests: string[] = []
    network.before = () => {}
    const original = viaServer
    const { a, handle } = await device(undefined, ['personalization', 'measurement'])
    handle.stop()
    const watched = sync(a, {
      endpoint: ENDPOINT,
      fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
        requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`)
        return original(input, init)
      }) as typeof fetch,
    })
    open.push({ a, handle: watched })
    a.track('product_viewed', { product_id: 'p1', category: 'Running' })
    await watched.flush()
    await watched.sync()
    expect(requests).toEqual(['POST /v1/collect'])
    a.consent.grant('sync')
    await vi.waitFor(() => expect(requests).toContain('PUT /v1/profile'))
    expect(await t.count('profile_entries')).toBeGreaterThan(0)
  })

  it('sends the profile with sync alone, and no events', async () => {
    const entries = await t.count('profile_entries')
    const { a, handle } = await device(undefined, ['personalization', 'sync'])
    const before = await stored()
    a.track('product_viewed', { product_id: 'p2', category: 'Hiking' })
    await handle.flush()
    await handle.sync()
    expect(await stored()).toBe(before)
    expect(await t.count('profile_entries')).toBeGreaterThan(entries)
  })

  it('refuses identify with a forged signature, and merges nothing', async () => {
    const errors: string[] = []
    const links = await t.count('identities')
    const { a, handle } = await device()
    a.on('error', (e) => errors.push(e.message))
    a.track('product_viewed', { product_id: 'x', category: 'Running' })
    await handle.identify('user-42', { signature: signUser('user-42', 'not-the-secret') })
    expect(errors).toContainEqual(expect.stringMatching(/identify\(\) was refused/))
    expect(await t.count('identities')).toBe(links)
  })

  it('erases the visitor on the server when consent is withdrawn', async () => {
    const { a, handle } = await device()
    let visitor = ''
    network.before = () => {}
    const seen = viaServer
    const spy = (async (input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.body) visitor ||= (JSON.parse(String(init.body)) as { visitor: string }).visitor
      return seen(input, init)
    }) as typeof fetch
    handle.stop()
    const watched = sync(a, { endpoint: ENDPOINT, fetch: spy })
    open.push({ a, handle: watched })
    a.track('before-withdrawal')
    await watched.flush()
    expect(await stored('before-withdrawal')).toBe(1)
    a.consent.withdraw()
    await vi.waitFor(async () => expect(await stored('before-withdrawal')).toBe(0))
    expect(visitor).not.toBe('')
    expect(await t.count('visitors', 'visitor = $1', [visitor])).toBe(0)
  })
})
