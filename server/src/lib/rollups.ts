import type { Db } from '../db/createDb'
import { rollUpAll } from '../db/rollup'

/** Quiet time after the last ingest before the rollup runs: the collects of a burst go in one rollup. */
const DEBOUNCE_MS = 1000

/**
 * Longest a stored event waits to be rolled up while ingest never pauses. Rolling up reads every
 * event back (a good part of what storing it costs; on PGlite, on the same thread as the
 * requests), so under steady load it runs this often, in large batches, rather than beside
 * every second of ingest; an admin read rolls up everything first, so it never sees stale counts.
 */
const MAX_LAG_MS = 300_000

/**
 * Events per rollup transaction. PGlite runs each statement on the event loop, so its batches
 * stay small enough not to stall the server for long.
 */
const BATCH = { postgres: 50_000, pglite: 2_000 }

/**
 * Keeps the insight rollups up to date on this instance: `schedule()` after an ingest (the
 * rollup runs once ingest has paused for `DEBOUNCE_MS`, or `MAX_LAG_MS` after the first event
 * waiting, for everything stored meanwhile), `flush()` before a read that must see every
 * stored event. Runs never overlap here; across instances the rollup's
 * advisory lock makes them take turns. `stop()` cancels a scheduled run and waits for one in flight.
 */
export const createRollups = (db: Db, options: { debounceMs?: number; maxLagMs?: number; now?: () => number } = {}) => {
  const debounce = options.debounceMs ?? DEBOUNCE_MS
  const maxLag = options.maxLagMs ?? MAX_LAG_MS
  const now = options.now ?? Date.now
  let timer: ReturnType<typeof setTimeout> | undefined
  /** When the first ingest not yet rolled up, and the latest one, happened (0: none waiting). */
  let firstIngest = 0
  let lastIngest = 0
  let stopped = false
  let last: Promise<unknown> = Promise.resolve()
  let next: Promise<void> | undefined

  /** A run after the one in flight (shared by everyone who asks until it starts): it sees what they stored. */
  const flush = (): Promise<void> => {
    if (next) return next
    const run = last.then(async () => {
      next = undefined
      await rollUpAll(db, BATCH[db.kind])
    })
    next = run
    last = run.catch(() => undefined)
    return run
  }

  /** Runs once ingest has paused for `debounce`, or `maxLag` after the first ingest waiting. */
  const wake = (): void => {
    timer = undefined
    if (stopped) return
    const at = now()
    const wait = Math.min(lastIngest + debounce, firstIngest + maxLag) - at
    if (wait > 0) return arm(wait)
    firstIngest = 0
    flush().catch((error: Error) => console.error(`attune-server: insights rollup failed: ${error.message}`))
  }
  const arm = (ms: number): void => {
    timer = setTimeout(wake, ms)
    timer.unref?.()
  }

  // One timer at a time, re-armed by itself: an ingest only notes its time.
  const schedule = (): void => {
    if (stopped) return
    lastIngest = now()
    firstIngest ||= lastIngest
    if (!timer) arm(debounce)
  }

  const stop = async (): Promise<void> => {
    stopped = true
    if (timer) clearTimeout(timer)
    timer = undefined
    await last
  }

  return { schedule, flush, stop }
}

export type Rollups = ReturnType<typeof createRollups>
