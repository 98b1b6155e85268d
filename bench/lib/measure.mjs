/**
 * Small helpers shared by the `*.bench.mjs` files: timing with `process.hrtime.bigint()`,
 * summary statistics, and handing results to `run.mjs`.
 */
import { writeFileSync } from 'node:fs'

/** Nanoseconds since an arbitrary origin, as a Number (exact to well past a day of runtime). */
export const nowNs = () => Number(process.hrtime.bigint())

/** Yields to the event loop once, after pending I/O callbacks (where fake-indexeddb does its work). */
export const yieldToLoop = () => new Promise((done) => setImmediate(done))

/** Waits `ms` milliseconds. */
export const sleep = (ms) => new Promise((done) => setTimeout(done, ms))

/** Runs the garbage collector when node was started with `--expose-gc` (run.mjs does), so one phase's garbage is not billed to the next. */
export const collectGarbage = () => globalThis.gc?.()

/** Mean, p50, p99, min and max of `samples` (a Float64Array or array of numbers), in their unit. */
export const summarize = (samples) => {
  const sorted = Float64Array.from(samples).sort()
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  let sum = 0
  for (const x of sorted) sum += x
  return { n: sorted.length, mean: sum / sorted.length, p50: at(0.5), p99: at(0.99), min: sorted[0], max: sorted[sorted.length - 1] }
}

/** Rounds for display and JSON: 3 significant digits below 100, whole numbers above. */
export const round = (x) => (Math.abs(x) >= 100 ? Math.round(x) : Number(x.toPrecision(3)))

/**
 * Hands a bench file's results to run.mjs: written as JSON to `ATTUNE_BENCH_OUT` when run by it,
 * printed otherwise (a bench file can be run on its own with `node --expose-gc bench/x.bench.mjs`).
 *
 * A result row: `{ metric, subject, value, unit, p50?, p99?, target?: { op: '<' | '<=' | '>' | '>=', value }, note? }`.
 * `subject` is what was measured (`attune`, later a peer library), so rows of several subjects can sit side by side.
 */
export const report = (result) => {
  const json = JSON.stringify(result, null, 2)
  if (process.env.ATTUNE_BENCH_OUT) writeFileSync(process.env.ATTUNE_BENCH_OUT, json + '\n')
  else console.log(json)
}
