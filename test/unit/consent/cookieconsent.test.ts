// vanilla-cookieconsent v3 is not installed here, so these tests run against a stub written from
// its public API reference: the UMD build exposes `window.CookieConsent` with `validConsent()`,
// `acceptedCategory(name)` and `getUserPreferences()`, and dispatches `cc:onFirstConsent` then
// `cc:onConsent` on the first choice, `cc:onConsent` on every later load with a valid choice, and
// `cc:onChange` when the shopper changes it, all on `window`.
// https://cookieconsent.orestbida.com/reference/api-reference.html
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cookieconsent } from '../../../src/consent/cookieconsent'
import { adapterHarness } from './harness'

const NONE = { personalization: false, measurement: false, sync: false }
const ALL = { personalization: true, measurement: true, sync: true }
const win = window as unknown as Record<string, unknown>

/** The stub's cookie: accepted categories, or none before the first choice. */
let accepted: string[] | undefined
const install = (): void => {
  win.CookieConsent = {
    validConsent: () => accepted !== undefined,
    acceptedCategory: (name: string) => (accepted ?? []).includes(name),
    getUserPreferences: () => ({ acceptedCategories: [...(accepted ?? [])] }),
  }
}
const fire = (type: string) => window.dispatchEvent(new CustomEvent(type, { detail: { cookie: { categories: accepted } } }))
/** The shopper saves a choice in the banner or the preferences modal. */
const choose = (categories: string[]): void => {
  const first = accepted === undefined
  accepted = ['necessary', ...categories]
  if (first) {
    fire('cc:onFirstConsent')
    fire('cc:onConsent')
  } else fire('cc:onChange')
}

const { setup, cleanup } = adapterHarness(cookieconsent)

afterEach(async () => {
  await cleanup()
  delete win.CookieConsent
  accepted = undefined
  vi.useRealTimers()
})

const cases: Array<[string, string[], typeof NONE]> = [
  ['reject all', [], NONE],
  ['analytics', ['analytics'], { ...NONE, measurement: true }],
  ['personalization', ['personalization'], { ...NONE, personalization: true, sync: true }],
  ['ads only', ['ads'], NONE],
  ['accept all', ['analytics', 'personalization', 'ads'], ALL],
]

