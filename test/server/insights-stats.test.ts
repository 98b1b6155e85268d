import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chanceToBeat, MAX_SUM_TERMS } from '../../server/src/insights/chanceToBeat'
import { betaIncomplete, gammaP, gammaQ, logBeta, logGamma, normalCdf, normalQuantile } from '../../server/src/insights/special'
import { SRM_ALPHA, srmCheck } from '../../server/src/insights/srm'
import { compareArms, rateOf, type Arm, type Comparison } from '../../server/src/insights/stats'
import reference from '../fixtures/insights/reference.json'

// Pure numerics: no database, so these run once rather than on each driver.
// The references come from SciPy (test/fixtures/insights/make_reference.py; its header says how).

/** |actual − expected| ≤ abs + rel · |expected|. */
const near = (actual: number, expected: number, rel: number, abs = 0): void => {
  expect(Number.isFinite(actual)).toBe(true)
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(abs + rel * Math.abs(expected))
}

/** Every number in a comparison is finite (JSON would otherwise carry null or break). */
const allFinite = (c: Comparison): boolean =>
  Number.isFinite(c.rate) &&
  (c.uplift === null || [c.uplift.relative, c.uplift.low, c.uplift.high].every(Number.isFinite)) &&
  (c.chanceToBeatControl === null || Number.isFinite(c.chanceToBeatControl))

/** An arm: 0 to `max` exposures, of them 0 to all converted. */
const arm = (max: number): fc.Arbitrary<Arm> =>
  fc.integer({ min: 0, max }).chain((exposures) => fc.record({ exposures: fc.constant(exposures), conversions: fc.integer({ min: 0, max: exposures }) }))

describe('special functions against SciPy', () => {
  it('logGamma matches scipy.special.gammaln to 1e-13 relative', () => {
    for (const { x, value } of reference.logGamma) near(logGamma(x), value, 1e-13, 1e-14)
  })

  it('gammaQ matches scipy.special.gammaincc to 1e-12 relative, and P + Q = 1', () => {
    for (const { a, x, value } of reference.gammaQ) {
      near(gammaQ(a, x), value, 1e-12, 1e-300)
      near(gammaP(a, x) + gammaQ(a, x), 1, 0, 1e-14)
    }
  })

  it('betaIncomplete matches scipy.special.betainc to 1e-12 absolute (1e-9 beyond shapes of 1e5)', () => {
    for (const { x, a, b, value } of reference.betaIncomplete) near(betaIncomplete(x, a, b), value, 0, Math.max(a, b) > 1e5 ? 1e-9 : 1e-12)
  })

  it('normalQuantile matches scipy.stats.norm.ppf to 1e-13 and inverts normalCdf', () => {
    for (const { p, value } of reference.normalQuantile) {
      near(normalQuantile(p), value, 1e-13, 1e-13)
      near(normalCdf(value), p, 1e-12)
    }
  })

  it('logBeta keeps its digits when one shape is huge: ln B(1, b) = −ln b', () => {
    for (const b of [1, 10, 1e6, 1e9, 1e12]) near(logBeta(1, b), -Math.log(b), 0, 1e-12)
  })
})

