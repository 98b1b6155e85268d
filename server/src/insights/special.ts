/**
 * Special functions behind the insights numbers: log-gamma, the regularized incomplete gamma and
 * beta functions, the standard normal CDF and quantile. Written from the textbook maths (method and
 * source on each), pure and allocation-free. Accuracy is checked against SciPy in
 * `test/server/insights-stats.test.ts` (references made by `test/fixtures/insights/make_reference.py`).
 */

/** Relative accuracy at which the series and continued fractions stop. */
const EPS = 1e-15
/** Stands in for 0 in Lentz's algorithm, so that no division by zero happens. */
const TINY = 1e-300
/** A guard against non-termination only; convergence takes O(√max(a, b)) steps at worst. */
const MAX_ITERATIONS = 1_000_000

// Lanczos coefficients for g = 7, n = 9 (P. Godfrey's set), good to ~1e-15 relative for x ≥ 0.5.
const LANCZOS_G = 7
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
]
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI)

/**
 * ln Γ(x) for x > 0, by the Lanczos approximation
 * Γ(x + 1) = √(2π) (x + g + ½)^(x + ½) e^−(x + g + ½) A_g(x) (C. Lanczos, SIAM J. Numer. Anal. B 1,
 * 1964; Numerical Recipes §6.1), with ln Γ(x) = ln Γ(x + 1) − ln x below ½. The absolute error is
 * about 1e-15 · |ln Γ(x)|, so ~1e-8 for x ≈ 1e7: what double precision allows.
 */
export const logGamma = (x: number): number => {
  if (x < 0.5) return logGamma(x + 1) - Math.log(x)
  const z = x - 1
  let a = LANCZOS[0] as number
  for (let i = 1; i < LANCZOS.length; i++) a += (LANCZOS[i] as number) / (z + i)
  const t = z + LANCZOS_G + 0.5
  return HALF_LOG_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

/**
 * Stirling's remainder δ(x) = ln Γ(x) − ((x − ½) ln x − x + ½ ln 2π): by its asymptotic series
 * 1/(12x) − 1/(360x³) + 1/(1260x⁵) − 1/(1680x⁷) + 1/(1188x⁹) for x ≥ 10 (the next term is
 * below 2e-14 there), else from
 * `logGamma`, where both sides are small and nothing cancels.
 */
const stirlingRemainder = (x: number): number => {
  if (x < 10) return logGamma(x) - ((x - 0.5) * Math.log(x) - x + HALF_LOG_2PI)
  const r = 1 / (x * x)
  return (1 / 12 - r * (1 / 360 - r * (1 / 1260 - r * (1 / 1680 - r / 1188)))) / x
}

/**
 * ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), rearranged by Stirling so that the large parts
 * cancel on paper, not in floating point:
 * ½ ln 2π + (a − ½) ln(a/s) + (b − ½) ln(b/s) − ½ ln s + δ(a) + δ(b) − δ(s), s = a + b, with the
 * log of the larger share taken as log1p(−smaller share). Without it, ln B(1, 10⁹) would lose six
 * digits to the difference of two numbers near 2·10¹⁰.
 */
export const logBeta = (a: number, b: number): number => {
  const s = a + b
  const lnA = a <= b ? Math.log(a / s) : Math.log1p(-b / s)
  const lnB = a <= b ? Math.log1p(-a / s) : Math.log(b / s)
  return HALF_LOG_2PI + (a - 0.5) * lnA + (b - 0.5) * lnB - 0.5 * Math.log(s) + stirlingRemainder(a) + stirlingRemainder(b) - stirlingRemainder(s)
}

/** e^−x x^a / Γ(a), in logs: the common prefactor of P and Q. */
const gammaPrefactor = (a: number, x: number): number => Math.exp(a * Math.log(x) - x - logGamma(a))

/** P(a, x) by its power series Σ x^n / (a (a+1) … (a+n)), converging fast for x < a + 1. */
const gammaSeries = (a: number, x: number): number => {
  let term = 1 / a
  let sum = term
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n)
    sum += term
    if (Math.abs(term) < Math.abs(sum) * EPS) break
  }
  return sum * gammaPrefactor(a, x)
}

/**
 * Q(a, x) by its continued fraction 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− …))), evaluated by
 * the modified Lentz method (Lentz 1976; Thompson & Barnett 1986; Numerical Recipes §5.2, §6.2).
 * Converges fast for x ≥ a + 1.
 */