describe('cookieconsent', () => {
  it('while the banner asks, everything is decided denied at once (nothing stored); the answer then grants', async () => {
    install()
    const { attune, start } = setup()
    const heard = vi.fn()
    attune.consent.on(heard)
    start()
    // Decided: the consent listeners hear the refusal, so waiting slots can show.
    expect(heard).toHaveBeenCalledWith(NONE)
    expect(localStorage.length).toBe(0)
    choose(['personalization'])
    expect(attune.consent.get()).toEqual({ ...NONE, personalization: true, sync: true })
  })

  it('at start a remembered grant stays, since validConsent() is false before run() as well', () => {
    install()
    const { attune, start } = setup()
    attune.consent.grant(['personalization'])
    start()
    expect(attune.consent.get()).toEqual({ ...NONE, personalization: true })
  })

  it('when its consent modal shows with no valid choice (expired, cleared, new revision), a remembered grant goes', () => {
    install()
    const { attune, start } = setup()
    attune.consent.grant(['personalization'])
    start()
    window.dispatchEvent(new CustomEvent('cc:onModalShow', { detail: { modalName: 'consentModal' } }))
    expect(attune.consent.get()).toEqual(NONE)
    choose(['personalization'])
    expect(attune.consent.get()).toEqual({ ...NONE, personalization: true, sync: true })
  })

  it('a modal reopened over a valid choice, or the preferences modal, changes nothing', () => {
    accepted = ['necessary', 'personalization']
    install()
    const { attune, start } = setup()
    start()
    window.dispatchEvent(new CustomEvent('cc:onModalShow', { detail: { modalName: 'consentModal' } }))
    accepted = undefined
    window.dispatchEvent(new CustomEvent('cc:onModalShow', { detail: { modalName: 'preferencesModal' } }))
    window.dispatchEvent(new CustomEvent('cc:onModalShow'))
    expect(attune.consent.get()).toEqual({ ...NONE, personalization: true, sync: true })
  })

  it.each(cases)('chosen on an earlier page, %s → the mapped purposes at start', (_, categories, expected) => {
    accepted = ['necessary', ...categories]
    install()
    const { attune, start } = setup()
    start()
    expect(attune.consent.get()).toEqual(expected)
  })

  it.each(cases)('chosen after attune started, %s → the mapped purposes', (_, categories, expected) => {
    install()
    const { attune, start } = setup()
    start()
    expect(attune.consent.get()).toEqual(NONE)
    choose(categories)
    expect(attune.consent.get()).toEqual(expected)
  })

  it('CookieConsent loaded after attune is read on its cc:onConsent', () => {
    const { attune, start } = setup()
    start()
    accepted = ['necessary', 'analytics']
    install()
    fire('cc:onConsent')
    expect(attune.consent.get()).toEqual({ ...NONE, measurement: true })
  })

  it('reads nothing before the shopper has chosen', () => {
    install()
    const { attune, errors, start } = setup()
    start()
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors).toEqual([])
  })

  it('a category turned off later denies only its purposes; all off withdraws', () => {
    install()
    const { attune, start } = setup()
    start()
    choose(['analytics', 'personalization'])
    const withdraw = vi.spyOn(attune.consent, 'withdraw')
    choose(['analytics'])
    expect(attune.consent.get()).toEqual({ ...NONE, measurement: true })
    expect(withdraw).not.toHaveBeenCalled()
    choose([])
    expect(withdraw).toHaveBeenCalledOnce()
    expect(attune.consent.get()).toEqual(NONE)
  })

  it('follows the categories the site names', () => {
    install()
    const { attune, start } = setup({ categories: { personalization: ['functionality'], sync: ['functionality', 'sync'] } })
    start()
    choose(['functionality'])
    expect(attune.consent.get()).toEqual({ ...NONE, personalization: true })
  })

  it('follows the API it is given (the npm module) where there is no window.CookieConsent', () => {
    install()
    const api = win.CookieConsent as object
    delete win.CookieConsent
    const { attune, errors, start } = setup({ api })
    start()
    choose(['analytics'])
    expect(attune.consent.get()).toEqual({ ...NONE, measurement: true })
    expect(errors).toEqual([])
  })

  it('throws for an api that is not an object', () => {
    const { attune } = setup()
    expect(() => cookieconsent(attune, { api: 'CookieConsent' as never })).toThrow(/api must be the CookieConsent module/)
  })

  it('throws for categories that are not lists of names', () => {
    const { attune } = setup()
    expect(() => cookieconsent(attune, { categories: { measurement: 'analytics' as never } })).toThrow(/\['analytics'\]/)
  })

  it.each<[string, unknown]>([
    ['acceptedCategory missing', { validConsent: () => true }],
    ['acceptedCategory answering strings', { validConsent: () => true, acceptedCategory: () => 'yes' }],
    ['CookieConsent a number', 7],
  ])('garbage (%s) stays denied and is reported', (_, planted) => {
    win.CookieConsent = planted
    const { attune, errors, start } = setup()
    expect(start).not.toThrow()
    fire('cc:onChange')
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((e) => e.code === 'bad_call')).toBe(true)
  })

  it.each<[string, Record<string, unknown>]>([
    ['validConsent', { validConsent: () => { throw new Error('broke') }, acceptedCategory: () => true }],
    ['acceptedCategory', { validConsent: () => true, acceptedCategory: () => { throw new Error('broke') } }],
  ])('a throwing %s is reported, not thrown', (_, planted) => {
    win.CookieConsent = planted
    const { attune, errors, start } = setup()
    expect(start).not.toThrow()
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors.map((e) => [e.code, (e.cause as Error).message])).toEqual([['callback', 'broke']])
  })

  it('reports a CookieConsent that never loads, and stays denied', () => {
    vi.useFakeTimers()
    const { attune, errors, start } = setup()
    start()
    vi.advanceTimersByTime(10_000)
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/did not load/)])
  })

  it('ignores events after stop and removes its listeners', () => {
    vi.useFakeTimers()
    install()
    const add = vi.spyOn(window, 'addEventListener')
    const remove = vi.spyOn(window, 'removeEventListener')
    const { attune, errors, start } = setup()
    const stop = start()
    const added = add.mock.calls.filter(([type]) => String(type).startsWith('cc:'))
    expect(added.map(([type]) => type).sort()).toEqual(['cc:onChange', 'cc:onConsent', 'cc:onFirstConsent', 'cc:onModalShow'])
    stop()
    for (const [type, fn] of added) expect(remove).toHaveBeenCalledWith(type, fn)
    choose(['analytics', 'personalization'])
    accepted = undefined
    window.dispatchEvent(new CustomEvent('cc:onModalShow', { detail: { modalName: 'consentModal' } }))
    vi.advanceTimersByTime(60_000)
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors).toEqual([])
  })
})
