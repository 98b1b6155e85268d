import { afterEach, describe, expect, it } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../../src/index'
import { cookiebot } from '../../../src/consent/cookiebot'
import { gpc } from '../../../src/consent/gpc'

const NONE = { personalization: false, measurement: false, sync: false }
const ALL = { personalization: true, measurement: true, sync: true }
const win = window as unknown as Record<string, unknown>

const sendGpc = (value: boolean | undefined): void => {
  if (value === undefined) delete (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl
  else Object.defineProperty(navigator, 'globalPrivacyControl', { value, configurable: true })
}
/** Cookiebot's "Accept all", as its uc.js reports it (see cookiebot.test.ts). */
const acceptAllInCookiebot = (): void => {
  win.Cookiebot = { consent: { necessary: true, preferences: true, statistics: true, marketing: true }, consented: true, declined: false, hasResponse: true }
  window.dispatchEvent(new Event('CookiebotOnConsentReady'))
  window.dispatchEvent(new Event('CookiebotOnAccept'))
}

const instances: Attune[] = []
const stops: Array<() => void> = []
const make = (respectGpc = true): { attune: Attune; errors: AttuneError[] } => {
  const attune = createAttune({ site: 'shop-1', storage: 'memory', consent: { respectGpc } })
  const errors: AttuneError[] = []
  attune.on('error', (e) => errors.push(e))
  instances.push(attune)
  return { attune, errors }
}

afterEach(async () => {
  for (const stop of stops.splice(0)) stop()
  for (const attune of instances.splice(0)) await attune.destroy()
  delete win.Cookiebot
  sendGpc(undefined)
})

describe('gpc', () => {
  it('with GPC, a banner accepting everything later still leaves the named purposes denied', () => {
    sendGpc(true)
    const { attune } = make()
    stops.push(gpc(attune, { purposes: ['personalization', 'measurement', 'sync'] }), cookiebot(attune))
    acceptAllInCookiebot()
    expect(attune.consent.get()).toEqual(NONE)
  })

  it('with GPC and respectGpc: false, the default list keeps measurement and sync denied against a later accept', () => {
    sendGpc(true)
    const { attune } = make(false)
    stops.push(gpc(attune), cookiebot(attune))
    acceptAllInCookiebot()
    expect(attune.consent.get()).toEqual({ personalization: true, measurement: false, sync: false })
  })

  it("with GPC, the site's own grant() of everything grants only what GPC leaves", () => {
    sendGpc(true)
    const { attune } = make(false)
    stops.push(gpc(attune, { purposes: ['sync'] }))
    attune.consent.grant()
    expect(attune.consent.get()).toEqual({ personalization: true, measurement: true, sync: false })
    attune.consent.grant('sync')
    expect(attune.consent.get().sync).toBe(false)
  })

  it('denies a remembered grant of the named purposes at start', () => {
    sendGpc(true)
    const { attune } = make(false)
    attune.consent.grant()
    stops.push(gpc(attune))
    expect(attune.consent.get()).toEqual({ personalization: true, measurement: false, sync: false })
  })

  it('stop() lets grants through again', () => {
    sendGpc(true)
    const { attune } = make(false)
    gpc(attune)()
    attune.consent.grant()
    expect(attune.consent.get()).toEqual(ALL)
  })

  it('without GPC, changes nothing', () => {
    sendGpc(false)
    const { attune } = make()
    stops.push(gpc(attune, { purposes: ['personalization', 'measurement', 'sync'] }))
    attune.consent.grant()
    expect(attune.consent.get()).toEqual(ALL)
  })

  it('a grant of something that is not a purpose is still refused by the gate, with its message', () => {
    sendGpc(true)
    const { attune, errors } = make(false)
    stops.push(gpc(attune))
    attune.consent.grant(42 as never)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'bad_call', message: expect.stringMatching(/consent\.grant\(\) takes purposes/) })
  })
})
