import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { DeviceEntry, JsonValue, Profile } from '../../../src/profile/model'
import { emptyEntry, emptyProfile } from '../../../src/profile/model'
import { canonical, merge } from '../../../src/profile/merge'

const RUNS = { numRuns: 300 }

// Few ids, versions and values, so the same device with the same version but different content
// (and prototype-sensitive ids) turn up in most runs.
const deviceId = fc.constantFrom('a', 'b', 'c', '__proto__', 'constructor')
const time = fc.integer({ min: 0, max: 5 })
const key = fc.constantFrom('x', 'y', 'toString', '__proto__')
const recent = fc.uniqueArray(fc.record({ id: fc.constantFrom('p1', 'p2', 'p3'), t: time }), {
  selector: (item) => item.id,
  maxLength: 3,
})
// fast-check types JSON object members as optional; the values it generates never hold undefined.
const json = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>
const stamped = fc.oneof(fc.record({ v: json, t: time }), fc.record({ t: time }))

const entry: fc.Arbitrary<DeviceEntry> = fc.record({
  v: fc.integer({ min: 0, max: 2 }),
  counters: fc.dictionary(fc.constantFrom('visits', 'orders', 'event:x'), fc.nat(3)),
  affinities: fc.dictionary(
    fc.constantFrom('category:a', 'brand:b'),
    fc.record({ s: fc.double({ noNaN: true, noDefaultInfinity: true }), t: time }),
  ),
  viewed: recent,
  carted: recent,
  traits: fc.dictionary(key, stamped),
  interests: fc.dictionary(key, stamped),
  experiments: fc.dictionary(key, fc.record({ variant: fc.constantFrom('A', 'B'), t: time })),
})

const profile: fc.Arbitrary<Profile> = fc
  .dictionary(deviceId, entry, { noNullPrototype: true, maxKeys: 4 })
  .map((devices) => ({ schema: 1, devices }))

/** Merges `profiles` in the order and grouping `choices` picks: any binary tree over any permutation. */
const mergeSomehow = (profiles: Profile[], choices: number[]): Profile => {
  const order = profiles.map((p, i) => ({ p, k: choices[i] ?? 0 })).sort((x, y) => x.k - y.k)
  const work = order.map((o) => o.p)
  let step = 0
  while (work.length > 1) {
    const i = (choices[step++ % Math.max(choices.length, 1)] ?? 0) % (work.length - 1)
    work.splice(i, 2, merge(work[i] as Profile, work[i + 1] as Profile))
  }
  return work[0] as Profile
}

