import { describe, expect, it, vi } from 'vitest'
import { autoTrack } from '../../src/auto'
import { createAttune } from '../../src/index'
import { startPage } from '../../src/startPage'
import { bootScriptTag } from '../../src/script-tag'

describe('destroy()', () => {
  it('removes every listener it added', async () => {
    const added: Array<[EventTarget, string, unknown]> = []
    const removed: Array<[EventTarget, string, unknown]> = []
    // jsdom's window carries its own copies of the EventTarget methods: watch both.
    for (const target of [EventTarget.prototype, window]) {
      vi.spyOn(target, 'addEventListener').mockImplementation(function (this: EventTarget, type, fn) {
        added.push([this, type, fn])
      })
      vi.spyOn(target, 'removeEventListener').mockImplementation(function (this: EventTarget, type, fn) {
        removed.push([this, type, fn])
      })
    }
    const a = createAttune({ site: 'shop-1' })
    a.consent.grant()
    await vi.waitFor(() => expect(added.map(([, type]) => type)).toContain('storage'))
    a.track('x')
    a.on('error', () => {})
    expect(added.length).toBeGreaterThan(0)
    await a.destroy()
    expect(removed).toEqual(expect.arrayContaining(added))
    localStorage.clear()
  })

  it('of the script tag also stops auto-tracking and restores the History API', async () => {
    const { pushState, replaceState } = history
    const script = document.createElement('script')
    script.setAttribute('data-attune-site', 'shop-1')
    script.setAttribute('data-attune-storage', 'memory')
    document.head.append(script)
    bootScriptTag(window)
    const command = (window as { attune?: (...args: unknown[]) => unknown }).attune!
    command('consent', 'grant')
    // What attune-page.min.js does once the tag has loaded it.
    command('extend', startPage)
    expect(history.pushState).not.toBe(pushState)
    await command('destroy')
    expect(history.pushState).toBe(pushState)
    expect(history.replaceState).toBe(replaceState)
    Reflect.deleteProperty(window, 'attune')
    script.remove()
  })

  it('leaves nothing of attune/auto after its stop', async () => {
    const { pushState } = history
    const a = createAttune({ site: 'shop-1', storage: 'memory' })
    const stop = autoTrack(a)
    expect(history.pushState).not.toBe(pushState)
    stop()
    await a.destroy()
    expect(history.pushState).toBe(pushState)
  })

  it('silences the instance: listeners no longer hear anything and calls do nothing', async () => {
    const a = createAttune({ site: 'shop-1', storage: 'memory' })
    const heard = vi.fn()
    a.on('track', heard)
    a.on('consent', heard)
    await a.destroy()
    a.consent.grant()
    a.track('after')
    expect(heard).not.toHaveBeenCalled()
    expect(a.consent.get()).toEqual({ personalization: false, measurement: false, sync: false })
  })

  it('leaves no pending timer and no ready callback behind', async () => {
    vi.useFakeTimers()
    try {
      const a = createAttune({ site: 'shop-1', storage: 'memory', consent: { default: ['personalization'] } })
      const ready = vi.fn()
      a.on('ready', ready)
      await a.destroy()
      await vi.runAllTimersAsync()
      expect(vi.getTimerCount()).toBe(0)
      expect(ready).not.toHaveBeenCalled()
    } finally {
      vi.useRealTimers()
    }
  })

  it('can be called twice', async () => {
    const a = createAttune({ site: 'shop-1', storage: 'memory' })
    await a.destroy()
    await expect(a.destroy()).resolves.toBeUndefined()
  })
})
