/** One hourly value of a metric. */
export interface HourPoint {
  /** Epoch ms at the start of a UTC hour. */
  hour: number
  /** The metric in that hour: a count (events, conversions, sessions). */
  value: number
}

/** An hour whose value is far from what the same hour of the week usually shows. */
export interface Anomaly {
  /** Epoch ms at the start of the UTC hour. */
  hour: number
  /** The observed value (a count, or a rate for `detectRateAnomalies`). */
  value: number
  /** The baseline: median of the same hour-of-week in the previous weeks. */
  expected: number
  /** Robust z-score (value − expected) / scale; its sign is the direction. */
  score: number
  /** By |score|: low below 1.5 × threshold, medium below 2.5 × threshold, high above. */
  severity: 'low' | 'medium' | 'high'
  /** Below the baseline (drop) or above it (spike). */
  direction: 'drop' | 'spike'
}

/** Options of `detectAnomalies` and `detectRateAnomalies`. */
export interface AnomalyOptions {
  /** Weeks of history (same hour-of-week values) an hour needs before it can be flagged; default 3. */
  minHistoryWeeks?: number
  /** |robust z| at and above which an hour is flagged; default 4. */
  threshold?: number
}

const HOUR = 3_600_000
const WEEK = 168 * HOUR
/** How many previous weeks form the baseline: two months, long enough to outvote a bad week. */
export const HISTORY_WEEKS = 8
/**
 * The spread is pooled over the same hour-of-week ± this many hours (13 hours in all): a handful
 * of weeks gives one hour only 3 to 8 values, too few to estimate a spread (with 3, one time in
 * twenty the estimate is under 0.6 of the truth, and false alarms follow). The baseline itself
 * (the median) stays strictly per hour-of-week.
 */
export const SPREAD_WINDOW_HOURS = 6
/** The default of `threshold`. */
export const DEFAULT_THRESHOLD = 4
/** The default of `minHistoryWeeks`. */
export const DEFAULT_MIN_HISTORY_WEEKS = 3
/**
 * Hours with a smaller denominator are ignored by `detectRateAnomalies`, both as hours to judge and
 * as history: a rate of 2 out of 10 says next to nothing (its binomial standard error is about
 * ±13 points), and such hours would otherwise drag the median around at night.
 */
export const MIN_DENOMINATOR = 30
/**
 * Shamos' estimator: for normal data the median of |x_i − x_j| over pairs is 0.6745 · √2 · σ, so
 * σ ≈ 1.0483 · median |x_i − x_j|. It is the MAD's pairwise twin (same 1.4826 = 1/0.6745 behind
 * it) without the MAD's bias at tiny samples: around a median of 3 values one residual is always
 * exactly 0, so 1.4826 · MAD underestimates σ there.
 */
const PAIRS_TO_SD = 1.0483

