import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../../src/index'
import { tcf, tcString, type TcfOptions } from '../../../src/consent/tcf'

const VENDOR = 1234
const ALL = { personalization: true, measurement: true, sync: true }
const NONE = { personalization: false, measurement: false, sync: false }
const TC_STRING = 'CQB0XQAQB0XQAAGABCENBJFgAP_gAAAAAAAAAAAAAAAA'

type Callback = (data: unknown, success: boolean) => void
declare global {
  interface Window {
    __tcfapi?: unknown
  }
}

/** `{ 1: true, … }` for the ids given, like a CMP's `purpose.consents`. */
const flags = (ids: readonly number[]): Record<number, boolean> =>
  Object.fromEntries(Array.from({ length: 11 }, (_, i) => [i + 1, ids.includes(i + 1)]))

/** A TCData object shaped as TCF v2.2 CMP API §"TCData" describes it. */
const tcData = (
  o: {
    purposes?: number[]
    li?: number[]
    vendor?: boolean
    vendorLi?: boolean
    restrictions?: Record<number, Record<number, number>>
    eventStatus?: string
    gdprApplies?: boolean
    cmpStatus?: string
  } = {},
) => ({
  tcString: TC_STRING,
  tcfPolicyVersion: 5,
  cmpId: 10,
  cmpVersion: 1,
  gdprApplies: o.gdprApplies ?? true,
  eventStatus: o.eventStatus ?? 'tcloaded',
  cmpStatus: o.cmpStatus ?? 'loaded',
  isServiceSpecific: true,
  useNonStandardTexts: false,
  publisherCC: 'DE',
  purposeOneTreatment: false,
  purpose: { consents: flags(o.purposes ?? []), legitimateInterests: flags(o.li ?? []) },
  vendor: { consents: { [VENDOR]: o.vendor ?? true }, legitimateInterests: { [VENDOR]: o.vendorLi ?? o.vendor ?? true } },
  specialFeatureOptins: {},
  publisher: { consents: {}, legitimateInterests: {}, customPurpose: { consents: {}, legitimateInterests: {} }, restrictions: o.restrictions ?? {} },
})

const EVERY_PURPOSE = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]

/**
 * A fake CMP with the v2.2 `__tcfapi` surface: `addEventListener` registers and, once TC data
 * exists, calls back at once with it and a fresh `listenerId`; `removeEventListener` calls back
 * with whether the id was known; `ping` answers a PingReturn.
 */
const installCmp = (initial?: object) => {
  const listeners = new Map<number, Callback>()
  let next = 0
  let current = initial
  const api = vi.fn((command: string, version: number, callback: Callback, parameter?: unknown) => {
    if (version !== 2) return callback(null, false)
    if (command === 'addEventListener') {
      const id = next++
      listeners.set(id, callback)
      if (current) callback({ ...current, listenerId: id }, true)
    } else if (command === 'removeEventListener') {
      ;(callback as (ok: boolean) => void)(listeners.delete(parameter as number))
    } else if (command === 'ping') {
      callback({ gdprApplies: true, cmpLoaded: true, cmpStatus: 'loaded', displayStatus: 'hidden', apiVersion: '2.2' }, true)
    }
    return undefined
  })
  window.__tcfapi = api
  /** Sends TC data to every registered listener, as a CMP does on each event. */
  const emit = (data: object | null, success = true) => {
    current = data ?? undefined
    for (const [id, cb] of listeners) cb(data && { ...data, listenerId: id }, success)
  }
  return { api, listeners, emit }
}

let a: Attune
let errors: AttuneError[]
const start = (options: Partial<TcfOptions> = {}) => tcf(a, { vendorId: VENDOR, ...options })

beforeEach(() => {
  a = createAttune({ site: 'shop-1', storage: 'memory' })
  errors = []
  a.on('error', (e) => errors.push(e))
})
afterEach(async () => {
  delete window.__tcfapi
  vi.useRealTimers()
  await a.destroy()
})

