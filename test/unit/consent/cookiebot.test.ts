// Cookiebot's script cannot be installed here (uc.js is served per domain group from
// consent.cookiebot.com), so these tests run against a stub written from its public developer
// documentation: `window.Cookiebot` with `consent.{necessary,preferences,statistics,marketing}`
// booleans, `consented` / `declined` once the shopper has answered, and the window events
// `CookiebotOnConsentReady` plus `CookiebotOnAccept` or `CookiebotOnDecline`, fired on load when a
// choice exists and whenever the shopper submits one. https://www.cookiebot.com/en/developer/
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cookiebot } from '../../../src/consent/cookiebot'
import { adapterHarness } from './harness'

type Choice = { preferences: boolean; statistics: boolean; marketing: boolean }
const NONE = { personalization: false, measurement: false, sync: false }
const ALL = { personalization: true, measurement: true, sync: true }
const REFUSE: Choice = { preferences: false, statistics: false, marketing: false }
const win = window as unknown as Record<string, unknown>

/** What uc.js does when it loads with a stored choice, or when the shopper submits one. */
const cookiebotAnswers = (choice: Choice, { event = true } = {}): void => {
  const accepted = choice.preferences || choice.statistics || choice.marketing
  win.Cookiebot = {
    consent: { necessary: true, ...choice, method: 'explicit' },
    consented: accepted,
    declined: !accepted,
    hasResponse: true,
  }
  if (!event) return
  window.dispatchEvent(new Event('CookiebotOnConsentReady'))
  window.dispatchEvent(new Event(accepted ? 'CookiebotOnAccept' : 'CookiebotOnDecline'))
}

const { setup, cleanup } = adapterHarness(cookiebot)

afterEach(async () => {
  await cleanup()
  delete win.Cookiebot
  vi.useRealTimers()
})

const cases: Array<[string, Choice, typeof NONE]> = [
  ['decline', REFUSE, NONE],
  ['statistics only', { ...REFUSE, statistics: true }, { ...NONE, measurement: true }],
  ['preferences only', { ...REFUSE, preferences: true }, { ...NONE, personalization: true, sync: true }],
  ['marketing only', { ...REFUSE, marketing: true }, NONE],
  ['accept all', { preferences: true, statistics: true, marketing: true }, ALL],
]