/** Median of a non-empty, sorted array. */
const middleOf = (sorted: ArrayLike<number>): number => {
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Median of a non-empty array (sorts it in place). */
const median = (xs: number[]): number => middleOf(xs.sort((a, b) => a - b))

/** Values by hour (floored to the hour; duplicates summed; non-finite values and hours skipped). */
const byHour = (series: readonly HourPoint[]): Map<number, number> => {
  const map = new Map<number, number>()
  for (const { hour, value } of series) {
    if (!Number.isFinite(hour) || !Number.isFinite(value)) continue
    const h = hour - (((hour % HOUR) + HOUR) % HOUR)
    map.set(h, (map.get(h) ?? 0) + value)
  }
  return map
}

const severityOf = (score: number, threshold: number): Anomaly['severity'] => {
  const size = Math.abs(score)
  return size < 1.5 * threshold ? 'low' : size < 2.5 * threshold ? 'medium' : 'high'
}

const optionsOf = (options: AnomalyOptions): { minHistoryWeeks: number; threshold: number } => {
  const { minHistoryWeeks = DEFAULT_MIN_HISTORY_WEEKS, threshold = DEFAULT_THRESHOLD } = options
  if (!(Number.isInteger(minHistoryWeeks) && minHistoryWeeks >= 1 && minHistoryWeeks <= HISTORY_WEEKS)) {
    throw new RangeError(`minHistoryWeeks is ${minHistoryWeeks}; give a whole number of weeks from 1 to ${HISTORY_WEEKS}`)
  }
  if (!(Number.isFinite(threshold) && threshold > 0)) throw new RangeError(`threshold is ${threshold}; give a positive robust z-score such as 4`)
  return { minHistoryWeeks, threshold }
}

/** One usable past value: the metric, and the size it was measured on (the rate's denominator). */
interface Cell { value: number; size: number }

/**
 * The robust-z machinery shared by counts and rates. `cellAt(h)` is the usable value at hour h, or
 * undefined. Past values are standardized, (value − median of their hour) / unit(median, size),
 * and their spread φ is pooled over the hour-of-week ± SPREAD_WINDOW_HOURS by Shamos' estimator.
 * The scale of hour h, with k weeks of history, is then
 *
 *   max(φ · unit(median, size), floor(median, size)) · √(1 + π / (2k)),
 *
 * the floor being the least noise such a value can have (Poisson or binomial), so that a history
 * that happens to be flat cannot make one event an alarm, and the last factor the uncertainty of a
 * median of k values (Var ≈ π σ² / (2k) for normal data), which x − median carries on top of x's own.
 */
const detect = (
  hours: Iterable<number>,
  cellAt: (h: number) => Cell | undefined,
  unit: (expected: number, size: number) => number,
  floor: (expected: number, size: number) => number,
  { minHistoryWeeks, threshold }: { minHistoryWeeks: number; threshold: number },
): Anomaly[] => {
  // Per hour: its history, their median, and the pairwise gaps of the standardized history.
  const historyCache = new Map<number, { cells: Cell[]; middle: number; gaps: number[] }>()
  const historyOf = (h: number): { cells: Cell[]; middle: number; gaps: number[] } => {
    let found = historyCache.get(h)
    if (!found) {
      const cells: Cell[] = []
      for (let k = 1; k <= HISTORY_WEEKS; k++) {
        const cell = cellAt(h - k * WEEK)
        if (cell) cells.push(cell)
      }
      const middle = cells.length > 0 ? median(cells.map((c) => c.value)) : 0
      const z = cells.map((c) => (c.value - middle) / unit(middle, c.size))
      const gaps: number[] = []
      for (let i = 0; i < z.length; i++) for (let j = i + 1; j < z.length; j++) gaps.push(Math.abs((z[i] as number) - (z[j] as number)))
      found = { cells, middle, gaps }
      historyCache.set(h, found)
    }
    return found
  }
  // One buffer for the pooled gaps of every hour (a typed array sorts numerically, and fast).
  const pooled = new Float64Array(((2 * SPREAD_WINDOW_HOURS + 1) * HISTORY_WEEKS * (HISTORY_WEEKS - 1)) / 2)
  const found: Anomaly[] = []
  for (const h of hours) {
    const now = cellAt(h)
    if (!now) continue
    const { cells, middle: expected } = historyOf(h)
    if (cells.length < minHistoryWeeks) continue
    let count = 0
    for (let d = -SPREAD_WINDOW_HOURS; d <= SPREAD_WINDOW_HOURS; d++) for (const gap of historyOf(h + d * HOUR).gaps) pooled[count++] = gap
    const spread = count > 0 ? PAIRS_TO_SD * middleOf(pooled.subarray(0, count).sort()) : 0
    const scale = Math.max(spread * unit(expected, now.size), floor(expected, now.size)) * Math.sqrt(1 + Math.PI / (2 * cells.length))
    const score = (now.value - expected) / scale
    if (!(Number.isFinite(score) && Math.abs(score) >= threshold)) continue
    found.push({ hour: h, value: now.value, expected, score, severity: severityOf(score, threshold), direction: score < 0 ? 'drop' : 'spike' })
  }
  return found
}

/**
 * Flags hours of an hourly count series (events, conversions) that are far from the same
 * hour-of-week in up to HISTORY_WEEKS previous weeks: robust z = (x − median) / scale, the median
 * of the same hour-of-week, the scale a robust standard deviation (see below). Hours with
 * |z| ≥ threshold are returned, in time order.
 *
 * Why hour-of-week: traffic has a daily cycle and a weekly one (Monday 9:00 is not Sunday 3:00).
 * Comparing an hour only with the same hour of previous weeks removes both cycles without
 * modelling them; the median ignores a minority of odd weeks (a past outage or a sale), where a
 * mean would be dragged by them.
 *
 * The scale: past values are divided by the median of their hour-of-week (counts compared
 * relative to their level), and the spread φ of these is estimated robustly (Shamos' pairwise
 * form of the MAD, pooled over the same hour-of-week ± SPREAD_WINDOW_HOURS so that a few weeks
 * suffice); the floor is √median (at least 1), because counts are at least Poisson-noisy and a
 * history that happens to be flat (MAD 0, e.g. three identical nights) must not turn a difference
 * of one event into an alarm; and the median's own uncertainty widens it. In short:
 * scale = max(φ · median, √median) · √(1 + π/(2k)), k weeks of history.
 *
 * A lasting change of level (traffic doubled for good) is flagged until it makes up most of the
 * history (three weeks when traffic doubles, with 8 weeks behind it): the price of a baseline that
 * a one-off bad week cannot move.
 *
 * Hours missing between the first and last point count as 0 (an hour without events has no row),
 * so an outage is seen. An hour is judged only when it has at least `minHistoryWeeks` weeks of
 * history inside the series.
 */
export const detectAnomalies = (series: readonly HourPoint[], options: AnomalyOptions = {}): Anomaly[] => {
  const settings = optionsOf(options)
  const values = byHour(series)
  if (values.size === 0) return []
  let first = Infinity
  let last = -Infinity
  for (const h of values.keys()) {
    first = Math.min(first, h)
    last = Math.max(last, h)
  }
  const cellAt = (h: number): Cell | undefined => (h >= first && h <= last ? { value: Math.max(0, values.get(h) ?? 0), size: 1 } : undefined)
  const hours = function* (): Generator<number> {
    for (let h = first + settings.minHistoryWeeks * WEEK; h <= last; h += HOUR) yield h
  }
  return detect(
    hours(),
    cellAt,
    (expected) => Math.max(1, expected),
    (expected) => Math.sqrt(Math.max(1, expected)),
    settings,
  )
}

/**
 * Flags hours whose rate numerator / denominator (e.g. conversions / sessions) is far from the
 * same hour-of-week in the previous weeks, by the same robust z as `detectAnomalies`, in binomial
 * units: scale = max(φ, 1) · √(max(p(1 − p), 1/n) / n) · √(1 + π/(2k)) at the median rate p and
 * this hour's denominator n, φ the pooled robust spread of past rates each standardized by its
 * own binomial error (so hours of different traffic mix fairly), the binomial error itself the
 * floor (at least 1/n, so that a rate of 0 cannot make one conversion an alarm). Hours whose denominator is below
 * MIN_DENOMINATOR are ignored, as hours to judge and as history; an hour needs `minHistoryWeeks`
 * such weeks of history. `value` and `expected` are rates.
 */
export const detectRateAnomalies = (numerators: readonly HourPoint[], denominators: readonly HourPoint[], options: AnomalyOptions = {}): Anomaly[] => {
  const settings = optionsOf(options)
  const num = byHour(numerators)
  const den = byHour(denominators)
  const cellAt = (h: number): Cell | undefined => {
    const n = den.get(h) ?? 0
    return n >= MIN_DENOMINATOR ? { value: Math.max(0, num.get(h) ?? 0) / n, size: n } : undefined
  }
  const unit = (p: number, n: number): number => {
    const q = Math.min(1, Math.max(0, p))
    return Math.sqrt(Math.max(q * (1 - q), 1 / n) / n)
  }
  return detect([...den.keys()].sort((a, b) => a - b), cellAt, unit, unit, settings)
}
