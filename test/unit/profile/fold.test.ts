import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { DeviceEntry, ProfileEvent } from '../../../src/profile/model'
import { DEFAULT_PROFILE_CONFIG, MAX_RECENT, emptyEntry } from '../../../src/profile/model'
import { canonical } from '../../../src/profile/merge'
import {
  MAX_AFFINITIES,
  MAX_EVENT_COUNTERS,
  MAX_STAMPED,
  assignExperiment,
  fold,
  foldAll,
  setInterest,
  setTrait,
} from '../../../src/profile/fold'

const HALF = DEFAULT_PROFILE_CONFIG.halfLifeMs
const T = 1_700_000_000_000
const ev = (name: string, props: Record<string, unknown> = {}, ts = T): ProfileEvent => ({ name, props, ts })

describe('fold counts each event kind', () => {
  it.each<[string, string]>([
    ['session_started', 'visits'],
    ['page_viewed', 'page_views'],
    ['product_viewed', 'product_views'],
    ['product_added', 'carts'],
    ['order_completed', 'orders'],
    ['newsletter_signup', 'event:newsletter_signup'],
    ['constructor', 'event:constructor'],
  ])('%s → %s', (name, counter) => {
    const once = fold(emptyEntry(), ev(name))
    const twice = fold(once, ev(name))
    expect(once.v).toBe(1)
    expect(twice.v).toBe(2)
    expect(twice.counters).toEqual({ [counter]: 2 })
  })

  it(`stops creating event:<name> counters past ${MAX_EVENT_COUNTERS}, but keeps counting known ones`, () => {
    let entry = emptyEntry()
    for (let i = 0; i < MAX_EVENT_COUNTERS + 10; i++) entry = fold(entry, ev(`custom_${i}`))
    entry = fold(fold(entry, ev('custom_0')), ev('page_viewed'))
    expect(Object.keys(entry.counters)).toHaveLength(MAX_EVENT_COUNTERS + 1)
    expect(entry.counters['event:custom_0']).toBe(2)
    expect(entry.counters['event:custom_105']).toBeUndefined()
    expect(entry.counters.page_views).toBe(1)
  })

  it.each<[string, ProfileEvent]>([
    ['a NaN time', ev('page_viewed', {}, Number.NaN)],
    ['an infinite time', ev('page_viewed', {}, Infinity)],
    ['an empty name', ev('')],
  ])('ignores an event with %s, returning the entry as is', (_name, event) => {
    const entry = emptyEntry()
    expect(fold(entry, event)).toBe(entry)
  })
})

describe('fold keeps recently viewed and carted products', () => {
  it.each<[string, Record<string, unknown>, string | undefined]>([
    ['product_id', { product_id: 'sku-1', sku: 'other' }, 'sku-1'],
    ['sku when there is no product_id', { sku: 'sku-2', id: 'other' }, 'sku-2'],
    ['id as a last resort', { id: 'sku-3' }, 'sku-3'],
    ['a numeric id, as a string', { product_id: 42 }, '42'],
    ['nothing for an object id', { product_id: { x: 1 } }, undefined],
    ['nothing for an empty id', { product_id: '' }, undefined],
    ['nothing for an id over 100 characters', { product_id: 'x'.repeat(101) }, undefined],
    ['nothing for NaN', { product_id: Number.NaN }, undefined],
  ])('reads %s', (_name, props, id) => {
    const entry = fold(emptyEntry(), ev('product_viewed', props))
    expect(entry.viewed).toEqual(id === undefined ? [] : [{ id, t: T }])
  })

  it('moves a product seen again to the front, once', () => {
    let entry = emptyEntry()
    for (const [id, ts] of [['a', 1], ['b', 2], ['c', 3], ['a', 4]] as const) entry = fold(entry, ev('product_viewed', { product_id: id }, ts))
    expect(entry.viewed).toEqual([{ id: 'a', t: 4 }, { id: 'c', t: 3 }, { id: 'b', t: 2 }])
    expect(entry.carted).toEqual([])
  })

  it('files a late event by its time and never moves a product back in time', () => {
    let entry = fold(fold(emptyEntry(), ev('product_added', { sku: 'a' }, 10)), ev('product_added', { sku: 'b' }, 20))
    entry = fold(entry, ev('product_added', { sku: 'c' }, 15))
    entry = fold(entry, ev('product_added', { sku: 'b' }, 5))
    expect(entry.carted).toEqual([{ id: 'b', t: 20 }, { id: 'c', t: 15 }, { id: 'a', t: 10 }])
  })

  it('orders products seen in the same millisecond by id, as derive expects', () => {
    const entry = foldAll(emptyEntry(), ['b', 'c', 'a'].map((id) => ev('product_viewed', { product_id: id }, 7)))
    expect(entry.viewed.map((item) => item.id)).toEqual(['a', 'b', 'c'])
  })

  it(`keeps at most ${MAX_RECENT}, dropping the oldest`, () => {
    const events = Array.from({ length: 60 }, (_, i) => ev('product_viewed', { product_id: `p${i}` }, i))
    const entry = foldAll(emptyEntry(), events)
    expect(entry.viewed).toHaveLength(MAX_RECENT)
    expect(entry.viewed[0]).toEqual({ id: 'p59', t: 59 })
    expect(entry.viewed.at(-1)).toEqual({ id: 'p10', t: 10 })
  })
})

