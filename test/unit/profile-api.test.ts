import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../src/index'
import { freshIndexedDb } from './fresh'

let instances: Attune[] = []
let errors: AttuneError[] = []
const start = async (options: Partial<Parameters<typeof createAttune>[0]> = {}): Promise<Attune> => {
  const a = createAttune({ site: 'shop-1', ...options })
  instances.push(a)
  a.on('error', (e) => errors.push(e))
  const ready = new Promise((resolve) => a.on('ready', resolve))
  a.consent.grant()
  await ready
  return a
}

beforeEach(() => {
  freshIndexedDb()
  errors = []
})
afterEach(async () => {
  await Promise.all(instances.map((a) => a.destroy()))
  instances = []
  localStorage.clear()
})

describe('profile.get()', () => {
  it('derives counters, affinities and recent products from what was tracked', async () => {
    let t = 1_000
    const a = await start({ now: () => t++ })
    a.track('product_viewed', { product_id: 'sku-1', category: 'Running', brand: 'Northpeak' })
    a.track('product_viewed', { product_id: 'sku-2', category: 'Running' })
    a.track('product_added', { product_id: 'sku-1', category: 'Running' })
    const view = a.profile.get()
    expect(view.counters).toMatchObject({ product_views: 2, carts: 1 })
    expect(view.viewed.map((p) => p.id)).toEqual(['sku-2', 'sku-1'])
    expect(view.carted.map((p) => p.id)).toEqual(['sku-1'])
    expect(view.affinities['category:running']).toBeCloseTo(5)
    expect(view.affinities['brand:northpeak']).toBeCloseTo(1)
  })

  it('decays affinities with the configured half-life', async () => {
    let t = 0
    const a = await start({ now: () => t, profile: { halfLifeDays: 7 } })
    a.track('product_viewed', { product_id: 'sku-1', category: 'Running' })
    t = 7 * 864e5
    expect(a.profile.get().affinities['category:running']).toBeCloseTo(0.5)
  })

  it('learns only from the configured dimensions and weights', async () => {
    const a = await start({ now: () => 1_000, profile: { dimensions: ['color'], weights: { product_viewed: 2 } } })
    a.track('product_viewed', { product_id: 'sku-1', category: 'Running', color: 'Red' })
    expect(a.profile.get().affinities).toEqual({ 'color:red': 2 })
  })

  it('is empty without personalization consent, and nothing is learned', async () => {
    const a = createAttune({ site: 'shop-1' })
    instances.push(a)
    a.consent.grant('measurement')
    a.track('product_viewed', { product_id: 'sku-1', category: 'Running' })
    expect(a.profile.get().counters).toEqual({})
    expect(await indexedDB.databases()).toEqual([])
  })
})

describe('personalization granted after another purpose', () => {
  it('still loads the profile and stores what is learnt', async () => {
    const a = createAttune({ site: 'shop-1' })
    instances.push(a)
    const ready = new Promise((resolve) => a.on('ready', resolve))
    a.consent.grant('measurement')
    await ready
    a.consent.grant('personalization')
    a.track('tick')
    await vi.waitFor(async () => {
      const stored = await a.profile.export()
      expect(Object.values(stored.profile.devices)[0]?.counters['event:tick']).toBe(1)
      expect(stored.device).toBeDefined()
    })
  })
})

describe('profile.setInterest()', () => {
  it('records a stated preference and removes it with undefined', async () => {
    const a = await start()
    a.profile.setInterest('shoe_size', 42)
    a.profile.setInterest('style', ['trail', 'road'])
    expect(a.profile.get().interests).toEqual({ shoe_size: 42, style: ['trail', 'road'] })
    a.profile.setInterest('shoe_size', undefined)
    expect(a.profile.get().interests).toEqual({ style: ['trail', 'road'] })
  })

  it.each([
    ['a value that is not JSON', 'k', () => 1, /the value/],
    ['an empty key', '', 1, /needs a key of 1–100 characters/],
  ])('reports %s and stores nothing', async (_n, key, value, message) => {
    const a = await start()
    a.profile.setInterest(key, value as never)
    expect(a.profile.get().interests).toEqual({})
    expect(errors.at(-1)).toMatchObject({ code: 'bad_call', message: expect.stringMatching(message) })
  })

  it('needs personalization consent', () => {
    const a = createAttune({ site: 'shop-1', storage: 'memory' })
    instances.push(a)
    a.on('error', (e) => errors.push(e))
    a.profile.setInterest('size', 'M')
    expect(errors[0]?.message).toMatch(/needs personalization consent/)
  })
})

describe('profile.export()', () => {
  it('returns everything stored, versioned', async () => {
    const a = await start({ now: () => 5_000 })
    a.track('product_viewed', { product_id: 'sku-1' })
    a.profile.setInterest('size', 'M')
    const data = await a.profile.export()
    expect(data).toMatchObject({ format: 'attune-export', version: 1, site: 'shop-1', exportedAt: 5_000, consent: { personalization: true } })
    const id = data.device!.device
    expect(Object.keys(data.profile.devices)).toEqual([id])
    expect(data.profile.devices[id]!.interests.size).toEqual({ v: 'M', t: 5_000 })
    expect(data.view.viewed[0]!.id).toBe('sku-1')
    expect(JSON.parse(JSON.stringify(data))).toEqual(data)
  })
})

describe('profile.delete()', () => {
  it('deletes the database and the remembered consent, and attune goes dormant', async () => {
    const a = await start()
    a.track('tick')
    await vi.waitFor(async () => expect(await indexedDB.databases()).toEqual([expect.objectContaining({ name: 'attune-shop-1' })]))
    await a.profile.delete()
    expect(await indexedDB.databases()).toEqual([])
    expect(localStorage.length).toBe(0)
    expect(a.consent.get()).toEqual({ personalization: false, measurement: false, sync: false })
    a.track('after')
    expect(a.profile.get().counters).toEqual({})
  })
})

describe('two tabs of one browser', () => {
  it('share one device entry and hear each other’s writes', async () => {
    const one = await start()
    const two = await start()
    one.track('tick')
    two.track('tick')
    await vi.waitFor(() => {
      expect(one.profile.get().counters['event:tick']).toBe(2)
      expect(two.profile.get().counters['event:tick']).toBe(2)
    })
    const [a, b] = await Promise.all([one.profile.export(), two.profile.export()])
    expect(a.device).toEqual(b.device)
  })

  it('go dormant together when one deletes everything', async () => {
    const one = await start({ storage: 'indexeddb' })
    const two = await start()
    await one.profile.delete()
    await vi.waitFor(() => expect(two.consent.get().personalization).toBe(false))
    expect(await indexedDB.databases()).toEqual([])
  })

  it('when one denies personalization alone, the other loses its profile but keeps measurement and sync', async () => {
    const one = await start()
    const two = await start()
    one.consent.deny('personalization')
    await vi.waitFor(() => expect(two.consent.get().personalization).toBe(false))
    // Given a moment for anything else the wipe's message might bring.
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(two.consent.get()).toEqual({ personalization: false, measurement: true, sync: true })
  })
})
