import { chanceToBeat } from './chanceToBeat'
import { normalQuantile } from './special'

/** One arm of an experiment for one goal. */
export interface Arm {
  /** Unique visitors exposed to the arm. */
  exposures: number
  /** Of them, how many converted on the goal (at most `exposures`). */
  conversions: number
}

/** A variant measured against the control. Every number is finite. */
export interface Comparison {
  /** The variant's conversion rate, conversions / exposures; 0 when it has no exposures. */
  rate: number
  /**
   * Relative uplift rate_v / rate_c − 1 with its 95 % interval (Katz log interval, see
   * `upliftInterval`); null when undefined: either arm without exposures, or a control rate of 0.
   */
  uplift: { relative: number; low: number; high: number } | null
  /**
   * P(p_v > p_c) under independent Beta(1 + conversions, 1 + exposures − conversions) posteriors
   * (uniform priors); null when either arm has no exposures.
   */
  chanceToBeatControl: number | null
}

/**
 * Counts as the maths needs them: whole, non-negative, finite, conversions ≤ exposures. Counts of
 * unique visitors always are; anything else is clamped rather than allowed to yield NaN.
 */
const clean = (arm: Arm): { n: number; c: number } => {
  const n = Number.isFinite(arm.exposures) && arm.exposures > 0 ? Math.floor(arm.exposures) : 0
  const c = Number.isFinite(arm.conversions) && arm.conversions > 0 ? Math.min(n, Math.floor(arm.conversions)) : 0
  return { n, c }
}

/** Conversion rate of an arm, conversions / exposures, in [0, 1]; 0 when it has no exposures. */
export const rateOf = (arm: Arm): number => {
  const { n, c } = clean(arm)
  return n > 0 ? c / n : 0
}

/** Two-sided 95 %: z = Φ⁻¹(0.975) ≈ 1.959964. */
const CONFIDENCE = 0.95

/**
 * Relative uplift rate_v / rate_c − 1 and its 95 % interval by the Katz log method: the delta
 * method on ln(RR), RR = rate_v / rate_c, with Var ln RR ≈ 1/c_v − 1/n_v + 1/c_c − 1/n_c, so the
 * interval is exp(ln RR ± z·se) − 1 (Katz, Baptista, Azen & Pike, Biometrics 34, 1978).
 *
 * Why Katz: it is always finite when both rates are positive, respects RR > 0 (the lower end never
 * goes below −100 %), is asymmetric the right way, and swapping control and variant maps the
 * interval exactly onto the reciprocal one. Fieller's interval, the alternative, becomes unbounded
 * or the complement of an interval whenever the control rate is not clearly above 0, which a
 * dashboard (and JSON) cannot show.
 *
 * Zero cells (c = 0 or c = n in either arm) make ln RR or its variance degenerate: there the
 * interval is computed with the Haldane–Anscombe correction (0.5 added to the conversions and to
 * the non-conversions of both arms, i.e. c + 0.5 of n + 1), and then widened to contain the point
 * estimate; with no variant conversion the lower end is exactly −100 %, since the data cannot rule
 * out a rate of 0. Returns null when the control rate is 0 (no finite ratio) or an arm is empty.
 */
export const upliftInterval = (control: Arm, variant: Arm): { relative: number; low: number; high: number } | null => {
  const C = clean(control)
  const V = clean(variant)
  if (C.n === 0 || V.n === 0 || C.c === 0) return null
  const relative = (V.c / V.n) / (C.c / C.n) - 1
  const zeroCell = V.c === 0 || V.c === V.n || C.c === C.n
  const k = zeroCell ? 0.5 : 0
  const cv = V.c + k
  const nv = V.n + 2 * k
  const cc = C.c + k
  const nc = C.n + 2 * k
  const logRatio = Math.log(cv / nv) - Math.log(cc / nc)
  const se = Math.sqrt(Math.max(0, 1 / cv - 1 / nv + 1 / cc - 1 / nc))
  const z = normalQuantile(1 - (1 - CONFIDENCE) / 2)
  let low = Math.expm1(logRatio - z * se)
  let high = Math.expm1(logRatio + z * se)
  if (V.c === 0) low = -1
  low = Math.min(low, relative)
  high = Math.max(high, relative)
  return { relative, low, high }
}

/**
 * Compares a variant with the control: its rate, relative uplift with 95 % interval, and the
 * Bayesian chance to beat the control (computed exactly, see `chanceToBeat`). Pure; every number
 * is finite, undefined quantities are null.
 */
export const compareArms = (control: Arm, variant: Arm): Comparison => {
  const C = clean(control)
  const V = clean(variant)
  return {
    rate: rateOf(variant),
    uplift: upliftInterval(control, variant),
    chanceToBeatControl:
      C.n > 0 && V.n > 0
        ? chanceToBeat({ alpha: 1 + C.c, beta: 1 + C.n - C.c }, { alpha: 1 + V.c, beta: 1 + V.n - V.c })
        : null,
  }
}