describe('cookiebot', () => {
  it.each(cases)('answered before attune, %s → the mapped purposes', (_, choice, expected) => {
    cookiebotAnswers(choice, { event: false })
    const { attune, start } = setup()
    start()
    expect(attune.consent.get()).toEqual(expected)
  })

  it.each(cases)('loaded or answered after attune, %s → the mapped purposes', (_, choice, expected) => {
    const { attune, start } = setup()
    start()
    expect(attune.consent.get()).toEqual(NONE)
    cookiebotAnswers(choice)
    expect(attune.consent.get()).toEqual(expected)
  })

  it('reads nothing before the shopper has answered', () => {
    win.Cookiebot = { consent: { necessary: true, preferences: true, statistics: true, marketing: true }, consented: false, declined: false }
    const { attune, errors, start } = setup()
    start()
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors).toEqual([])
  })

  it('its banner showing with no response (expired or cleared) takes a remembered grant back', () => {
    const { attune, start } = setup()
    attune.consent.grant()
    start()
    win.Cookiebot = { consent: { necessary: true, preferences: false, statistics: false, marketing: false }, consented: false, declined: false, hasResponse: false }
    window.dispatchEvent(new Event('CookiebotOnDialogDisplay'))
    expect(attune.consent.get()).toEqual(NONE)
    cookiebotAnswers({ ...REFUSE, statistics: true })
    expect(attune.consent.get()).toEqual({ ...NONE, measurement: true })
  })

  it('a Cookiebot that throws as its banner shows is reported, not thrown into the page', () => {
    const { attune, errors, start } = setup()
    attune.consent.grant()
    start()
    win.Cookiebot = {
      get hasResponse(): boolean {
        throw new Error('Cookiebot broke')
      },
    }
    expect(() => window.dispatchEvent(new Event('CookiebotOnDialogDisplay'))).not.toThrow()
    expect(errors.map((e) => e.message)).toEqual(['Reading Cookiebot failed; attune went on.'])
  })

  it('its banner reopened over a response changes nothing', () => {
    cookiebotAnswers({ preferences: true, statistics: true, marketing: false }, { event: false })
    const { attune, start } = setup()
    start()
    window.dispatchEvent(new Event('CookiebotOnDialogDisplay'))
    expect(attune.consent.get()).toEqual(ALL)
  })

  it('a category withdrawn later denies only its purposes', () => {
    const { attune, start } = setup()
    start()
    cookiebotAnswers({ preferences: true, statistics: true, marketing: false })
    const withdraw = vi.spyOn(attune.consent, 'withdraw')
    cookiebotAnswers({ ...REFUSE, statistics: true })
    expect(attune.consent.get()).toEqual({ ...NONE, measurement: true })
    expect(withdraw).not.toHaveBeenCalled()
  })

  it('a decline after an accept withdraws', () => {
    const { attune, start } = setup()
    start()
    cookiebotAnswers({ preferences: true, statistics: true, marketing: true })
    const withdraw = vi.spyOn(attune.consent, 'withdraw')
    cookiebotAnswers(REFUSE)
    expect(withdraw).toHaveBeenCalled()
    expect(attune.consent.get()).toEqual(NONE)
  })

  it('follows the categories the site names', () => {
    const { attune, start } = setup({ categories: { sync: ['preferences', 'marketing'] } })
    start()
    cookiebotAnswers({ ...REFUSE, preferences: true })
    expect(attune.consent.get()).toEqual({ ...NONE, personalization: true })
    cookiebotAnswers({ ...REFUSE, preferences: true, marketing: true })
    expect(attune.consent.get()).toEqual({ ...NONE, personalization: true, sync: true })
  })

  it('throws for unknown categories, saying which exist', () => {
    const { attune } = setup()
    expect(() => cookiebot(attune, { categories: { sync: ['analytics' as never] } })).toThrow(/preferences, statistics, marketing/)
  })

  it.each<[string, unknown]>([
    ['consent missing', { consented: true }],
    ['consent a string', { consented: true, consent: 'yes' }],
    ['categories as strings', { consented: true, consent: { necessary: true, preferences: 'true', statistics: 'true', marketing: 'true' } }],
  ])('garbage (%s) stays denied and is reported', (_, planted) => {
    win.Cookiebot = planted
    const { attune, errors, start } = setup()
    expect(start).not.toThrow()
    window.dispatchEvent(new Event('CookiebotOnAccept'))
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors.map((e) => e.code)).toEqual(['bad_call', 'bad_call'])
  })

  it('a throwing Cookiebot is reported, not thrown', () => {
    win.Cookiebot = {
      consented: true,
      get consent() {
        throw new Error('Cookiebot broke')
      },
    }
    const { attune, errors, start } = setup()
    expect(start).not.toThrow()
    expect(() => window.dispatchEvent(new Event('CookiebotOnAccept'))).not.toThrow()
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors.map((e) => e.code)).toEqual(['callback', 'callback'])
  })

  it('reports a Cookiebot that never loads, and stays denied', () => {
    vi.useFakeTimers()
    const { attune, errors, start } = setup()
    start()
    vi.advanceTimersByTime(10_000)
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/did not load/)])
  })

  it('ignores events after stop and removes its listeners', () => {
    vi.useFakeTimers()
    const add = vi.spyOn(window, 'addEventListener')
    const remove = vi.spyOn(window, 'removeEventListener')
    const { attune, errors, start } = setup()
    const stop = start()
    const added = add.mock.calls.filter(([type]) => String(type).startsWith('Cookiebot'))
    expect(added.map(([type]) => type).sort()).toEqual(['CookiebotOnAccept', 'CookiebotOnConsentReady', 'CookiebotOnDecline', 'CookiebotOnDialogDisplay'])
    stop()
    for (const [type, fn] of added) expect(remove).toHaveBeenCalledWith(type, fn)
    cookiebotAnswers({ preferences: true, statistics: true, marketing: true })
    vi.advanceTimersByTime(60_000)
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors).toEqual([])
  })
})
