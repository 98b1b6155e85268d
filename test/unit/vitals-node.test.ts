// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createAttune } from '../../src/index'
import { vitals } from '../../src/vitals'
import type * as WebVitals from 'web-vitals/attribution'

const registered = vi.hoisted(() => ({ count: 0 }))
vi.mock('web-vitals/attribution', async (importOriginal) => {
  const real = await importOriginal<typeof WebVitals>()
  const count = <F extends (...args: never[]) => unknown>(fn: F) => ((...args: Parameters<F>) => (registered.count++, fn(...args))) as F
  return { ...real, onLCP: count(real.onLCP), onCLS: count(real.onCLS), onINP: count(real.onINP) }
})

describe('attune/vitals in Node (SSR)', () => {
  it('vitals() does nothing without a document and returns a stop that does nothing either', async () => {
    expect(typeof document).toBe('undefined')
    const a = createAttune({ site: 'shop-1' })
    const errors: unknown[] = []
    a.on('error', (e) => errors.push(e))
    const stop = vitals(a)
    expect(registered.count).toBe(0)
    expect(() => stop()).not.toThrow()
    expect(errors).toEqual([])
    await a.destroy()
  })
})
