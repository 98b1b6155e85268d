import type { Db } from '../db/createDb'
import { rollUpAll } from '../db/rollup'

/** How long after an ingest the rollup runs: the collects of that moment go in one rollup. */
const DEBOUNCE_MS = 1000

/**
 * Events per rollup transaction. PGlite runs each statement on the event loop, so its batches
 * stay small enough not to stall the server for long.
 */
const BATCH = { postgres: 50_000, pglite: 2_000 }

/**
 * Keeps the insight rollups up to date on this instance: `schedule()` after an ingest (the
 * rollup runs once, `DEBOUNCE_MS` later, for everything stored meanwhile), `flush()` before a
 * read that must see every stored event. Runs never overlap here; across instances the rollup's
 * advisory lock makes them take turns. `stop()` cancels a scheduled run and waits for one in flight.
 */
export const createRollups = (db: Db, options: { debounceMs?: number } = {}) => {
  let timer: ReturnType<typeof setTimeout> | undefined
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

  const schedule = (): void => {
    if (timer || stopped) return
    timer = setTimeout(() => {
      timer = undefined
      if (stopped) return
      flush().catch((error: Error) => console.error(`attune-server: insights rollup failed: ${error.message}`))
    }, options.debounceMs ?? DEBOUNCE_MS)
    timer.unref?.()
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