describe('merge', () => {
  it('is commutative, down to the order of device ids', () => {
    fc.assert(
      fc.property(profile, profile, (a, b) => {
        const ab = merge(a, b)
        const ba = merge(b, a)
        expect(ab).toStrictEqual(ba)
        expect(Object.keys(ab.devices)).toEqual(Object.keys(ba.devices))
      }),
      RUNS,
    )
  })

  it('is associative', () => {
    fc.assert(
      fc.property(profile, profile, profile, (a, b, c) => {
        expect(merge(merge(a, b), c)).toStrictEqual(merge(a, merge(b, c)))
      }),
      RUNS,
    )
  })

  it('is idempotent', () => {
    fc.assert(
      fc.property(profile, profile, (a, b) => {
        expect(merge(a, a)).toStrictEqual(a)
        const ab = merge(a, b)
        expect(merge(ab, b)).toStrictEqual(ab)
        expect(merge(ab, a)).toStrictEqual(ab)
      }),
      RUNS,
    )
  })

  it('with an empty profile is the identity', () => {
    fc.assert(
      fc.property(profile, (a) => {
        expect(merge(a, emptyProfile())).toStrictEqual(a)
        expect(merge(emptyProfile(), a)).toStrictEqual(a)
      }),
      RUNS,
    )
  })

  it('keeps every device, each at the highest version either side had', () => {
    fc.assert(
      fc.property(profile, profile, (a, b) => {
        const merged = merge(a, b)
        const ids = new Set([...Object.keys(a.devices), ...Object.keys(b.devices)])
        expect(new Set(Object.keys(merged.devices))).toEqual(ids)
        for (const id of ids) {
          const versions = [a, b].filter((p) => Object.hasOwn(p.devices, id)).map((p) => (p.devices[id] as DeviceEntry).v)
          const kept = merged.devices[id] as DeviceEntry
          expect(kept.v).toBe(Math.max(...versions))
          // The winner is one of the inputs' entries, never a blend.
          const candidates = [a, b].filter((p) => Object.hasOwn(p.devices, id)).map((p) => canonical(p.devices[id]))
          expect(candidates).toContain(canonical(kept))
        }
      }),
      RUNS,
    )
  })

  it('lets any two replicas that saw the same entries agree, whatever the order and grouping', () => {
    const seen = fc.array(profile, { minLength: 1, maxLength: 6 })
    const choices = fc.array(fc.nat(1000), { minLength: 1, maxLength: 8 })
    fc.assert(
      fc.property(seen, choices, choices, (profiles, first, second) => {
        expect(mergeSomehow(profiles, first)).toStrictEqual(mergeSomehow(profiles, second))
      }),
      RUNS,
    )
  })

  it('does not mutate its inputs', () => {
    fc.assert(
      fc.property(profile, profile, (a, b) => {
        const before = [canonical(a), canonical(b)]
        merge(a, b)
        expect([canonical(a), canonical(b)]).toEqual(before)
      }),
      RUNS,
    )
  })

  it('keeps __proto__ and constructor device ids as plain keys without touching prototypes', () => {
    const a: Profile = JSON.parse('{"schema":1,"devices":{"__proto__":{"v":2,"counters":{"visits":1},"affinities":{},"viewed":[],"carted":[],"traits":{},"interests":{},"experiments":{}}}}')
    const b: Profile = { schema: 1, devices: { constructor: { ...emptyEntry(), v: 1 } } }
    const merged = merge(a, b)
    expect(Object.getPrototypeOf(merged.devices)).toBe(Object.prototype)
    expect(Object.keys(merged.devices)).toEqual(['__proto__', 'constructor'])
    expect(Object.getOwnPropertyDescriptor(merged.devices, '__proto__')?.value).toBe(a.devices['__proto__'])
    expect(({} as Record<string, unknown>).v).toBeUndefined()
    // A side without the device must not read Object.prototype.constructor as an entry.
    expect(merge(b, emptyProfile()).devices.constructor).toBe(b.devices.constructor)
    expect(merge(emptyProfile(), a)).toStrictEqual(a)
  })

  it('on equal versions picks the same entry whichever side it is on', () => {
    const x: Profile = { schema: 1, devices: { d: { ...emptyEntry(), v: 3, counters: { visits: 1 } } } }
    const y: Profile = { schema: 1, devices: { d: { ...emptyEntry(), v: 3, counters: { visits: 2 } } } }
    expect(merge(x, y).devices.d).toBe(merge(y, x).devices.d)
  })
})

describe('canonical', () => {
  it.each<[string, unknown, unknown]>([
    ['key order', { a: 1, b: 2 }, { b: 2, a: 1 }],
    ['nested key order', { o: { x: [1, { p: 1, q: 2 }] } }, { o: { x: [1, { q: 2, p: 1 }] } }],
  ])('ignores %s', (_name, x, y) => {
    expect(canonical(x)).toBe(canonical(y))
  })

  it.each<[string, unknown, unknown]>([
    ['0 from -0', 0, -0],
    ['null from NaN', null, Number.NaN],
    ['a missing key from an undefined one', {}, { a: undefined }],
    ['a string from a number', '1', 1],
    ['an array from an object', [1], { 0: 1 }],
  ])('tells %s', (_name, x, y) => {
    expect(canonical(x)).not.toBe(canonical(y))
  })
})
