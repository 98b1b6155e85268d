import { createAttune, type Attune, type AttuneError } from '../../../src/index'
import type { ConsentAdapter } from '../../../src/consent'

/**
 * The setup every adapter test shares: a fresh in-memory instance whose errors are collected,
 * and `start()` to wire the adapter to it. `cleanup()` stops adapters and destroys instances.
 */
export const adapterHarness = <O>(adapter: ConsentAdapter<O>) => {
  const cleanups: Array<() => unknown> = []
  const setup = (options?: O) => {
    const attune: Attune = createAttune({ site: 'shop-1', storage: 'memory' })
    const errors: AttuneError[] = []
    attune.on('error', (e) => errors.push(e))
    const start = () => {
      const stop = adapter(attune, options)
      cleanups.push(stop)
      return stop
    }
    cleanups.push(() => attune.destroy())
    return { attune, errors, start }
  }
  const cleanup = async () => {
    for (const fn of cleanups.splice(0)) await fn()
  }
  return { setup, cleanup }
}
