import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { DeviceEntry, Profile, ProfileView } from '../../../src/profile/model'
import { DEFAULT_PROFILE_CONFIG, emptyEntry, emptyProfile } from '../../../src/profile/model'
import { decay, derive } from '../../../src/profile/derive'

const DAY = 24 * 3600 * 1000
const HALF = DEFAULT_PROFILE_CONFIG.halfLifeMs
const NOW = 1_700_000_000_000

const device = (patch: Partial<DeviceEntry>): DeviceEntry => ({ ...emptyEntry(), v: 1, ...patch })
const profileOf = (devices: Record<string, Partial<DeviceEntry>>): Profile => ({
  schema: 1,
  devices: Object.fromEntries(Object.entries(devices).map(([id, patch]) => [id, device(patch)])),
})
const items = (...pairs: Array<[string, number]>) => pairs.map(([id, t]) => ({ id, t }))

describe('decay', () => {
  it.each<[string, number, number, number, number, number]>([
    ['keeps the score at its own time', 8, NOW, NOW, HALF, 8],
    ['halves it after exactly one half-life', 8, NOW - HALF, NOW, HALF, 4],
    ['quarters it after two', 8, NOW - 2 * HALF, NOW, HALF, 2],
    ['uses the half-life it is given', 8, NOW - DAY, NOW, DAY, 4],
    ['counts a future time as now', 8, NOW + DAY, NOW, HALF, 8],
    ['decays negative scores toward zero too', -8, NOW - HALF, NOW, HALF, -4],
  ])('%s', (_name, score, from, now, halfLife, expected) => {
    expect(decay(score, from, now, halfLife)).toBe(expected)
  })
})

type Case = [string, Record<string, Partial<DeviceEntry>>, Partial<ProfileView>]

const cases: Case[] = [
  ['an empty profile derives empty fields', {}, { counters: {}, affinities: {}, viewed: [], carted: [], traits: {}, interests: {}, experiments: {} }],
  [
    'counters are summed over devices',
    { a: { counters: { visits: 2, orders: 1 } }, b: { counters: { visits: 3, 'event:signup': 1 } } },
    { counters: { visits: 5, orders: 1, 'event:signup': 1 } },
  ],
  [
    'affinities are decayed to now, then summed',
    { a: { affinities: { 'category:run': { s: 4, t: NOW - HALF } } }, b: { affinities: { 'category:run': { s: 1, t: NOW } } } },
    { affinities: { 'category:run': 3 } },
  ],
  [
    'an affinity stamped in the future counts at its full score',
    { a: { affinities: { 'brand:x': { s: 5, t: NOW + 7 * DAY } } } },
    { affinities: { 'brand:x': 5 } },
  ],
  [
    'a score stamped in the future stays whole while the others decay',
    { a: { affinities: { 'brand:x': { s: 5, t: NOW + DAY }, 'brand:y': { s: 8, t: NOW - HALF } } }, b: { affinities: { 'brand:x': { s: 2, t: NOW - HALF } } } },
    { affinities: { 'brand:x': 6, 'brand:y': 4 } },
  ],
  [
    'affinities that decayed under 0.001 are left out',
    { a: { affinities: { 'brand:old': { s: 1, t: NOW - 20 * HALF }, 'brand:new': { s: 0.001, t: NOW } } } },
    { affinities: { 'brand:new': 0.001 } },
  ],
  [
    'negative sums are left out',
    { a: { affinities: { 'brand:x': { s: -1, t: NOW } } } },
    { affinities: {} },
  ],
  [
    'recent lists are unioned, newest time per id, newest first, ties by id',
    { a: { viewed: items(['p1', 50], ['p2', 30]) }, b: { viewed: items(['p2', 40], ['p3', 40], ['p0', 10]) } },
    { viewed: items(['p1', 50], ['p2', 40], ['p3', 40], ['p0', 10]) },
  ],
  [
    'carted products are unioned the same way, apart from viewed ones',
    { a: { carted: items(['c1', 5]), viewed: items(['v1', 9]) }, b: { carted: items(['c2', 6]) } },
    { carted: items(['c2', 6], ['c1', 5]), viewed: items(['v1', 9]) },
  ],
  [
    'the newest trait wins',
    { a: { traits: { tier: { v: 'gold', t: 20 } } }, b: { traits: { tier: { v: 'silver', t: 10 } } } },
    { traits: { tier: 'gold' } },
  ],
  [
    'a trait written at the same time on two devices goes to the greater device id',
    { b: { traits: { tier: { v: 'from b', t: 10 } } }, a: { traits: { tier: { v: 'from a', t: 10 } } } },
    { traits: { tier: 'from b' } },
  ],
  [
    'a newer removal hides an older value from another device',
    { a: { interests: { size: { v: 42, t: 10 } } }, b: { interests: { size: { t: 20 } } } },
    { interests: {} },
  ],
  [
    'a newer value beats an older removal',
    { a: { interests: { size: { v: 43, t: 30 } } }, b: { interests: { size: { t: 20 } } } },
    { interests: { size: 43 } },
  ],
  [
    'interests keep JSON values as they are',
    { a: { interests: { colors: { v: ['red', { dark: true }], t: 1 }, vegan: { v: null, t: 1 } } } },
    { interests: { colors: ['red', { dark: true }], vegan: null } },
  ],
  [
    'the earliest experiment assignment wins',
    { a: { experiments: { hero: { variant: 'B', t: 20 } } }, b: { experiments: { hero: { variant: 'A', t: 10 } } } },
    { experiments: { hero: 'A' } },
  ],
  [
    'assignments made at the same time go to the smaller device id',
    { b: { experiments: { hero: { variant: 'B', t: 10 } } }, a: { experiments: { hero: { variant: 'A', t: 10 } } } },
    { experiments: { hero: 'A' } },
  ],
]

