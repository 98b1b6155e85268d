import { describe, expect, it } from 'vitest'
import { sampleBeta, thompson } from '../../../src/decide/thompson'
import { mulberry32 } from './random'

describe('sampleBeta', () => {
  it.each([
    [1, 1],
    [2, 5],
    [30, 70],
    [0.5, 0.5],
    [0.1, 3],
    [4000, 1000],
  ])('draws Beta(%d, %d) in [0, 1] with mean a / (a + b)', (a, b) => {
    const random = mulberry32(7)
    const n = 20_000
    let sum = 0
    for (let i = 0; i < n; i++) {
      const x = sampleBeta(a, b, random)
      expect(x >= 0 && x <= 1).toBe(true)
      sum += x
    }
    expect(Math.abs(sum / n - a / (a + b))).toBeLessThan(0.01)
  })

  it('has the variance of Beta(2, 5)', () => {
    const random = mulberry32(11)
    const xs = Array.from({ length: 20_000 }, () => sampleBeta(2, 5, random))
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length
    expect(variance).toBeCloseTo((2 * 5) / (7 * 7 * 8), 3)
  })

  it('does not underflow for tiny shapes', () => {
    const random = mulberry32(3)
    for (let i = 0; i < 1000; i++) expect(Number.isNaN(sampleBeta(0.01, 0.01, random))).toBe(false)
  })

  it.each([
    ['NaN', () => NaN],
    ['always 0', () => 0],
    ['always just below 1', () => 0.9999999999],
  ])('returns with a broken random (%s)', (_name, random) => {
    expect(typeof sampleBeta(3, 4, random)).toBe('number')
  })
})

describe('thompson', () => {
  const count = (stats: Parameters<typeof thompson>[0], variants: string[], n = 2000): Record<string, number> => {
    const random = mulberry32(5)
    const wins: Record<string, number> = {}
    for (let i = 0; i < n; i++) {
      const v = thompson(stats, variants, random) as string
      wins[v] = (wins[v] ?? 0) + 1
    }
    return wins
  }

  it('picks a clearly better arm far more often', () => {
    const wins = count({ a: { successes: 10, trials: 200 }, b: { successes: 40, trials: 200 } }, ['a', 'b'])
    expect(wins.b).toBeGreaterThan(1900)
  })

  it('keeps exploring arms whose results are close', () => {
    const wins = count({ a: { successes: 10, trials: 100 }, b: { successes: 12, trials: 100 } }, ['a', 'b'])
    expect(wins.a).toBeGreaterThan(300)
    expect(wins.b).toBeGreaterThan(wins.a as number)
  })

  it('draws arms without stats from the uniform prior', () => {
    const wins = count({}, ['a', 'b', 'c'], 3000)
    for (const v of ['a', 'b', 'c']) expect(wins[v]).toBeGreaterThan(900)
  })

  it('gives an unplayed arm a chance next to a mediocre one', () => {
    const wins = count({ a: { successes: 50, trials: 100 } }, ['a', 'new'])
    expect(wins.new).toBeGreaterThan(600)
  })

  it('is deterministic for a given random', () => {
    const stats = { a: { successes: 3, trials: 10 }, b: { successes: 4, trials: 10 } }
    const picks = (seed: number): (string | undefined)[] => {
      const random = mulberry32(seed)
      return Array.from({ length: 50 }, () => thompson(stats, ['a', 'b'], random))
    }
    expect(picks(9)).toEqual(picks(9))
  })
})
