import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../../src/index'
import { consentMode } from '../../../src/consent/consent-mode'
import { freshIndexedDb } from '../fresh'

const ALL = { personalization: true, measurement: true, sync: true }
const NONE = { personalization: false, measurement: false, sync: false }

declare global {
  interface Window {
    dataLayer?: unknown
  }
}

/** The gtag snippet as Google ships it: it pushes its `arguments` object, not an array. */
function gtag(..._args: unknown[]): void {
  // eslint-disable-next-line prefer-rest-params -- faithful to gtag: Consent Mode entries are Arguments objects
  ;(window.dataLayer as unknown[]).push(arguments)
}

let a: Attune
let errors: AttuneError[]

beforeEach(() => {
  a = createAttune({ site: 'shop-1', storage: 'memory' })
  errors = []
  a.on('error', (e) => errors.push(e))
  window.dataLayer = []
})
afterEach(async () => {
  delete window.dataLayer
  await a.destroy()
})

describe('consentMode', () => {
  it('default denied, then an update grants synchronously', () => {
    consentMode(a)
    gtag('consent', 'default', { analytics_storage: 'denied', personalization_storage: 'denied', ad_storage: 'denied' })
    expect(a.consent.get()).toEqual(NONE)
    gtag('consent', 'update', { analytics_storage: 'granted', personalization_storage: 'granted' })
    expect(a.consent.get()).toEqual(ALL)
    expect(errors).toEqual([])
  })

  it('replays commands pushed before it started', () => {
    gtag('js', new Date())
    gtag('consent', 'default', { analytics_storage: 'denied', personalization_storage: 'denied' })
    gtag('consent', 'update', { personalization_storage: 'granted' })
    consentMode(a)
    expect(a.consent.get()).toEqual({ personalization: true, measurement: false, sync: true })
  })

  it('maps each purpose through `map`', () => {
    consentMode(a, { map: { sync: ['personalization_storage', 'analytics_storage'] } })
    gtag('consent', 'update', { personalization_storage: 'granted' })
    expect(a.consent.get()).toEqual({ personalization: true, measurement: false, sync: false })
    gtag('consent', 'update', { analytics_storage: 'granted' })
    expect(a.consent.get()).toEqual(ALL)
  })

  it('a deny after a grant denies that purpose; losing everything withdraws', () => {
    const deny = vi.spyOn(a.consent, 'deny')
    const withdraw = vi.spyOn(a.consent, 'withdraw')
    consentMode(a)
    gtag('consent', 'update', { analytics_storage: 'granted', personalization_storage: 'granted' })
    gtag('consent', 'update', { analytics_storage: 'denied' })
    expect(deny).toHaveBeenLastCalledWith(['measurement'])
    expect(a.consent.get()).toEqual({ personalization: true, measurement: false, sync: true })
    gtag('consent', 'update', { personalization_storage: 'denied' })
    expect(withdraw).toHaveBeenCalledTimes(1)
    expect(a.consent.get()).toEqual(NONE)
  })

  it('ignores values other than granted/denied and commands other than default/update', () => {
    consentMode(a)
    gtag('consent', 'update', { analytics_storage: 'granted' })
    gtag('consent', 'update', { analytics_storage: 'yes', wait_for_update: 500 })
    gtag('consent', 'revoke', { analytics_storage: 'denied' })
    gtag('consent', 'update', 'analytics_storage')
    ;(window.dataLayer as unknown[]).push({ event: 'gtm.js' }, null, 42)
    expect(a.consent.get()).toEqual({ personalization: false, measurement: true, sync: false })
    expect(errors).toEqual([])
  })

  it('an update outranks a later default', () => {
    consentMode(a)
    gtag('consent', 'update', { analytics_storage: 'granted' })
    gtag('consent', 'default', { analytics_storage: 'denied' })
    expect(a.consent.get().measurement).toBe(true)
  })

  it('a region-scoped default can deny but not grant', () => {
    consentMode(a)
    gtag('consent', 'default', { analytics_storage: 'granted', region: ['US-CA'] })
    expect(a.consent.get().measurement).toBe(false)
    gtag('consent', 'default', { analytics_storage: 'granted' })
    gtag('consent', 'default', { analytics_storage: 'denied', region: ['DE', 'FR'] })
    expect(a.consent.get().measurement).toBe(false)
  })

  it('a later general default does not undo a region-scoped denial: only an update grants that type', () => {
    consentMode(a)
    gtag('consent', 'default', { analytics_storage: 'denied', personalization_storage: 'denied', region: ['DE', 'FR', 'IT'] })
    gtag('consent', 'default', { analytics_storage: 'granted', personalization_storage: 'granted' })
    expect(a.consent.get()).toEqual(NONE)
    gtag('consent', 'update', { analytics_storage: 'granted', personalization_storage: 'granted' })
    expect(a.consent.get()).toEqual(ALL)
  })

  it("a held grant waits through the page's denied defaults for the banner's update: nothing denied meanwhile", () => {
    a.consent.grant()
    const deny = vi.spyOn(a.consent, 'deny')
    const withdraw = vi.spyOn(a.consent, 'withdraw')
    consentMode(a)
    gtag('consent', 'default', { analytics_storage: 'denied', personalization_storage: 'denied', ad_storage: 'denied' })
    expect(a.consent.get()).toEqual(ALL)
    gtag('consent', 'update', { analytics_storage: 'granted', personalization_storage: 'granted' })
    expect(a.consent.get()).toEqual(ALL)
    expect(deny).not.toHaveBeenCalled()
    expect(withdraw).not.toHaveBeenCalled()
  })

  it("a held grant: the banner's update is the answer, and one that denies takes the grant back", () => {
    a.consent.grant()
    consentMode(a)
    gtag('consent', 'default', { analytics_storage: 'denied', personalization_storage: 'denied' })
    gtag('consent', 'update', { analytics_storage: 'granted' })
    expect(a.consent.get()).toEqual({ personalization: false, measurement: true, sync: false })
  })

  it('does nothing before the first consent command (a remembered grant stays)', () => {
    a.consent.grant()
    gtag('config', 'G-123')
    consentMode(a)
    expect(a.consent.get()).toEqual(ALL)
  })

  it('stop() restores the array’s own push and stops following', () => {
    const layer = window.dataLayer as unknown[]
    const stop = consentMode(a)
    expect(Object.prototype.hasOwnProperty.call(layer, 'push')).toBe(true)
    stop()
    expect(Object.prototype.hasOwnProperty.call(layer, 'push')).toBe(false)
    expect(layer.push).toBe(Array.prototype.push)
    gtag('consent', 'update', { analytics_storage: 'granted' })
    expect(a.consent.get()).toEqual(NONE)
  })

  it('stop() restores a push someone installed before, and leaves a later wrapper in place, inert', () => {
    const layer = window.dataLayer as unknown[]
    const theirs = vi.fn((...items: unknown[]) => Array.prototype.push.apply(layer, items))
    layer.push = theirs
    const stop = consentMode(a)
    stop()
    expect(layer.push).toBe(theirs)

    const stop2 = consentMode(a)
    const ours = layer.push
    const later = (...items: unknown[]) => ours.apply(layer, items)
    layer.push = later
    stop2()
    expect(layer.push).toBe(later)
    gtag('consent', 'update', { analytics_storage: 'granted' })
    expect(a.consent.get()).toEqual(NONE)
    expect(theirs).toHaveBeenCalled()
  })

  it('creates window.dataLayer when missing (as gtag would), and removes it on stop() if unused', () => {
    delete window.dataLayer
    const stop = consentMode(a)
    expect(Array.isArray(window.dataLayer)).toBe(true)
    stop()
    expect(window.dataLayer).toBeUndefined()
  })

  it('a throwing original push: the command still counts, the error is reported, not thrown', () => {
    const layer = window.dataLayer as unknown[]
    const boom = new Error('tag manager bug')
    layer.push = () => {
      throw boom
    }
    consentMode(a)
    expect(() => gtag('consent', 'update', { analytics_storage: 'granted' })).not.toThrow()
    expect(a.consent.get().measurement).toBe(true)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'callback', cause: boom })
  })

  it('a non-array dataLayer: reported as bad_call, nothing changed', () => {
    const odd = { push: () => 0 }
    window.dataLayer = odd
    const stop = consentMode(a)
    expect(window.dataLayer).toBe(odd)
    expect(odd.push).toBeTypeOf('function')
    expect(errors.map((e) => e.code)).toEqual(['bad_call'])
    expect(() => stop()).not.toThrow()
  })

  it('a bad map: reported as bad_call', () => {
    consentMode(a, { map: { sync: 'analytics_storage' as unknown as string[] } })
    expect(errors.map((e) => e.code)).toEqual(['bad_call'])
  })
})

