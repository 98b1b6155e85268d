import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createUuidv7 } from '../../src/lib/uuidv7'

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const millis = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16)

describe('uuidv7', () => {
  it('has the RFC 9562 layout: version 7, variant 10', () => {
    const next = createUuidv7()
    for (let i = 0; i < 1000; i++) expect(next()).toMatch(FORMAT)
  })

  it('carries the clock in its first 48 bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (ms) => {
        expect(millis(createUuidv7(() => ms)())).toBe(ms)
      }),
    )
  })

  it('sorts in creation order, even thousands within one millisecond', () => {
    const next = createUuidv7(() => 1_700_000_000_000)
    const ids = Array.from({ length: 5000 }, next)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('stays ordered when the clock steps back', () => {
    let t = 2_000
    const next = createUuidv7(() => t)
    const a = next()
    t = 1_000
    const b = next()
    expect(b > a).toBe(true)
  })

  it('is unique across generators (random bits)', () => {
    const ids = new Set(Array.from({ length: 20 }, () => createUuidv7(() => 5)()))
    expect(ids.size).toBe(20)
  })
})