describe('tcf: one answer from the CMP', () => {
  const cases: { name: string; data: object; options?: Partial<TcfOptions>; state: typeof ALL }[] = [
    { name: 'UI shown, nothing decided', data: tcData({ eventStatus: 'cmpuishown', purposes: EVERY_PURPOSE }), state: NONE },
    { name: 'purpose 1 refused', data: tcData({ purposes: [2, 3, 4, 5, 6, 7, 8, 9, 10] }), state: NONE },
    { name: 'purposes given, vendor refused', data: tcData({ purposes: EVERY_PURPOSE, vendor: false }), state: NONE },
    { name: 'all granted', data: tcData({ purposes: EVERY_PURPOSE }), state: ALL },
    { name: 'all granted on useractioncomplete', data: tcData({ purposes: EVERY_PURPOSE, eventStatus: 'useractioncomplete' }), state: ALL },
    {
      name: 'purposes 1, 5, 6 only: personalization and sync',
      data: tcData({ purposes: [1, 5, 6] }),
      state: { personalization: true, measurement: false, sync: true },
    },
    {
      name: 'purposes 1, 5 only: sync alone',
      data: tcData({ purposes: [1, 5] }),
      state: { personalization: false, measurement: false, sync: true },
    },
    {
      name: 'purposes 1, 8: measurement',
      data: tcData({ purposes: [1, 8] }),
      state: { personalization: false, measurement: true, sync: false },
    },
    {
      name: 'purposes 1, 8 when the site also needs 9',
      data: tcData({ purposes: [1, 8] }),
      options: { measurementPurposes: [1, 8, 9] },
      state: NONE,
    },
    {
      name: 'purpose 8 on legitimate interest, not allowed',
      data: tcData({ purposes: [1], li: [8] }),
      state: NONE,
    },
    {
      name: 'purpose 8 on legitimate interest, allowed',
      data: tcData({ purposes: [1], li: [8] }),
      options: { allowLegitimateInterest: true },
      state: { personalization: false, measurement: true, sync: false },
    },
    {
      name: 'purpose 8 on legitimate interest, allowed, but the shopper objected to the vendor’s',
      data: tcData({ purposes: [1], li: [8], vendorLi: false }),
      options: { allowLegitimateInterest: true },
      state: NONE,
    },
    {
      name: 'publisher restriction 0 (not allowed) on purpose 5 for the vendor',
      data: tcData({ purposes: EVERY_PURPOSE, restrictions: { 5: { [VENDOR]: 0 } } }),
      state: { personalization: false, measurement: true, sync: false },
    },
    {
      name: 'a restriction for another vendor changes nothing',
      data: tcData({ purposes: EVERY_PURPOSE, restrictions: { 5: { [VENDOR + 1]: 0 } } }),
      state: ALL,
    },
    {
      name: 'publisher restriction 1 (consent required) on purpose 8, given on legitimate interest only',
      data: tcData({ purposes: [1], li: [8], restrictions: { 8: { [VENDOR]: 1 } } }),
      options: { allowLegitimateInterest: true },
      state: NONE,
    },
    {
      name: 'publisher restriction 2 (legitimate interest required) on purpose 8, given by consent only',
      data: tcData({ purposes: [1, 8], restrictions: { 8: { [VENDOR]: 2 } } }),
      options: { allowLegitimateInterest: true },
      state: NONE,
    },
    {
      name: 'publisher restriction 2 on purpose 8, legitimate interest allowed and given',
      data: tcData({ purposes: [1], li: [8], restrictions: { 8: { [VENDOR]: 2 } } }),
      options: { allowLegitimateInterest: true },
      state: { personalization: false, measurement: true, sync: false },
    },
    {
      name: 'purposes 5, 6 on legitimate interest, even allowed (v2.2 forbids it)',
      data: tcData({ purposes: [1], li: [5, 6] }),
      options: { allowLegitimateInterest: true },
      state: NONE,
    },
    {
      name: 'purpose 1 on legitimate interest, even allowed',
      data: tcData({ purposes: [5, 6, 8], li: [1] }),
      options: { allowLegitimateInterest: true },
      state: NONE,
    },
    { name: 'gdprApplies false', data: tcData({ gdprApplies: false }), state: ALL },
    {
      name: "gdprApplies false with gdprAppliesFalse: 'deny'",
      data: tcData({ gdprApplies: false }),
      options: { gdprAppliesFalse: 'deny' },
      state: NONE,
    },
  ]
  it.each(cases)('$name', ({ data, options, state }) => {
    installCmp(data)
    start(options)
    expect(a.consent.get()).toEqual(state)
    expect(errors).toEqual([])
  })
})