describe('consentMode across pages', () => {
  // Consent Mode keeps no choice: each page sends its denied defaults, then the banner repeats the
  // shopper's grant as an update. The profile the first page built must still be there.
  it('the next page, denied defaults then the update, keeps the profile built on the page before', async () => {
    freshIndexedDb()
    const first = createAttune({ site: 'shop-1' })
    const stopFirst = consentMode(first)
    gtag('consent', 'default', { analytics_storage: 'denied', personalization_storage: 'denied' })
    gtag('consent', 'update', { analytics_storage: 'granted', personalization_storage: 'granted' })
    await new Promise((resolve) => first.on('ready', resolve))
    first.track('product_viewed', { category: 'running' })
    await vi.waitFor(() => expect(first.profile.get().counters.product_views).toBe(1))
    stopFirst()
    await first.destroy()

    window.dataLayer = []
    const next = createAttune({ site: 'shop-1' })
    const stopNext = consentMode(next)
    gtag('consent', 'default', { analytics_storage: 'denied', personalization_storage: 'denied' })
    gtag('consent', 'update', { analytics_storage: 'granted', personalization_storage: 'granted' })
    await new Promise((resolve) => next.on('ready', resolve))
    expect(next.consent.get()).toEqual(ALL)
    expect(next.profile.get().counters.product_views).toBe(1)
    stopNext()
    await next.destroy()
    // The grant the first page remembered must not reach the next test.
    localStorage.clear()
  })
})

