// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'

const modules = import.meta.glob('../../src/**/*.ts')

describe('importing attune in Node (SSR, no window)', () => {
  it('works and creates no global, listener or timer, including the script-tag entry', async () => {
    expect(typeof window).toBe('undefined')
    const globalsBefore = new Set(Object.getOwnPropertyNames(globalThis))
    const timers = [vi.spyOn(globalThis, 'setTimeout'), vi.spyOn(globalThis, 'setInterval'), vi.spyOn(globalThis, 'queueMicrotask')]
    const processOn = vi.spyOn(process, 'on')
    const fetchSpy = vi.fn()
    vi.stubGlobal('fetch', fetchSpy)

    for (const load of Object.values(modules)) await load()

    for (const spy of [...timers, processOn, fetchSpy]) expect(spy).not.toHaveBeenCalled()
    expect(Object.getOwnPropertyNames(globalThis).filter((name) => !globalsBefore.has(name))).toEqual([])
  })

  it('lets createAttune run on the server, dormant, without touching browser APIs', async () => {
    const { createAttune } = await import('../../src/index')
    const a = createAttune({ site: 'shop-1' })
    a.track('server_side')
    a.page()
    expect(a.consent.get()).toEqual({ personalization: false, measurement: false, sync: false })
    await a.destroy()
  })
})