describe('compareArms against SciPy', () => {
  it.each(reference.compare.map((c) => [JSON.stringify(c.control), JSON.stringify(c.variant), c] as const))(
    'control %s, variant %s: rate exact, uplift to 1e-12 relative, chance to beat to 1e-9 absolute (1e-8 beyond 10⁸ exposures)',
    (_c, _v, c) => {
      const got = compareArms(c.control, c.variant)
      expect(allFinite(got)).toBe(true)
      near(got.rate, c.rate, 1e-15)
      if (c.uplift === null) expect(got.uplift).toBeNull()
      else {
        expect(got.uplift).not.toBeNull()
        near(got.uplift?.relative as number, c.uplift.relative, 1e-12, 1e-15)
        near(got.uplift?.low as number, c.uplift.low, 1e-12, 1e-15)
        near(got.uplift?.high as number, c.uplift.high, 1e-12, 1e-15)
      }
      if (c.chanceToBeatControl === null) expect(got.chanceToBeatControl).toBeNull()
      // Rounding in the shapes' logs grows with the counts: ~3e-9 at a billion exposures.
      else near(got.chanceToBeatControl as number, c.chanceToBeatControl, 0, Math.max(c.control.exposures, c.variant.exposures) > 1e8 ? 1e-8 : 1e-9)
    },
  )

  it('the reference table exercises both the exact sum and the quadrature', () => {
    const fewest = reference.compare.map(({ control: c, variant: v }) => Math.min(1 + c.conversions, 1 + c.exposures - c.conversions, 1 + v.conversions, 1 + v.exposures - v.conversions))
    expect(fewest.some((n) => n > MAX_SUM_TERMS)).toBe(true)
    expect(fewest.some((n) => n > 1000 && n <= MAX_SUM_TERMS)).toBe(true)
  })
})

describe('compareArms edge cases', () => {
  it('zero exposures anywhere: rate 0, uplift and chance null', () => {
    expect(compareArms({ exposures: 0, conversions: 0 }, { exposures: 0, conversions: 0 })).toEqual({ rate: 0, uplift: null, chanceToBeatControl: null })
    expect(compareArms({ exposures: 0, conversions: 0 }, { exposures: 10, conversions: 2 })).toEqual({ rate: 0.2, uplift: null, chanceToBeatControl: null })
    expect(compareArms({ exposures: 10, conversions: 2 }, { exposures: 0, conversions: 0 })).toEqual({ rate: 0, uplift: null, chanceToBeatControl: null })
  })

  it('control rate 0: uplift null, chance still defined', () => {
    const got = compareArms({ exposures: 500, conversions: 0 }, { exposures: 500, conversions: 4 })
    expect(got.uplift).toBeNull()
    expect(got.chanceToBeatControl).toBeGreaterThan(0.9)
  })

  it('variant rate 0: uplift −100 % with the interval reaching exactly −100 %', () => {
    const got = compareArms({ exposures: 500, conversions: 20 }, { exposures: 500, conversions: 0 })
    expect(got.uplift?.relative).toBe(-1)
    expect(got.uplift?.low).toBe(-1)
    expect(got.uplift?.high).toBeGreaterThan(-1)
    expect(got.uplift?.high).toBeLessThan(0)
  })

  it('identical arms: relative 0 inside a symmetric-in-log interval, chance exactly ½', () => {
    for (const a of [{ exposures: 1, conversions: 1 }, { exposures: 7, conversions: 3 }, { exposures: 1e9, conversions: 1e9 }, { exposures: 1e9, conversions: 5e8 }]) {
      const got = compareArms(a, a)
      expect(got.uplift?.relative).toBe(0)
      near((1 + (got.uplift?.low as number)) * (1 + (got.uplift?.high as number)), 1, 1e-12)
      near(got.chanceToBeatControl as number, 0.5, 0, 1e-9)
    }
  })

  it('clamps impossible counts instead of returning NaN', () => {
    for (const [control, variant] of [
      [{ exposures: -5, conversions: 2 }, { exposures: 10, conversions: 20 }],
      [{ exposures: Number.NaN, conversions: 1 }, { exposures: Infinity, conversions: 1 }],
      [{ exposures: 10.7, conversions: 3.2 }, { exposures: 10, conversions: -1 }],
      [{ exposures: Number.MAX_SAFE_INTEGER, conversions: 1e15 }, { exposures: Number.MAX_SAFE_INTEGER, conversions: 2e15 }],
    ] as const) {
      const got = compareArms(control, variant)
      expect(allFinite(got)).toBe(true)
      expect(got.rate).toBeGreaterThanOrEqual(0)
      expect(got.rate).toBeLessThanOrEqual(1)
    }
    expect(rateOf({ exposures: 10, conversions: 20 })).toBe(1)
  })
})