const gammaFraction = (a: number, x: number): number => {
  let b = x + 1 - a
  let c = 1 / TINY
  let d = 1 / b
  let h = d
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < TINY) d = TINY
    c = b + an / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < EPS) break
  }
  return h * gammaPrefactor(a, x)
}

/**
 * Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a), a > 0, x ≥ 0: the series for
 * x < a + 1 (then Q = 1 − P), the continued fraction otherwise, so that whichever of P and Q is
 * small is computed directly, never as a difference of nearly equal numbers.
 */
export const gammaQ = (a: number, x: number): number => {
  if (x <= 0) return 1
  if (x < a + 1) return Math.min(1, Math.max(0, 1 - gammaSeries(a, x)))
  return Math.min(1, Math.max(0, gammaFraction(a, x)))
}

/** Regularized lower incomplete gamma P(a, x) = 1 − Q(a, x). */
export const gammaP = (a: number, x: number): number => {
  if (x <= 0) return 0
  if (x < a + 1) return Math.min(1, Math.max(0, gammaSeries(a, x)))
  return Math.min(1, Math.max(0, 1 - gammaFraction(a, x)))
}

/**
 * Survival function of the chi-square distribution with `df` degrees of freedom:
 * P(X > x) = Q(df/2, x/2).
 */
export const chiSquareSurvival = (x: number, df: number): number => (df > 0 ? gammaQ(df / 2, x / 2) : 1)

/**
 * The continued fraction of I_x(a, b) (Numerical Recipes §6.4, eq. 6.4.5–6.4.6), by modified Lentz.
 * Converges fast for x < (a + 1) / (a + b + 2), in O(√max(a, b)) steps.
 */
const betaFraction = (a: number, b: number, x: number): number => {
  const qab = a + b
  const qap = a + 1
  const qam = a - 1
  let c = 1
  let d = 1 - (qab * x) / qap
  if (Math.abs(d) < TINY) d = TINY
  d = 1 / d
  let h = d
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    h *= d * c
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2))
    d = 1 + aa * d
    if (Math.abs(d) < TINY) d = TINY
    c = 1 + aa / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < EPS) break
  }
  return h
}

/**
 * Regularized incomplete beta I_x(a, b), a, b > 0: the CDF of Beta(a, b) at x. The continued
 * fraction is used directly below the mean-ish point (a + 1) / (a + b + 2) and through the
 * symmetry I_x(a, b) = 1 − I_(1−x)(b, a) above it (Numerical Recipes §6.4).
 */
export const betaIncomplete = (x: number, a: number, b: number): number => {
  if (x <= 0) return 0
  if (x >= 1) return 1
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b))
  const value = x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b
  return Math.min(1, Math.max(0, value))
}

/** Standard normal CDF Φ(z) = ½ erfc(−z/√2), with erfc(y) = Q(½, y²) for y ≥ 0. */
export const normalCdf = (z: number): number => {
  const y = (z * z) / 2
  const tail = 0.5 * gammaQ(0.5, y)
  return z < 0 ? tail : 1 - tail
}

/**
 * Standard normal quantile Φ⁻¹(p), 0 < p < 1: a logistic first guess refined by Halley steps on
 * Φ(z) − p (cubic convergence, since φ′(z) = −z φ(z)), which reach the accuracy of `normalCdf`
 * (~1e-15) in a few steps. Returns ±Infinity at p = 0 / 1 and NaN outside [0, 1].
 */
export const normalQuantile = (p: number): number => {
  if (!(p >= 0 && p <= 1)) return Number.NaN
  if (p === 0) return -Infinity
  if (p === 1) return Infinity
  // Work in the lower tail, where Φ(z) is computed without cancellation.
  const q = Math.min(p, 1 - p)
  let z = -Math.sqrt(-2 * Math.log(q)) + 0.5 // rough, but Halley converges from anywhere near.
  if (q > 0.1) z = Math.log(q / (1 - q)) / 1.7
  for (let i = 0; i < 50; i++) {
    const f = normalCdf(z) - q
    const pdf = Math.exp(-(z * z) / 2 - HALF_LOG_2PI)
    if (pdf === 0) break
    const step = f / pdf
    const next = z - step / (1 + (z * step) / 2)
    if (Math.abs(next - z) <= 1e-15 * Math.max(1, Math.abs(z))) {
      z = next
      break
    }
    z = next
  }
  return p < 0.5 ? z : -z
}