describe('fold scores affinities', () => {
  it.each<[string, ProfileEvent, Record<string, number>]>([
    ['a view by its category and brand', ev('product_viewed', { category: ' Running ', brand: 'Acme' }), { 'category:running': 1, 'brand:acme': 1 }],
    ['an add to cart at weight 3', ev('product_added', { category: 'running' }), { 'category:running': 3 }],
    ['breadcrumbs, each once', ev('product_viewed', { category: ['Shoes', 'Running', 'shoes'] }), { 'category:shoes': 1, 'category:running': 1 }],
    [
      "each of an order's products at weight 5",
      ev('order_completed', { products: [{ category: 'running' }, { category: 'running', brand: 'acme' }, 'junk', null] }),
      { 'category:running': 10, 'brand:acme': 5 },
    ],
    ['nothing for events without a weight', ev('page_viewed', { category: 'running' }), {}],
    ['nothing for empty, blank, long or non-string values', ev('product_viewed', { category: ['', '  ', 'x'.repeat(101), 7, null], brand: {} }), {}],
    ['nothing for properties that are not dimensions', ev('product_viewed', { color: 'red' }), {}],
  ])('%s', (_name, event, expected) => {
    const entry = fold(emptyEntry(), event)
    const scores = Object.fromEntries(Object.entries(entry.affinities).map(([k, a]) => [k, a.s]))
    expect(scores).toEqual(expected)
    for (const a of Object.values(entry.affinities)) expect(a.t).toBe(event.ts)
  })

  it('decays the old score to the event time, then adds the weight', () => {
    const first = fold(emptyEntry(), ev('product_added', { brand: 'acme' }, T))
    const second = fold(first, ev('product_viewed', { brand: 'acme' }, T + HALF))
    expect(second.affinities['brand:acme']).toEqual({ s: 3 / 2 + 1, t: T + HALF })
  })

  it('adds a late event decayed to the stored time instead of rewinding it', () => {
    const first = fold(emptyEntry(), ev('product_viewed', { brand: 'acme' }, T + HALF))
    const late = fold(first, ev('product_added', { brand: 'acme' }, T))
    expect(late.affinities['brand:acme']).toEqual({ s: 1 + 3 / 2, t: T + HALF })
  })

  it('follows the configured dimensions and weights', () => {
    const config = { dimensions: ['color'], weights: { wishlisted: 2 } }
    const entry = fold(emptyEntry(), ev('wishlisted', { color: 'Red', category: 'running' }), config)
    expect(entry.affinities).toEqual({ 'color:red': { s: 2, t: T } })
  })

  it(`keeps at most ${MAX_AFFINITIES} keys, dropping the smallest decayed scores`, () => {
    let entry = emptyEntry()
    // brand:b0 is strong but old; the others are fresh, so b0 decays to the smallest.
    entry = foldAll(entry, [ev('order_completed', { brand: 'b0' }, T - 10 * HALF)])
    const events = Array.from({ length: MAX_AFFINITIES + 5 }, (_, i) => ev('product_viewed', { brand: `b${i + 1}` }, T + i))
    entry = foldAll(entry, events)
    const keys = Object.keys(entry.affinities)
    expect(keys).toHaveLength(MAX_AFFINITIES)
    expect(keys).not.toContain('brand:b0')
    expect(keys).toContain(`brand:b${MAX_AFFINITIES + 5}`)
    // b1…b5 were the oldest of equal weight, so they went next.
    expect(keys.filter((k) => /^brand:b[1-5]$/.test(k))).toEqual([])
  })
})