describe('compareArms properties', () => {
  it('every number is finite, rates and chances in [0, 1], the interval contains the point', () => {
    fc.assert(
      fc.property(arm(1_000_000), arm(1_000_000), (c, v) => {
        const got = compareArms(c, v)
        expect(allFinite(got)).toBe(true)
        expect(got.rate >= 0 && got.rate <= 1).toBe(true)
        if (got.chanceToBeatControl !== null) expect(got.chanceToBeatControl >= 0 && got.chanceToBeatControl <= 1).toBe(true)
        if (got.uplift) {
          expect(got.uplift.low).toBeGreaterThanOrEqual(-1)
          expect(got.uplift.low <= got.uplift.relative && got.uplift.relative <= got.uplift.high).toBe(true)
        }
      }),
      { numRuns: 200 },
    )
  })

  it('chance(v beats c) + chance(c beats v) = 1 (to 1e-9)', () => {
    fc.assert(
      fc.property(arm(300_000), arm(300_000), (c, v) => {
        fc.pre(c.exposures > 0 && v.exposures > 0)
        const forward = compareArms(c, v).chanceToBeatControl as number
        const backward = compareArms(v, c).chanceToBeatControl as number
        near(forward + backward, 1, 0, 1e-9)
      }),
      { numRuns: 200 },
    )
  })

  it('chance(v beats c) + chance(c beats v) = 1 (to 1e-9) in the quadrature regime too', () => {
    const big = fc.integer({ min: 500_000, max: 2_000_000 }).chain((exposures) =>
      fc.record({ exposures: fc.constant(exposures), conversions: fc.integer({ min: Math.ceil(exposures * 0.25), max: Math.floor(exposures * 0.75) }) }),
    )
    fc.assert(
      fc.property(big, big, (c, v) => {
        near((compareArms(c, v).chanceToBeatControl as number) + (compareArms(v, c).chanceToBeatControl as number), 1, 0, 1e-9)
      }),
      { numRuns: 30 },
    )
  })

  it('one more conversion in the variant never lowers its chance to beat control', () => {
    fc.assert(
      fc.property(arm(50_000), arm(50_000), (c, v) => {
        fc.pre(c.exposures > 0 && v.conversions < v.exposures)
        const before = compareArms(c, v).chanceToBeatControl as number
        const after = compareArms(c, { ...v, conversions: v.conversions + 1 }).chanceToBeatControl as number
        expect(after).toBeGreaterThanOrEqual(before - 1e-9) // within the stated accuracy
      }),
      { numRuns: 100 },
    )
  })

  it('swapping control and variant maps the uplift interval onto its reciprocal', () => {
    fc.assert(
      fc.property(arm(1_000_000), arm(1_000_000), (c, v) => {
        // Zero cells take the 0.5 correction (or have no ratio at all), which is not symmetric.
        fc.pre(c.conversions > 0 && c.conversions < c.exposures && v.conversions > 0 && v.conversions < v.exposures)
        const forward = compareArms(c, v).uplift
        const backward = compareArms(v, c).uplift
        if (!forward || !backward) throw new Error('uplift must be defined when both rates are in (0, 1)')
        // 1 + x keeps only ~1e-16 absolute of x: the slack grows as 1 + x or 1 + y nears 0.
        const reciprocal = (x: number, y: number): void => near(1 + x, 1 / (1 + y), 1e-12 + 1e-15 / (1 + y), 4e-16)
        reciprocal(backward.relative, forward.relative)
        reciprocal(backward.low, forward.high)
        reciprocal(backward.high, forward.low)
      }),
      { numRuns: 200 },
    )
  })

  it('chanceToBeat agrees across the exact-sum and quadrature regimes on either side of the switch', () => {
    // Just below MAX_SUM_TERMS the sum is used, just above it the quadrature: the answers must join up.
    const n = 4 * MAX_SUM_TERMS
    const below = chanceToBeat({ alpha: MAX_SUM_TERMS, beta: n - MAX_SUM_TERMS }, { alpha: MAX_SUM_TERMS + 300, beta: n - MAX_SUM_TERMS - 300 })
    const above = chanceToBeat({ alpha: MAX_SUM_TERMS + 2, beta: n - MAX_SUM_TERMS - 2 }, { alpha: MAX_SUM_TERMS + 302, beta: n - MAX_SUM_TERMS - 302 })
    near(above, below, 0, 1e-4) // the inputs differ by 2 in 800,000: the chances by ~1e-5
    expect(below).toBeGreaterThan(0.5)
  })
})

