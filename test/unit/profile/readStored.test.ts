import { describe, expect, it } from 'vitest'
import { fold } from '../../../src/profile/fold'
import { emptyEntry, emptyProfile } from '../../../src/profile/model'
import { readStored } from '../../../src/profile/readStored'

const entry = fold(emptyEntry(), { name: 'product_viewed', props: { product_id: 'p1', category: 'run' }, ts: 1000 })

describe('readStored', () => {
  it('returns a current profile as it is', () => {
    const profile = { schema: 1 as const, devices: { d1: entry, d2: emptyEntry() } }
    expect(readStored(profile)).toBe(profile)
    expect(readStored(emptyProfile())).toEqual(emptyProfile())
  })

  it('moves a v0 record into its device entry at version 1, filling missing fields', () => {
    expect(readStored({ deviceId: 'old', counters: { visits: 3 } })).toEqual({ schema: 1, devices: { old: { ...emptyEntry(), counters: { visits: 3 }, v: 1 } } })
  })

  it.each([
    ['null', null, /unknown schema object/],
    ['a string', 'garbage', /unknown schema string/],
    ['a future schema', { schema: 2, devices: {} }, /unknown schema 2/],
    ['devices that are not an object', { schema: 1, devices: [] }, /wrong shape/],
    ['an entry without a version', { schema: 1, devices: { d: { ...emptyEntry(), v: undefined } } }, /wrong shape/],
    ['an entry with a list as counters', { schema: 1, devices: { d: { ...emptyEntry(), counters: [] } } }, /wrong shape/],
    ['an entry with viewed as an object', { schema: 1, devices: { d: { ...emptyEntry(), viewed: {} } } }, /wrong shape/],
    ['a v0 record with the wrong shape', { deviceId: 'x', viewed: 'p1' }, /wrong shape/],
  ])('refuses %s with a reason', (_n, raw, reason) => {
    expect(readStored(raw)).toMatch(reason)
  })
})
