import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Db } from '../../server/src/db/createDb'
import { createRollups } from '../../server/src/lib/rollups'

/** A database that only counts rollup transactions (each finds the queue empty). */
const countingDb = () => {
  const db = {
    kind: 'postgres',
    where: 'test',
    runs: 0,
    query: async () => [],
    close: async () => undefined,
    transaction: async <T>(fn: (tx: { query: () => Promise<unknown[]> }) => Promise<T>): Promise<T> => {
      db.runs++
      return fn({ query: async () => [] })
    },
  }
  return db
}

describe('when the insight rollup runs (no database: the schedule alone)', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  const setup = () => {
    vi.useFakeTimers()
    const db = countingDb()
    const rollups = createRollups(db as unknown as Db, { debounceMs: 1_000, maxLagMs: 10_000, now: () => Date.now() })
    return { db, rollups }
  }

  it('once ingest has paused for the debounce, one rollup for the whole burst', async () => {
    const { db, rollups } = setup()
    for (let i = 0; i < 5; i++) {
      rollups.schedule()
      await vi.advanceTimersByTimeAsync(200)
    }
    expect(db.runs).toBe(0)
    await vi.advanceTimersByTimeAsync(900)
    expect(db.runs).toBe(1)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(db.runs).toBe(1)
    await rollups.stop()
  })

  it('under ingest that never pauses, at the latest the maximum lag after the first event waiting', async () => {
    const { db, rollups } = setup()
    for (let t = 0; t < 9_800; t += 200) {
      rollups.schedule()
      await vi.advanceTimersByTimeAsync(200)
    }
    expect(db.runs).toBe(0)
    rollups.schedule()
    await vi.advanceTimersByTimeAsync(400)
    expect(db.runs).toBe(1)
    // The lag counts again from the next ingest.
    rollups.schedule()
    await vi.advanceTimersByTimeAsync(500)
    expect(db.runs).toBe(1)
    await vi.advanceTimersByTimeAsync(600)
    expect(db.runs).toBe(2)
    await rollups.stop()
  })

  it('a rollup stops between two transactions for an ingest that came meanwhile, and goes on after the next pause', async () => {
    vi.useFakeTimers()
    // A backlog of three full batches, then an empty one; each transaction takes 100 ms.
    let full = 3
    let transactions = 0
    const db = {
      kind: 'postgres',
      query: async () => [],
      transaction: async <T>(fn: (tx: { query: () => Promise<unknown[]> }) => Promise<T>): Promise<T> => {
        await new Promise((resolve) => setTimeout(resolve, 100))
        transactions++
        const taken = full-- > 0 ? 50_000 : 0
        return fn({ query: async () => [{ ok: true, taken }] })
      },
    }
    const rollups = createRollups(db as unknown as Db, { debounceMs: 1_000, maxLagMs: 60_000, now: () => Date.now() })
    rollups.schedule()
    await vi.advanceTimersByTimeAsync(1_150)
    expect(transactions).toBe(1)
    rollups.schedule()
    await vi.advanceTimersByTimeAsync(500)
    expect(transactions).toBe(2)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(transactions).toBe(4)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(transactions).toBe(4)
    await rollups.stop()
  })

  it('a failed rollup is logged once and tried again at the next ingest, not in a loop', async () => {
    vi.useFakeTimers()
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    let runs = 0
    const db = {
      kind: 'postgres',
      transaction: async () => {
        runs++
        throw new Error('database down')
      },
    }
    const rollups = createRollups(db as unknown as Db, { debounceMs: 1_000, maxLagMs: 60_000, now: () => Date.now() })
    rollups.schedule()
    await vi.advanceTimersByTimeAsync(1_100)
    expect(runs).toBe(1)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(runs).toBe(1)
    expect(logged).toHaveBeenCalledTimes(1)
    rollups.schedule()
    await vi.advanceTimersByTimeAsync(1_100)
    expect(runs).toBe(2)
    await rollups.stop()
  })

  it('stop() cancels a scheduled rollup', async () => {
    const { db, rollups } = setup()
    rollups.schedule()
    await rollups.stop()
    await vi.advanceTimersByTimeAsync(20_000)
    expect(db.runs).toBe(0)
  })
})