describe('srmCheck', () => {
  it.each(reference.srm.map((s) => [JSON.stringify(s.observed), JSON.stringify(s.expectedShares), s] as const))(
    'observed %s against shares %s matches scipy.stats.chisquare (statistic 1e-12, p-value 1e-9 relative)',
    (_o, _s, s) => {
      const got = srmCheck(s.observed, s.expectedShares)
      expect(got).not.toBeNull()
      near(got?.chiSquare as number, s.chiSquare, 1e-12, 1e-12)
      expect(got?.df).toBe(s.df)
      near(got?.pValue as number, s.pValue, 1e-9, 1e-300)
      expect(got?.flagged).toBe(s.pValue < SRM_ALPHA)
    },
  )

  it('is null when nothing was observed', () => {
    expect(srmCheck([0, 0], [1, 1])).toBeNull()
    expect(srmCheck([], [])).toBeNull()
  })

  it('one variant only: nothing to compare, df 0 and p-value 1', () => {
    expect(srmCheck([500], [1])).toEqual({ chiSquare: 0, df: 0, pValue: 1, flagged: false })
  })

  it('observations where the share is 0 are a mismatch beyond doubt, still finite', () => {
    expect(srmCheck([500, 3], [1, 0])).toEqual({ chiSquare: Number.MAX_VALUE, df: 0, pValue: 0, flagged: true })
    expect(srmCheck([500, 480, 0], [1, 1, 0])).toMatchObject({ df: 1, flagged: false })
    expect(srmCheck([1, 2], [0, 0])).toEqual({ chiSquare: Number.MAX_VALUE, df: 0, pValue: 0, flagged: true })
  })

  it('throws on arrays of different lengths and on bad numbers, naming them', () => {
    expect(() => srmCheck([1, 2], [1])).toThrow(/2 observed counts but 1 expected shares/)
    expect(() => srmCheck([1, -2], [1, 1])).toThrow(/observed\[1\]/)
    expect(() => srmCheck([1, 2], [1, Number.NaN])).toThrow(/expectedShares\[1\]/)
    expect(() => srmCheck([1e308, 1e308], [1, 1])).toThrow(/beyond floating point/)
  })

  it('p-value is in [0, 1] and every number finite, for any counts and shares', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 1e9 }), fc.double({ min: 0.01, max: 100, noNaN: true })), { minLength: 1, maxLength: 12 }),
        (rows) => {
          const got = srmCheck(
            rows.map(([o]) => o),
            rows.map(([, s]) => s),
          )
          if (rows.every(([o]) => o === 0)) {
            expect(got).toBeNull()
            return
          }
          expect(got).not.toBeNull()
          const { chiSquare, pValue, df } = got as NonNullable<typeof got>
          expect(Number.isFinite(chiSquare) && chiSquare >= 0).toBe(true)
          expect(pValue >= 0 && pValue <= 1).toBe(true)
          expect(df).toBe(rows.length - 1)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('exact expected counts give chi-square 0 and p-value 1', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1e6 }), { minLength: 2, maxLength: 10 }), (counts) => {
        const got = srmCheck(counts, counts)
        near(got?.chiSquare as number, 0, 0, 1e-9)
        near(got?.pValue as number, 1, 0, 1e-9)
      }),
    )
  })
})
