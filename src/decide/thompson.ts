import type { ArmStats } from './model'
import { own } from './factOf'

/** A uniform draw in (0, 1]: never 0, so its log is finite. */
const open = (random: () => number): number => 1 - random()

/**
 * ln of a Gamma(a, 1) draw by Marsaglia & Tsang's method (over 95 % of tries accepted; the
 * optional squeeze is left out for size), with Gamma(a) = Gamma(a + 1) · U^(1/a) for a < 1. In
 * logs, so that tiny shapes do not underflow to 0. The cap on tries only matters with a broken
 * `random` (NaN): a page must never hang on it.
 * @see https://doi.org/10.1145/358407.358414
 */
const logGamma = (a: number, random: () => number): number => {
  if (a < 1) return logGamma(a + 1, random) + Math.log(open(random)) / a
  const d = a - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (let tries = 0; tries < 64; tries++) {
    // A standard normal by Box–Muller.
    const x = Math.sqrt(-2 * Math.log(open(random))) * Math.cos(2 * Math.PI * random())
    const v = (1 + c * x) ** 3
    if (v > 0 && Math.log(open(random)) < (x * x) / 2 + d - d * v + d * Math.log(v)) return Math.log(d * v)
  }
  return Math.log(d)
}

/**
 * A draw from Beta(a, b), a, b > 0, as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b). Its mean is
 * a / (a + b). Deterministic for a given `random`.
 */
export const sampleBeta = (a: number, b: number, random: () => number): number =>
  1 / (1 + Math.exp(logGamma(b, random) - logGamma(a, random)))

/**
 * Thompson sampling: draws each variant's conversion rate from its posterior, Beta(1 + successes,
 * 1 + failures) after a uniform prior, and returns the variant with the highest draw. Variants
 * without stats draw from the prior. Better arms win more often, yet every arm keeps a chance.
 */
export const thompson = (stats: Record<string, ArmStats>, variants: readonly string[], random: () => number): string | undefined => {
  let best: string | undefined
  let top = -1
  for (const v of variants) {
    const s = own(stats, v) as ArmStats | undefined
    const x = s ? sampleBeta(1 + s.successes, 1 + s.trials - s.successes, random) : sampleBeta(1, 1, random)
    if (x > top) {
      top = x
      best = v
    }
  }
  return best
}
