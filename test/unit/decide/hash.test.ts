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

  // The same, for the traffic and holdout seeds `decide` derives from an experiment key, which it
  // hashes as a salt rather than joining (`bucket(key, id, ':traffic')`): these values pin the hash
  // and that derivation, so that a visitor's traffic and holdout draws never move between releases.
  it.each([
    [':traffic', 'visitor-1', 0.23564619268290699],
    [':traffic', 'visitor-2', 0.20530332112684846],
    [':traffic', '0190a4b2-7c1e-7d3f-9a2b-5c6d7e8f9a0b', 0.6489874823018909],
    [':traffic', 'ünïcødé', 0.44811499933712184],
    [':traffic', '', 0.6426144703291357],
    [':holdout', 'visitor-1', 0.5670912517234683],
    [':holdout', 'visitor-2', 0.22593106282874942],
    [':holdout', '0190a4b2-7c1e-7d3f-9a2b-5c6d7e8f9a0b', 0.7686793820466846],
    [':holdout', 'ünïcødé', 0.8852826079819351],
    [':holdout', '', 0.213186175795272],
  ])('keeps %j of hero-test for %j where it was', (salt, id, expected) => {
    expect(bucket('hero-test', id, salt)).toBe(expected)
    expect(bucket('hero-test' + salt, id)).toBe(expected)
  })

  // Percentile buckets (0–99) of another experiment, as a results page would show them.
  it.each([
    ['visitor-1', 85],
    ['visitor-2', 34],
    ['0190a4b2-7c1e-7d3f-9a2b-5c6d7e8f9a0b', 47],
    ['ünïcødé', 51],
    ['', 93],
  ])('keeps %j in percentile %i of spring-sale', (id, percentile) => {
    expect(Math.floor(bucket('spring-sale', id) * 100)).toBe(percentile)
  })

  it('hashes a salt as if it were joined to the seed', () => {
    fc.assert(fc.property(fc.string(), fc.string(), fc.string(), (seed, salt, id) => bucket(seed, id, salt) === bucket(seed + salt, id)))
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

  /** Chi-square of how `ids` fall into `n` equal buckets for `seed`. */
  const spread = (seed: string, of: readonly string[], n: number): number => {
    const counts = new Array<number>(n).fill(0)
    for (const id of of) counts[Math.floor(bucket(seed, id) * n)]!++
    const expected = of.length / n
    return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0)
  }
  // Sequential ids differ in a character or two: the case where a weak hash clusters.
  const sequential = Array.from({ length: 100_000 }, (_, i) => `visitor-${i}`)

  // Fixed ids, so the statistic is the same on every run: no flaky failures, and a failure means
  // the hash changed. The bound is the 0.999 quantile of chi-square with 99 degrees of freedom.
  it.each([
    ['UUIDs', 'hero-test', ids],
    ['UUIDs', 'hero-test:traffic', ids],
    ['UUIDs', 'spring-sale', ids],
    ['sequential ids', 'hero-test', sequential],
    ['sequential ids', 'hero-test:holdout', sequential],
  ])('spreads 100,000 %s uniformly over 100 buckets for seed %s (chi-square below 148.23, p = 0.001, 99 dof)', (_, seed, of) => {
    expect(spread(seed, of, 100)).toBeLessThan(148.23)
  })

  /** Pearson correlation of the buckets of `ids` under two seeds. */
  const correlation = (a: string, b: string): number => {
    let sx = 0
    let sy = 0
    let sxy = 0
    let sxx = 0
    let syy = 0
    for (const id of ids) {
      const x = bucket(a, id)
      const y = bucket(b, id)
      sx += x
      sy += y
      sxy += x * y
      sxx += x * x
      syy += y * y
    }
    const n = ids.length
    return (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy))
  }

  /** Chi-square of the 10 × 10 table of where `ids` fall under two seeds, against independence. */
  const jointSpread = (a: string, b: string): number => {
    const counts = new Array<number>(100).fill(0)
    for (const id of ids) counts[Math.floor(bucket(a, id) * 10) * 10 + Math.floor(bucket(b, id) * 10)]!++
    const expected = ids.length / 100
    return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0)
  }

  // Experiments on one page must not pick the same visitors: being in one experiment's treatment
  // would otherwise predict the arm in the next, and their results would confound.
  it.each([
    ['hero-test', 'banner-test'],
    ['exp-1', 'exp-2'],
    ['hero-test', 'hero-test-2'],
    ['hero-test', 'hero-test:traffic'],
  ])('places 100,000 visitors independently for experiments %s and %s', (a, b) => {
    // |r| < 0.015 is under 5 standard errors (1/√n ≈ 0.0032) of zero.
    expect(Math.abs(correlation(a, b))).toBeLessThan(0.015)
    // 0.999 quantile of chi-square with 81 degrees of freedom ((10 − 1) × (10 − 1)).
    expect(jointSpread(a, b)).toBeLessThan(126.08)
  })

  it('places a visitor independently for different seeds of one experiment', () => {
    // Traffic and variant buckets must not correlate, or allocation would skew the arms.
    const n = 20_000
    let both = 0
    for (const id of ids.slice(0, n)) if (bucket('exp:traffic', id) < 0.5 && bucket('exp', id) < 0.5) both++
    expect(both / n).toBeCloseTo(0.25, 1)
  })
})
