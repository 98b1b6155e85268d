import { describe, expect, it } from 'vitest'
import { createCoalescer } from '../../server/src/db/coalesce'
import { SITE, drivers, event, events, newVisitor, useServer } from './helpers'

/** A promise and the functions that settle it, for running a batch by hand. */
const deferred = <T>() => {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)))
  return { promise, resolve, reject }
}

describe('createCoalescer (group commit)', () => {
  it('a call that finds nothing running goes at once, alone', async () => {
    const batches: number[][] = []
    const run = createCoalescer(async (items: readonly number[]) => (batches.push([...items]), items.map((x) => x * 2)), { concurrency: 1, maxWeight: 10 })
    expect(await run(21)).toBe(42)
    expect(batches).toEqual([[21]])
  })

  it('calls made while a batch runs leave together, each with its own result, once it ends', async () => {
    const batches: number[][] = []
    const gates: ReturnType<typeof deferred<void>>[] = []
    const run = createCoalescer(
      async (items: readonly number[]) => {
        batches.push([...items])
        const gate = deferred<void>()
        gates.push(gate)
        await gate.promise
        return items.map((x) => x + 100)
      },
      { concurrency: 1, maxWeight: 10 },
    )
    const first = run(1)
    const rest = [run(2), run(3), run(4)]
    expect(batches).toEqual([[1]])
    gates[0]?.resolve()
    expect(await first).toBe(101)
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(batches).toEqual([[1], [2, 3, 4]])
    gates[1]?.resolve()
    expect(await Promise.all(rest)).toEqual([102, 103, 104])
  })

  it('a batch holds at most maxWeight, but a heavier item still goes alone', async () => {
    const batches: number[][] = []
    const gate = deferred<void>()
    const run = createCoalescer(
      async (items: readonly number[]) => {
        batches.push([...items])
        await gate.promise
        return items
      },
      { concurrency: 1, maxWeight: 5, weight: (x) => x },
    )
    const all = [run(1), run(2), run(3), run(9), run(1)]
    gate.resolve()
    await Promise.all(all)
    expect(batches).toEqual([[1], [2, 3], [9], [1]])
  })

  it('a failed batch is run again item by item: only the bad item fails', async () => {
    const gate = deferred<void>()
    const run = createCoalescer(
      async (items: readonly string[]) => {
        await gate.promise
        if (items.includes('bad')) throw new Error('bad item')
        return items.map((x) => x.toUpperCase())
      },
      { concurrency: 1, maxWeight: 10 },
    )
    const first = run('a')
    const batch = [run('b'), run('bad'), run('c')]
    gate.resolve()
    expect(await first).toBe('A')
    const settled = await Promise.allSettled(batch)
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : 'rejected'))).toEqual(['B', 'rejected', 'C'])
  })
})

describe.each(drivers)('collect under concurrency: group commit ($name)', (driver) => {
  const t = useServer(driver)
  const collect = (body: unknown) => t.request('POST', '/v1/collect', { body })

  it('many visitors at once, sharing some event ids: every event stored once, counted once, acknowledged only when stored', async () => {
    const people = await Promise.all(Array.from({ length: 12 }, () => newVisitor(t)))
    const shared = events(5)
    const batches = people.map(() => [...events(15), ...shared])
    const answers = await Promise.all(people.map(({ visitor, token }, i) => collect({ site: SITE, visitor, token, events: batches[i] })))
    expect(answers.map((a) => a.status)).toEqual(people.map(() => 200))
    const accepted = answers.reduce((sum, a) => sum + a.body.accepted, 0)
    const duplicates = answers.reduce((sum, a) => sum + a.body.duplicates, 0)
    expect(accepted).toBe(12 * 15 + 5)
    expect(duplicates).toBe(11 * 5)
    const ids = [...new Set(batches.flat().map((e) => e.id))]
    const [row] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE site = $1 AND event_id = ANY($2::uuid[])', [SITE, ids])
    expect(row?.n).toBe(ids.length)
  })

  it('a visitor erased meanwhile is refused, its neighbours in the same batch are stored', async () => {
    const people = await Promise.all(Array.from({ length: 6 }, () => newVisitor(t)))
    const gone = people[2] as { visitor: string; token: string }
    expect((await t.request('DELETE', `/v1/profile?site=${SITE}&visitor=${gone.visitor}`, { headers: { authorization: `Bearer ${gone.token}` } })).status).toBe(204)
    const answers = await Promise.all(people.map(({ visitor, token }) => collect({ site: SITE, visitor, token, events: [event()] })))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 401, 200, 200, 200])
    expect(answers[2]?.body.reason).toBe('unknown_visitor')
    expect(await t.count('events', 'site = $1 AND visitor = $2', [SITE, gone.visitor])).toBe(0)
  })
})