describe('fold and foldAll', () => {
  const anyEvent = fc.record({
    name: fc.constantFrom('session_started', 'page_viewed', 'product_viewed', 'product_added', 'order_completed', 'other'),
    props: fc.record(
      {
        product_id: fc.constantFrom('p1', 'p2', 3),
        category: fc.oneof(fc.constantFrom('Run', 'walk'), fc.array(fc.constantFrom('a', 'B', ''), { maxLength: 3 })),
        brand: fc.constantFrom('x', 'y'),
        products: fc.array(fc.record({ category: fc.constantFrom('run', 'c') }), { maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
    ts: fc.integer({ min: T, max: T + 10 * HALF }),
  })

  it('never mutate their input, and foldAll equals folding one at a time', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 20 }), fc.array(anyEvent, { maxLength: 20 }), (before, events) => {
        const entry = foldAll(emptyEntry(), before)
        const snapshot = canonical(entry)
        const batch = foldAll(entry, events)
        const oneByOne = events.reduce<DeviceEntry>((e, event) => fold(e, event), entry)
        expect(canonical(entry)).toBe(snapshot)
        expect(batch).toStrictEqual(oneByOne)
        expect(batch.v).toBe(entry.v + events.length)
      }),
      { numRuns: 200 },
    )
  })

  it('share the parts an event does not touch', () => {
    const entry = setTrait(fold(emptyEntry(), ev('product_viewed', { brand: 'x', product_id: 'p' })), 'tier', 'gold', T)
    const next = fold(entry, ev('page_viewed'))
    expect(next).not.toBe(entry)
    expect(next.affinities).toBe(entry.affinities)
    expect(next.viewed).toBe(entry.viewed)
    expect(next.traits).toBe(entry.traits)
    expect(next.counters).not.toBe(entry.counters)
  })
})

describe('setInterest and setTrait', () => {
  it.each([
    ['setInterest', setInterest, 'interests'],
    ['setTrait', setTrait, 'traits'],
  ] as const)('%s stores, overwrites and removes with a tombstone', (_name, set, field) => {
    const a = set(emptyEntry(), 'size', 42, 1)
    const b = set(a, 'size', { eu: 42 }, 2)
    const c = set(b, 'size', undefined, 3)
    expect(a[field]).toEqual({ size: { v: 42, t: 1 } })
    expect(b[field]).toEqual({ size: { v: { eu: 42 }, t: 2 } })
    expect(c[field]).toStrictEqual({ size: { t: 3 } })
    expect([a.v, b.v, c.v]).toEqual([1, 2, 3])
    expect(a[field]).toEqual({ size: { v: 42, t: 1 } })
  })

  it.each(['', '__proto__', 'constructor', 'x'.repeat(101)])('ignores the unusable key %j', (key) => {
    const entry = emptyEntry()
    expect(setInterest(entry, key, 1, T)).toBe(entry)
  })

  it(`keeps at most ${MAX_STAMPED}, dropping the oldest write but never the new one`, () => {
    let entry = emptyEntry()
    for (let i = 0; i < MAX_STAMPED; i++) entry = setTrait(entry, `k${i}`, i, 100 + i)
    entry = setTrait(entry, 'late', true, 50)
    expect(Object.keys(entry.traits)).toHaveLength(MAX_STAMPED)
    expect(entry.traits.k0).toBeUndefined()
    expect(entry.traits.late).toEqual({ v: true, t: 50 })
    entry = setTrait(entry, 'k1', 'again', 999)
    expect(Object.keys(entry.traits)).toHaveLength(MAX_STAMPED)
  })
})

describe('assignExperiment', () => {
  it('records the first assignment and keeps it (sticky)', () => {
    const first = assignExperiment(emptyEntry(), 'hero', 'B', 10)
    const again = assignExperiment(first, 'hero', 'A', 20)
    expect(first.experiments).toEqual({ hero: { variant: 'B', t: 10 } })
    expect(first.v).toBe(1)
    expect(again).toBe(first)
  })

  it('assigns a toString experiment even though Object.prototype has one', () => {
    expect(assignExperiment(emptyEntry(), 'toString', 'A', 1).experiments).toEqual({ toString: { variant: 'A', t: 1 } })
  })

  it.each<[string, string, string, number]>([
    ['an empty variant', 'hero', '', 1],
    ['a __proto__ key', '__proto__', 'A', 1],
    ['a NaN time', 'hero', 'A', Number.NaN],
  ])('ignores %s', (_name, key, variant, now) => {
    const entry = emptyEntry()
    expect(assignExperiment(entry, key, variant, now)).toBe(entry)
  })
})
