import 'fake-indexeddb/auto'
import { describe, expect, it, vi } from 'vitest'

// Every module of the SDK except the script-tag entry, whose whole job is to act when loaded.
const modules = import.meta.glob(['../../src/**/*.ts', '!../../src/browser.ts'])

describe('importing attune in a browser (jsdom)', () => {
  it('creates no global, listener, timer, observer, storage or request', async () => {
    const globalsBefore = new Set(Object.getOwnPropertyNames(window))
    const spies = [
      // jsdom's window carries its own copy of addEventListener: watch it and the prototype.
      vi.spyOn(EventTarget.prototype, 'addEventListener'),
      vi.spyOn(window, 'addEventListener'),
      vi.spyOn(window, 'setTimeout'),
      vi.spyOn(window, 'setInterval'),
      vi.spyOn(window, 'requestAnimationFrame'),
      vi.spyOn(window, 'queueMicrotask'),
      vi.spyOn(indexedDB, 'open'),
      vi.spyOn(Storage.prototype, 'setItem'),
      vi.spyOn(Storage.prototype, 'getItem'),
    ]
    // jsdom has no sendBeacon: provide one to watch.
    const beacon = vi.fn()
    Object.defineProperty(navigator, 'sendBeacon', { value: beacon, configurable: true })
    const fetchSpy = vi.fn()
    vi.stubGlobal('fetch', fetchSpy)
    const cookie = vi.spyOn(document, 'cookie', 'set')
    const observers = ['MutationObserver', 'IntersectionObserver', 'PerformanceObserver', 'BroadcastChannel'] as const
    const constructed = observers.filter((name) => name in window).map((name) => vi.spyOn(window, name))

    const paths = Object.keys(modules)
    expect(paths.length).toBeGreaterThan(8)
    for (const path of paths) await modules[path]!()

    for (const spy of [...spies, beacon, fetchSpy, cookie, ...constructed]) expect(spy).not.toHaveBeenCalled()
    expect(Object.getOwnPropertyNames(window).filter((name) => !globalsBefore.has(name))).toEqual([])
    expect(document.cookie).toBe('')
    expect(localStorage.length + sessionStorage.length).toBe(0)
    expect(await indexedDB.databases()).toEqual([])
  })
})
