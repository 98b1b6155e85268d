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
 * Events per rollup transaction. PGlite runs each statement on the event loop, and a request
 * arriving mid-transaction waits for it to end (the rollup stops only between transactions):
 * 500 events take ~50 ms there, under a backlog.
 */
const BATCH = { postgres: 50_000, pglite: 500 }

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
  let running = false
  let last: Promise<unknown> = Promise.resolve()
  let next: Promise<void> | undefined

  /** Runs `rollUpAll` after the one in flight (`begin` when it starts); resolves whether it emptied the queue. */
  const enqueue = (keepGoing?: () => boolean, begin?: () => void): Promise<boolean> => {
    const run = last
      .then(() => {
        begin?.()
        return rollUpAll(db, BATCH[db.kind], keepGoing)
      })
      .then((taken) => !Number.isNaN(taken))
    last = run.catch(() => undefined)
    return run
  }

  /** A whole run after the one in flight, shared by everyone who asks until it starts: it sees what they stored. */
  const flush = (): Promise<void> =>
    (next ??= enqueue(undefined, () => {
      next = undefined
    }).then(() => undefined))

  /**
   * Runs once ingest has paused for `debounce`, or `maxLag` after the oldest ingest waiting; and
   * between two of its transactions it stops for an ingest that came meanwhile (the rest waits
   * for the next pause), unless that oldest ingest is `maxLag` old. On PGlite its statements and
   * the requests' share one thread: a backlog rolled up under load would starve the requests.
   */
  const wake = (): void => {
    timer = undefined
    if (stopped || running) return
    const wait = Math.min(lastIngest + debounce, firstIngest + maxLag) - now()
    if (wait > 0) return arm(wait)
    const started = now()
    running = true
    enqueue(() => !stopped && (lastIngest < started || now() - firstIngest >= maxLag))
      .then(
        (done) => {
          if (done && lastIngest < started) firstIngest = 0
          else if (done) firstIngest = started
        },
        (error: Error) => {
          // Not again at once (a broken database would log every second): the queue keeps its
          // events, and the next ingest or insight read tries again.
          firstIngest = 0
          console.error(`attune-server: insights rollup failed: ${error.message}`)
        },
      )
      .finally(() => {
        running = false
        if (firstIngest && !stopped && !timer) arm(debounce)
      })
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
    if (!timer && !running) arm(debounce)
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
