import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Profile } from '../../../src/profile/model'
import { emptyEntry, emptyProfile } from '../../../src/profile/model'
import { isProfile, migrate } from '../../../src/profile/migrate'
import { fold, setInterest, assignExperiment } from '../../../src/profile/fold'

const v0 = {
  deviceId: 'dev-1',
  counters: { visits: 3, orders: 1 },
  affinities: { 'category:running': { s: 2.5, t: 100 } },
  viewed: [{ id: 'p2', t: 90 }, { id: 'p1', t: 80 }],
  carted: [{ id: 'p1', t: 85 }],
  traits: { tier: { v: 'gold', t: 10 } },
  interests: { size: { v: 42, t: 20 } },
  experiments: { hero: { variant: 'B', t: 5 } },
}

const current = (): Profile => {
  let entry = fold(emptyEntry(), { name: 'product_viewed', props: { product_id: 'p1', category: 'run' }, ts: 1000 })
  entry = assignExperiment(setInterest(entry, 'size', { eu: 42 }, 1001), 'hero', 'A', 1002)
  return { schema: 1, devices: { 'dev-1': entry, 'dev-2': emptyEntry() } }
}

const errorOf = (raw: unknown): string => {
  const result = migrate(raw)
  if (!('error' in result)) throw new Error(`expected an error, got ${JSON.stringify(result)}`)
  return result.error
}