describe('derive', () => {
  it.each(cases)('%s', (_name, devices, expected) => {
    const view = derive(profileOf(devices), NOW)
    for (const [field, value] of Object.entries(expected)) {
      expect(view[field as keyof ProfileView], field).toStrictEqual(value)
    }
  })

  it('caps the recent union at 50, keeping the newest', () => {
    const many = (prefix: string, from: number) => Array.from({ length: 50 }, (_, i) => ({ id: `${prefix}${i}`, t: from - i * 2 }))
    const view = derive(profileOf({ a: { viewed: many('a', 1000) }, b: { viewed: many('b', 999) } }), NOW)
    expect(view.viewed).toHaveLength(50)
    expect(view.viewed[0]).toEqual({ id: 'a0', t: 1000 })
    expect(view.viewed[49]).toEqual({ id: 'b24', t: 951 })
  })

  it('uses the configured half-life', () => {
    const p = profileOf({ a: { affinities: { 'brand:x': { s: 8, t: NOW - DAY } } } })
    expect(derive(p, NOW, { halfLifeMs: DAY }).affinities).toEqual({ 'brand:x': 4 })
  })

  it('is not fooled by keys named after Object.prototype members', () => {
    const p = profileOf({
      a: { counters: { constructor: 1 }, traits: { toString: { v: 'x', t: 1 } }, experiments: { valueOf: { variant: 'A', t: 5 } } },
      b: { counters: { constructor: 2 }, experiments: { valueOf: { variant: 'B', t: 1 } } },
    })
    const view = derive(p, NOW)
    expect(view.counters).toEqual({ constructor: 3 })
    expect(view.traits).toEqual({ toString: 'x' })
    expect(view.experiments).toEqual({ valueOf: 'B' })
  })

  it('keeps a __proto__ key as data', () => {
    const p = emptyProfile()
    p.devices.a = JSON.parse('{"v":1,"counters":{"__proto__":1},"affinities":{},"viewed":[],"carted":[],"traits":{},"interests":{},"experiments":{}}')
    const view = derive(p, NOW)
    expect(Object.getPrototypeOf(view.counters)).toBe(Object.prototype)
    expect(Object.keys(view.counters)).toEqual(['__proto__'])
  })

  it('returns recent items the caller may change without touching the profile', () => {
    const p = profileOf({ a: { viewed: items(['p1', 1]) } })
    const view = derive(p, NOW)
    ;(view.viewed[0] as { t: number }).t = 99
    expect(p.devices.a?.viewed[0]?.t).toBe(1)
  })

  it('gives the same view whatever was derived before it', () => {
    const p = profileOf({
      a: { affinities: { 'brand:x': { s: 3, t: NOW - 3 * DAY }, 'brand:y': { s: 1, t: NOW - 40 * DAY } } },
      b: { affinities: { 'brand:x': { s: 2, t: NOW - DAY } } },
    })
    const fresh = derive(structuredClone(p), NOW + 5 * DAY)
    derive(p, NOW)
    derive(profileOf({ c: { affinities: { 'brand:z': { s: 1, t: NOW } } } }), NOW)
    derive(p, NOW + DAY)
    expect(derive(p, NOW + 5 * DAY)).toStrictEqual(fresh)
    expect(derive(p, NOW + 5 * DAY, { halfLifeMs: DAY })).toStrictEqual(derive(structuredClone(p), NOW + 5 * DAY, { halfLifeMs: DAY }))
  })

  it('decays and sums affinities as the per-key formula says, at any time', () => {
    const time = fc.integer({ min: NOW - 60 * DAY, max: NOW + 2 * DAY })
    const affinities = fc.dictionary(fc.constantFrom('brand:a', 'brand:b', 'category:c'), fc.record({ s: fc.double({ min: 0, max: 50, noNaN: true }), t: time }))
    const devices = fc.dictionary(fc.constantFrom('d1', 'd2', 'd3'), affinities, { noNullPrototype: true })
    fc.assert(
      fc.property(devices, fc.array(time, { minLength: 1, maxLength: 4 }), (byDevice, times) => {
        const p = profileOf(Object.fromEntries(Object.entries(byDevice).map(([id, a]) => [id, { affinities: a }])))
        for (const now of times) {
          const expected: Record<string, number> = {}
          for (const a of Object.values(byDevice)) {
            for (const [key, { s, t }] of Object.entries(a)) expected[key] = (expected[key] ?? 0) + s * 2 ** (-(now - Math.min(t, now)) / HALF)
          }
          const got = derive(p, now).affinities
          for (const [key, sum] of Object.entries(expected)) {
            // Tolerance only for sums on the 0.001 edge, where rounding may fall either way.
            if (Math.abs(sum - 0.001) < 1e-12) continue
            if (sum < 0.001) expect(got[key], key).toBeUndefined()
            else expect(got[key] as number, key).toBeCloseTo(sum, 9)
          }
          expect(Object.keys(got).every((key) => key in expected)).toBe(true)
        }
      }),
      { numRuns: 200 },
    )
  })
})
