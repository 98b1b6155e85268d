import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { bucket, hash } from '../../../src/decide/hash'
import { mulberry32, uuidFrom } from './random'

/** murmur3's fmix32, written with BigInt so that it shares nothing with the code under test. */
const fmix32 = (h: bigint): number => {
  const M = 0xffffffffn
  h ^= h >> 16n
  h = (h * 0x85ebca6bn) & M
  h ^= h >> 13n
  h = (h * 0xc2b2ae35n) & M
  return Number(h ^ (h >> 16n))
}

describe('hash', () => {
  it.each([
    // Published FNV-1a 32 vectors: http://www.isthe.com/chongo/src/fnv/test_fnv.c
    ['', 0x811c9dc5n],
    ['a', 0xe40c292cn],
    ['foobar', 0xbf9cf968n],
  ])('is FNV-1a 32 of %j finished with fmix32', (input, fnv) => {
    expect(hash(input)).toBe(fmix32(fnv))
  })

  it('is an unsigned 32-bit integer for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const h = hash(s)
        return Number.isInteger(h) && h >= 0 && h <= 0xffffffff
      }),
    )
  })
})

describe('bucket', () => {
  // Computed once and checked in: a change here re-buckets every visitor of every live experiment.
  it.each([
    ['', 0.8190276362001896],
    ['a', 0.11696243868209422],
    ['visitor-1', 0.06846697675064206],
    ['visitor-2', 0.5747572085820138],
    ['0190a4b2-7c1e-7d3f-9a2b-5c6d7e8f9a0b', 0.9630281364079565],
    ['ünïcødé', 0.3595178781542927],
    ['🏃 runner', 0.8949377897661179],
    ['x'.repeat(1000), 0.3082751843612641],
    ['hero-test', 0.7412622475530952],
    ['constructor', 0.08296266943216324],
  ])('keeps %j where it was for seed hero-test', (id, expected) => {
    expect(bucket('hero-test', id)).toBe(expected)
  })

  it('is in [0, 1) and deterministic', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (seed, id) => {
        const b = bucket(seed, id)
        return b >= 0 && b < 1 && b === bucket(seed, id)
      }),
    )
  })

  const ids = Array.from({ length: 100_000 }, uuidFrom(mulberry32(42)))
  const chiSquare = (seed: string): number => {
    const counts = new Array<number>(10).fill(0)
    for (const id of ids) counts[Math.floor(bucket(seed, id) * 10)]!++
    const expected = ids.length / 10
    return counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0)
  }

  it.each(['hero-test', 'hero-test:traffic', 'hero-test:holdout'])(
    'spreads 100,000 UUIDs uniformly over 10 buckets for seed %s (chi-square below 27.88, p = 0.001, 9 dof)',
    (seed) => {
      expect(chiSquare(seed)).toBeLessThan(27.88)
    },
  )

  it('places a visitor independently for different seeds of one experiment', () => {
    // Traffic and variant buckets must not correlate, or allocation would skew the arms.
    const n = 20_000
    let both = 0
    for (const id of ids.slice(0, n)) if (bucket('exp:traffic', id) < 0.5 && bucket('exp', id) < 0.5) both++
    expect(both / n).toBeCloseTo(0.25, 1)
  })
})
