import { chiSquareSurvival } from './special'

/** Outcome of a sample-ratio-mismatch test. Every number is finite. */
export interface SrmResult {
  /** Pearson's statistic Σ (observed − expected)² / expected. */
  chiSquare: number
  /** Degrees of freedom: the number of arms with a positive expected share, minus one. */
  df: number
  /** P(χ²_df ≥ chiSquare), in [0, 1]; 1 when there is nothing to compare (df = 0). */
  pValue: number
  /** pValue < SRM_ALPHA: the split is not what the config asks for; results are suspect. */
  flagged: boolean
}

/**
 * Threshold of the SRM flag. Deliberately strict: the check runs on every experiment at every page
 * load of the dashboard, so a 5 % level would flag one healthy experiment in twenty; a real
 * assignment bug with thousands of visitors drives p far below 0.001 anyway.
 */
export const SRM_ALPHA = 0.001

/**
 * Sample-ratio mismatch: Pearson's chi-square goodness-of-fit of the observed exposures per arm to
 * the shares the config asks for, p-value from the chi-square survival function Q(df/2, x/2) (the
 * regularized upper incomplete gamma, see `special.ts`). `expectedShares` need not sum to 1 (they
 * are normalized), e.g. weights [1, 1]. An arm with share 0 is left out while it has no
 * observations; with observations (also when every share is 0) it is a mismatch beyond doubt:
 * chiSquare is then reported as Number.MAX_VALUE (finite, so JSON keeps it) and pValue as 0.
 * Null when no exposure is observed.
 * Throws a RangeError for arrays of different lengths, a negative or non-finite count or share,
 * or sums beyond floating point.
 */
export const srmCheck = (observed: readonly number[], expectedShares: readonly number[]): SrmResult | null => {
  if (observed.length !== expectedShares.length) {
    throw new RangeError(`srmCheck: ${observed.length} observed counts but ${expectedShares.length} expected shares; give one share per arm`)
  }
  for (const [i, x] of observed.entries()) {
    if (!(Number.isFinite(x) && x >= 0)) throw new RangeError(`srmCheck: observed[${i}] is ${x}; counts must be finite and ≥ 0`)
  }
  for (const [i, s] of expectedShares.entries()) {
    if (!(Number.isFinite(s) && s >= 0)) throw new RangeError(`srmCheck: expectedShares[${i}] is ${s}; shares must be finite and ≥ 0`)
  }
  const total = observed.reduce((sum, x) => sum + x, 0)
  if (total === 0) return null
  const shareSum = expectedShares.reduce((sum, s) => sum + s, 0)
  if (!Number.isFinite(total) || !Number.isFinite(shareSum)) throw new RangeError('srmCheck: the counts or shares add up beyond floating point; give visitor counts and share weights')
  let chiSquare = 0
  let arms = 0
  let impossible = false
  for (const [i, o] of observed.entries()) {
    const expected = ((expectedShares[i] as number) / shareSum) * total
    // A share of 0 (or one so small its expectation underflows) expects no one here.
    if (!(expected > 0)) {
      if (o > 0) impossible = true
      continue
    }
    arms++
    chiSquare += (o - expected) ** 2 / expected
  }
  const df = Math.max(0, arms - 1)
  if (impossible) return { chiSquare: Number.MAX_VALUE, df, pValue: 0, flagged: true }
  chiSquare = Math.min(chiSquare, Number.MAX_VALUE)
  const pValue = df > 0 ? chiSquareSurvival(chiSquare, df) : 1
  return { chiSquare, df, pValue, flagged: pValue < SRM_ALPHA }
}