describe('consentMode: how fast an update takes effect', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  // The promise: active within 500 ms of gtag('consent', 'update', granted). Every timer
  // and IndexedDB task runs on the fake clock, so a delay of attune's own would show, whatever
  // the machine's speed.
  it('an update to granted makes attune ready, its profile loaded from IndexedDB, within 500 ms', async () => {
    vi.useFakeTimers()
    freshIndexedDb()
    const b = createAttune({ site: 'shop-1' })
    let readyAt: number | undefined
    b.on('ready', () => {
      readyAt = Date.now()
    })
    const stop = consentMode(b)
    gtag('consent', 'default', { analytics_storage: 'denied', personalization_storage: 'denied' })
    await vi.advanceTimersByTimeAsync(1_000)
    expect(readyAt).toBeUndefined()

    const updatedAt = Date.now()
    gtag('consent', 'update', { analytics_storage: 'granted', personalization_storage: 'granted' })
    await vi.advanceTimersByTimeAsync(500)
    expect(readyAt).toBeDefined()
    expect(readyAt! - updatedAt).toBeLessThanOrEqual(500)
    expect(b.consent.get()).toEqual(ALL)
    b.track('product_viewed', { category: 'running' })
    await vi.advanceTimersByTimeAsync(500)
    expect(b.profile.get().counters.product_views).toBe(1)
    stop()
    await b.destroy()
  })
})