describe('tcf: a CMP that misbehaves leaves attune denied and reports', () => {
  const garbage: { name: string; data: unknown; success?: boolean }[] = [
    { name: 'cmpStatus error', data: { ...tcData({ purposes: EVERY_PURPOSE }), cmpStatus: 'error' } },
    { name: 'null', data: null },
    { name: 'a string', data: 'granted' },
    { name: 'an empty object', data: {} },
    { name: 'success false', data: tcData({ purposes: EVERY_PURPOSE }), success: false },
    { name: 'an unknown eventStatus', data: tcData({ purposes: EVERY_PURPOSE, eventStatus: 'done' }) },
    { name: 'no vendor section', data: { ...tcData({ purposes: EVERY_PURPOSE }), vendor: undefined } },
  ]
  it.each(garbage)('$name', ({ data, success = true }) => {
    window.__tcfapi = (_command: string, _version: number, callback: Callback) => callback(data, success)
    a.consent.grant() // a stale remembered grant must not survive a broken CMP
    expect(() => start()).not.toThrow()
    expect(a.consent.get()).toEqual(NONE)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'callback', message: expect.stringMatching(/^__tcfapi: .*denied all/) })
  })

  it('consents that are not booleans grant nothing (read as "no", not reported)', () => {
    installCmp({ ...tcData(), purpose: { consents: 'all' }, vendor: { consents: { [VENDOR]: 1 } } })
    start()
    expect(a.consent.get()).toEqual(NONE)
  })

  it('throws on addEventListener: reported with the cause, not thrown', () => {
    const boom = new Error('cmp bug')
    window.__tcfapi = () => {
      throw boom
    }
    expect(() => start()).not.toThrow()
    expect(a.consent.get()).toEqual(NONE)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'callback', cause: boom })
  })

  it('never loads: reported after timeoutMs, still denied', () => {
    vi.useFakeTimers()
    start({ timeoutMs: 1000 })
    vi.advanceTimersByTime(999)
    expect(errors).toEqual([])
    vi.advanceTimersByTime(1)
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/no answer in 1000 ms/)
    expect(a.consent.get()).toEqual(NONE)
    vi.advanceTimersByTime(10_000)
    expect(errors).toHaveLength(1)
  })

  it('the call at registration while the CMP is loading is no answer: nothing denied or reported, the answer then counts', () => {
    vi.useFakeTimers()
    const cmp = installCmp(tcData({ cmpStatus: 'loading', eventStatus: undefined }))
    a.consent.grant() // remembered from an earlier page
    const deny = vi.spyOn(a.consent, 'deny')
    start()
    expect(cmp.listeners.size).toBe(1)
    expect(a.consent.get()).toEqual(ALL)
    cmp.emit(tcData({ purposes: EVERY_PURPOSE }))
    vi.advanceTimersByTime(10_000)
    expect(deny).not.toHaveBeenCalled()
    expect(a.consent.get()).toEqual(ALL)
    expect(errors).toEqual([])
  })

  it('a CMP that stays loading: denied and reported after timeoutMs', () => {
    vi.useFakeTimers()
    installCmp(tcData({ cmpStatus: 'loading', eventStatus: undefined }))
    a.consent.grant()
    start({ timeoutMs: 1000 })
    vi.advanceTimersByTime(1000)
    expect(a.consent.get()).toEqual(NONE)
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/no answer in 1000 ms/)
  })

  it('loaded but silent: reported after the default 3000 ms; a late answer is still followed', () => {
    vi.useFakeTimers()
    const cmp = installCmp()
    start()
    vi.advanceTimersByTime(3000)
    expect(errors).toHaveLength(1)
    cmp.emit(tcData({ purposes: EVERY_PURPOSE }))
    expect(a.consent.get()).toEqual(ALL)
  })

  it('stub defined after attune started: found before the timeout', () => {
    vi.useFakeTimers()
    start()
    vi.advanceTimersByTime(500)
    installCmp(tcData({ purposes: EVERY_PURPOSE }))
    vi.advanceTimersByTime(100)
    expect(a.consent.get()).toEqual(ALL)
    vi.advanceTimersByTime(5000)
    expect(errors).toEqual([])
  })

  it('calls back twice with the same data: one grant, one consent change', () => {
    const cmp = installCmp(tcData({ purposes: EVERY_PURPOSE }))
    const grant = vi.spyOn(a.consent, 'grant')
    const changes = vi.fn()
    a.consent.on(changes)
    start()
    cmp.emit(tcData({ purposes: EVERY_PURPOSE }))
    expect(grant).toHaveBeenCalledTimes(1)
    expect(changes).toHaveBeenCalledTimes(1)
    expect(errors).toEqual([])
  })

  it('bad options: a TypeError naming the fix, like createAttune, and the CMP is not asked', () => {
    const cmp = installCmp(tcData({ purposes: EVERY_PURPOSE }))
    expect(() => tcf(a, { vendorId: 'x' as unknown as number })).toThrow(/tcf\(\) needs \{ vendorId: <IAB vendor id> \}/)
    expect(() => tcf(a)).toThrow(TypeError)
    expect(cmp.api).not.toHaveBeenCalled()
  })
})

