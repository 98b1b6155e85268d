/** Options of {@link createCoalescer}. */
export interface CoalesceOptions<I> {
  /** Batches running at once; a call made while they all run waits for the next batch. */
  concurrency: number
  /** Most weight in one batch (a single heavier item still goes, alone). */
  maxWeight: number
  /** Weight of an item (e.g. its events); 1 when not given. */
  weight?: (item: I) => number
}

interface Waiting<I, O> {
  item: I
  resolve: (value: O) => void
  reject: (error: unknown) => void
}

/**
 * Group commit. `run` takes several items and does them in one statement, answering one
 * result per item in order; the returned function takes one item and resolves with its result
 * once the batch holding it is done (committed). A call that finds fewer than `concurrency`
 * batches running goes at once, alone: an idle server adds no wait, there is no timer. Calls
 * made meanwhile queue up and leave together as soon as a batch ends, so the busier the
 * server, the fewer statements, commits and round trips per request.
 *
 * A batch that fails is run again item by item, so one bad item fails only its own caller.
 */
export const createCoalescer = <I, O>(run: (items: readonly I[]) => Promise<readonly O[]>, options: CoalesceOptions<I>) => {
  const weight = options.weight ?? (() => 1)
  let queue: Waiting<I, O>[] = []
  let running = 0

  const settle = async (batch: Waiting<I, O>[]): Promise<void> => {
    try {
      const results = await run(batch.map((w) => w.item))
      batch.forEach((w, i) => w.resolve(results[i] as O))
    } catch (error) {
      if (batch.length === 1) return (batch[0] as Waiting<I, O>).reject(error)
      await Promise.all(batch.map((w) => run([w.item]).then((results) => w.resolve(results[0] as O), w.reject)))
    }
  }

  const pump = (): void => {
    while (running < options.concurrency && queue.length > 0) {
      let total = 0
      let n = 0
      while (n < queue.length && (n === 0 || total + weight((queue[n] as Waiting<I, O>).item) <= options.maxWeight)) {
        total += weight((queue[n] as Waiting<I, O>).item)
        n++
      }
      const batch = queue.slice(0, n)
      queue = queue.slice(n)
      running++
      void settle(batch).finally(() => {
        running--
        pump()
      })
    }
  }

  return (item: I): Promise<O> =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject })
      pump()
    })
}