describe('migrate', () => {
  it('moves a v0 record into its device entry at version 1', () => {
    const { deviceId, ...fields } = v0
    expect(migrate(v0)).toStrictEqual({ profile: { schema: 1, devices: { [deviceId]: { v: 1, ...fields } } } })
  })

  it('reads a v0 record with missing fields as empty ones', () => {
    expect(migrate({ deviceId: 'd', counters: { visits: 1 } })).toStrictEqual({
      profile: { schema: 1, devices: { d: { ...emptyEntry(), v: 1, counters: { visits: 1 } } } },
    })
  })

  it('returns a current profile as an equal copy sharing nothing with it', () => {
    const profile = current()
    const result = migrate(profile)
    expect(result).toStrictEqual({ profile })
    if ('profile' in result) expect(result.profile.devices['dev-1']?.interests).not.toBe(profile.devices['dev-1']?.interests)
  })

  it('survives a JSON round trip', () => {
    const profile = current()
    expect(migrate(JSON.parse(JSON.stringify(profile)))).toStrictEqual({ profile })
  })

  it.each<[string, unknown, RegExp]>([
    ['null', null, /must be an object/],
    ['a string', 'profile', /must be an object/],
    ['a number', 1, /must be an object/],
    ['an array', [], /must be an object/],
    ['a Date', new Date(0), /must be an object/],
    ['an unknown object', { hello: 'world' }, /unsupported profile schema: undefined/],
    ['a future schema', { schema: 2, devices: {} }, /unsupported profile schema: 2/],
    ['a schema as a string', { schema: '1', devices: {} }, /unsupported profile schema: string/],
    ['devices missing', { schema: 1 }, /devices must be an object/],
    ['devices as an array', { schema: 1, devices: [] }, /devices must be an object/],
    ['a null entry', { schema: 1, devices: { d: null } }, /devices\["d"\] must be an object/],
    ['an entry as a string', { schema: 1, devices: { d: 'x' } }, /must be an object/],
    ['a version missing', { schema: 1, devices: { d: { counters: {} } } }, /v must be a non-negative integer/],
    ['a version as a string', { schema: 1, devices: { d: { v: '3' } } }, /v must be a non-negative integer/],
    ['a fractional version', { schema: 1, devices: { d: { v: 1.5 } } }, /v must be a non-negative integer/],
    ['a negative version', { schema: 1, devices: { d: { v: -1 } } }, /v must be a non-negative integer/],
    ['counters as an array', { schema: 1, devices: { d: { v: 1, counters: [1] } } }, /counters must be an object/],
    ['viewed as an object', { schema: 1, devices: { d: { v: 1, viewed: {} } } }, /viewed must be an array/],
    ['traits as null', { schema: 1, devices: { d: { v: 1, traits: null } } }, /traits must be an object/],
    ['a v0 record without a usable deviceId', { ...v0, deviceId: 7 }, /deviceId/],
    ['a v0 record for device __proto__', { ...v0, deviceId: '__proto__' }, /deviceId/],
    ['a v0 record with experiments as a string', { ...v0, experiments: 'A' }, /experiments must be an object/],
  ])('rejects %s', (_name, raw, reason) => {
    expect(errorOf(raw)).toMatch(reason)
  })

  it('drops malformed items inside an otherwise sound record', () => {
    const raw = JSON.parse(
      JSON.stringify({
        schema: 1,
        devices: {
          d: {
            v: 4,
            counters: { visits: 2, bad: 'x', neg: -1, nil: null },
            affinities: { 'brand:a': { s: 1, t: 2 }, 'brand:b': { s: 'x', t: 2 }, 'brand:c': 3 },
            viewed: [{ id: 'a', t: 1 }, { id: 'b', t: 5 }, null, { id: '', t: 3 }, { id: 'a', t: 9 }, { id: 'c' }],
            carted: ['x'],
            traits: { ok: { v: [1, { a: null }], t: 1 }, gone: { t: 2 }, noTime: { v: 1 }, nested: { v: { __proto__: 1 }, t: 1 } },
            interests: { s: 'bare string' },
            experiments: { hero: { variant: 'A', t: 1 }, empty: { variant: '', t: 1 }, num: { variant: 3, t: 1 } },
            extra: 'ignored',
          },
        },
      }).replace('"nested":{"v":{}', '"nested":{"v":{"__proto__":1}'),
    )
    expect(migrate(raw)).toStrictEqual({
      profile: {
        schema: 1,
        devices: {
          d: {
            v: 4,
            counters: { visits: 2 },
            affinities: { 'brand:a': { s: 1, t: 2 } },
            viewed: [{ id: 'a', t: 9 }, { id: 'b', t: 5 }],
            carted: [],
            traits: { ok: { v: [1, { a: null }], t: 1 }, gone: { t: 2 } },
            interests: {},
            experiments: { hero: { variant: 'A', t: 1 } },
          },
        },
      },
    })
  })

  it('drops __proto__, constructor and empty device ids and keys without polluting anything', () => {
    const raw = JSON.parse(
      '{"schema":1,"devices":{"__proto__":{"v":1},"constructor":{"v":1},"":{"v":1},"ok":{"v":1,"counters":{"__proto__":5,"visits":1}}}}',
    )
    expect(migrate(raw)).toStrictEqual({ profile: { schema: 1, devices: { ok: { ...emptyEntry(), v: 1, counters: { visits: 1 } } } } })
    expect(({} as Record<string, unknown>).v).toBeUndefined()
  })

  it('rejects a value it cannot read rather than throwing', () => {
    const trap = new Proxy({}, { get: () => { throw new Error('boom') }, ownKeys: () => { throw new Error('boom') } })
    const cyclic: Record<string, unknown> = { v: 1, t: 1 }
    cyclic.v = cyclic
    expect(errorOf(trap)).toBeTypeOf('string')
    expect(migrate({ schema: 1, devices: { d: { v: 1, traits: { c: cyclic } } } })).toStrictEqual({
      profile: { schema: 1, devices: { d: { ...emptyEntry(), v: 1 } } },
    })
  })

  it('never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ schema: fc.constant(1), devices: fc.dictionary(fc.string(), fc.anything()) })), (raw) => {
        const result = migrate(raw)
        expect('profile' in result || typeof (result as { error: string }).error === 'string').toBe(true)
      }),
      { numRuns: 300 },
    )
  })
})

describe('isProfile', () => {
  it.each<[string, unknown, boolean]>([
    ['an empty profile', emptyProfile(), true],
    ['a folded profile', current(), true],
    ['a v0 record', v0, false],
    ['a profile with a malformed item', { schema: 1, devices: { d: { ...emptyEntry(), counters: { x: 'y' } } } }, false],
    ['a profile with a recent list out of order', { schema: 1, devices: { d: { ...emptyEntry(), viewed: [{ id: 'a', t: 1 }, { id: 'b', t: 2 }] } } }, false],
    ['a profile with a missing field', { schema: 1, devices: { d: { v: 1 } } }, false],
    ['null', null, false],
    ['a string', '{}', false],
  ])('%s → %s', (_name, value, expected) => {
    expect(isProfile(value)).toBe(expected)
  })
})