describe('tcf: changes over time', () => {
  it('the banner answered after cmpuishown', () => {
    const cmp = installCmp(tcData({ eventStatus: 'cmpuishown' }))
    start()
    expect(a.consent.get()).toEqual(NONE)
    cmp.emit(tcData({ purposes: EVERY_PURPOSE, eventStatus: 'useractioncomplete' }))
    expect(a.consent.get()).toEqual(ALL)
  })

  it('the banner asks over a remembered grant with a string that allows nothing (expired, or new): the grant goes now', () => {
    a.consent.grant()
    const withdraw = vi.spyOn(a.consent, 'withdraw')
    const deny = vi.spyOn(a.consent, 'deny')
    installCmp(tcData({ eventStatus: 'cmpuishown' }))
    start()
    expect(a.consent.get()).toEqual(NONE)
    expect(deny.mock.calls.length + withdraw.mock.calls.length).toBe(1)
  })

  it('the banner asks over a remembered grant: only what the string no longer allows goes, nothing is granted', () => {
    a.consent.grant(['personalization', 'measurement'])
    installCmp(tcData({ eventStatus: 'cmpuishown', purposes: [1, 5, 6] }))
    start()
    expect(a.consent.get()).toEqual({ personalization: true, measurement: false, sync: false })
  })

  it('later withdrawn (granted → refused): withdraw()', () => {
    const cmp = installCmp(tcData({ purposes: EVERY_PURPOSE }))
    const withdraw = vi.spyOn(a.consent, 'withdraw')
    start()
    cmp.emit(tcData({ eventStatus: 'cmpuishown', purposes: EVERY_PURPOSE }))
    expect(a.consent.get()).toEqual(ALL)
    cmp.emit(tcData({ eventStatus: 'useractioncomplete' }))
    expect(withdraw).toHaveBeenCalledTimes(1)
    expect(a.consent.get()).toEqual(NONE)
  })

  it('one purpose lost: deny() of that purpose only', () => {
    const cmp = installCmp(tcData({ purposes: EVERY_PURPOSE }))
    const deny = vi.spyOn(a.consent, 'deny')
    const withdraw = vi.spyOn(a.consent, 'withdraw')
    start()
    cmp.emit(tcData({ purposes: [1, 5, 6], eventStatus: 'useractioncomplete' }))
    expect(deny).toHaveBeenCalledWith(['measurement'])
    expect(withdraw).not.toHaveBeenCalled()
    expect(a.consent.get()).toEqual({ personalization: true, measurement: false, sync: true })
  })

  it('a first answer of "no" denies a grant attune remembered from before', () => {
    a.consent.grant()
    installCmp(tcData({ purposes: [] }))
    const withdraw = vi.spyOn(a.consent, 'withdraw')
    start()
    expect(a.consent.get()).toEqual(NONE)
    expect(withdraw).not.toHaveBeenCalled()
  })
})

describe('tcf: stop and the TC string', () => {
  it('stop() removes the listener with its listenerId and ignores later events', () => {
    const cmp = installCmp(tcData({ purposes: [1, 5, 6] }))
    const stop = start()
    expect(cmp.listeners.size).toBe(1)
    stop()
    expect(cmp.api).toHaveBeenLastCalledWith('removeEventListener', 2, expect.any(Function), 0)
    expect(cmp.listeners.size).toBe(0)
    cmp.emit(tcData({ purposes: EVERY_PURPOSE }))
    expect(a.consent.get()).toEqual({ personalization: true, measurement: false, sync: true })
  })

  it('stop() before the CMP answered: the listener is removed when its id arrives', () => {
    vi.useFakeTimers()
    const cmp = installCmp()
    const stop = start()
    stop()
    cmp.emit(tcData({ purposes: EVERY_PURPOSE }))
    expect(cmp.listeners.size).toBe(0)
    expect(a.consent.get()).toEqual(NONE)
    vi.advanceTimersByTime(10_000)
    expect(errors).toEqual([])
  })

  it('tcString() gives the latest TC string, and nothing after stop()', () => {
    const cmp = installCmp(tcData({ purposes: EVERY_PURPOSE }))
    expect(tcString(a)).toBeUndefined()
    const stop = start()
    expect(tcString(a)).toBe(TC_STRING)
    cmp.emit({ ...tcData({ eventStatus: 'useractioncomplete' }), tcString: 'CQnew' })
    expect(tcString(a)).toBe('CQnew')
    stop()
    expect(tcString(a)).toBeUndefined()
  })

  it('a CMP that throws on removeEventListener: reported, not thrown', () => {
    const cmp = installCmp(tcData({ purposes: EVERY_PURPOSE }))
    const stop = start()
    cmp.api.mockImplementation(() => {
      throw new Error('gone')
    })
    expect(() => stop()).not.toThrow()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ code: 'callback', message: expect.stringMatching(/removeEventListener/) })
  })
})
