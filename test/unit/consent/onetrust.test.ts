// OneTrust's script cannot be installed here (it is served per site from cdn.cookielaw.org), so
// these tests run against a stub written from its public documentation: the script sets
// `window.OnetrustActiveGroups` (and the older `OptanonActiveGroups`) to a comma-wrapped list of
// active category ids, and fires `OneTrustGroupsUpdated` on `window` when it loads and whenever the
// shopper saves a choice, with `detail` = the array of active ids.
// https://developer.onetrust.com/onetrust/docs/javascript-events-guide
import { afterEach, describe, expect, it, vi } from 'vitest'
import { onetrust } from '../../../src/consent/onetrust'
import { adapterHarness } from './harness'

type Groups = readonly string[]
const NONE = { personalization: false, measurement: false, sync: false }
const ALL = { personalization: true, measurement: true, sync: true }
const win = window as unknown as Record<string, unknown>

/** What OneTrust's script does on load and on every saved choice. */
const oneTrust = (groups: Groups, { event = true, legacy = false } = {}): void => {
  win[legacy ? 'OptanonActiveGroups' : 'OnetrustActiveGroups'] = `,${groups.join(',')},`
  if (event) window.dispatchEvent(new CustomEvent('OneTrustGroupsUpdated', { detail: [...groups] }))
}

const { setup, cleanup } = adapterHarness(onetrust)

afterEach(async () => {
  await cleanup()
  delete win.OnetrustActiveGroups
  delete win.OptanonActiveGroups
  vi.useRealTimers()
})

const cases: Array<[string, Groups, typeof NONE]> = [
  ['strictly necessary only', ['C0001'], NONE],
  ['performance', ['C0001', 'C0002'], { ...NONE, measurement: true }],
  ['functional', ['C0001', 'C0003'], { ...NONE, personalization: true, sync: true }],
  ['targeting only', ['C0001', 'C0004'], NONE],
  ['everything', ['C0001', 'C0002', 'C0003', 'C0004', 'C0005'], ALL],
]

describe('onetrust', () => {
  it.each(cases)('loaded before attune, %s → the mapped purposes', (_, groups, expected) => {
    oneTrust(groups)
    const { attune, start } = setup()
    start()
    expect(attune.consent.get()).toEqual(expected)
  })

  it.each(cases)('loaded after attune, %s → the mapped purposes', (_, groups, expected) => {
    const { attune, start } = setup()
    start()
    expect(attune.consent.get()).toEqual(NONE)
    oneTrust(groups)
    expect(attune.consent.get()).toEqual(expected)
  })

  it('reads the older OptanonActiveGroups when OnetrustActiveGroups is absent', () => {
    oneTrust(['C0001', 'C0002'], { event: false, legacy: true })
    const { attune, start } = setup()
    start()
    expect(attune.consent.get()).toEqual({ ...NONE, measurement: true })
  })

  it('a refusal is a decision: every purpose denied, nothing withdrawn', () => {
    const { attune, start } = setup()
    const withdraw = vi.spyOn(attune.consent, 'withdraw')
    start()
    oneTrust(['C0001'])
    expect(attune.consent.get()).toEqual(NONE)
    expect(withdraw).not.toHaveBeenCalled()
  })

  it('a category turned off later denies only its purposes', () => {
    const { attune, start } = setup()
    start()
    oneTrust(['C0001', 'C0002', 'C0003'])
    const withdraw = vi.spyOn(attune.consent, 'withdraw')
    const deny = vi.spyOn(attune.consent, 'deny')
    oneTrust(['C0001', 'C0002'])
    expect(attune.consent.get()).toEqual({ ...NONE, measurement: true })
    expect(deny).toHaveBeenCalledWith(['personalization', 'sync'])
    expect(withdraw).not.toHaveBeenCalled()
  })

  it('everything turned off after something was granted withdraws', () => {
    const { attune, start } = setup()
    start()
    oneTrust(['C0001', 'C0003'])
    const withdraw = vi.spyOn(attune.consent, 'withdraw')
    oneTrust(['C0001'])
    expect(withdraw).toHaveBeenCalledOnce()
    expect(attune.consent.get()).toEqual(NONE)
  })

  it('withdraws a grant attune held before OneTrust said no (a choice from an earlier page)', () => {
    const { attune, start } = setup()
    attune.consent.grant()
    const withdraw = vi.spyOn(attune.consent, 'withdraw')
    oneTrust(['C0001'])
    start()
    expect(withdraw).toHaveBeenCalledOnce()
  })

  it('follows the groups the site names', () => {
    oneTrust(['C0001', 'C0004'])
    const { attune, start } = setup({ groups: { sync: ['C0003', 'C0004'], measurement: [] } })
    start()
    expect(attune.consent.get()).toEqual(NONE)
    oneTrust(['C0001', 'C0002', 'C0003', 'C0004'])
    expect(attune.consent.get()).toEqual({ personalization: true, measurement: false, sync: true })
  })

  it('throws for groups that are not lists of ids, saying what to write', () => {
    const { attune } = setup()
    expect(() => onetrust(attune, { groups: { sync: 'C0003' as never } })).toThrow(/\['C0003'\]/)
  })

  it.each<[string, () => void]>([
    ['a number as the global', () => void (win.OnetrustActiveGroups = 42)],
    ['an object as the global', () => void (win.OnetrustActiveGroups = { C0003: true })],
  ])('garbage at start (%s) stays denied and is reported', (_, plant) => {
    plant()
    const { attune, errors, start } = setup()
    expect(start).not.toThrow()
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors.map((e) => e.code)).toEqual(['bad_call'])
  })

  it.each<[string, unknown]>([
    ['no detail', undefined],
    ['a number as detail', 5],
    ['an array of numbers', [2, 3]],
  ])('garbage in the event (%s) stays denied and is reported', (_, detail) => {
    const { attune, errors, start } = setup()
    start()
    window.dispatchEvent(new CustomEvent('OneTrustGroupsUpdated', { detail }))
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors.map((e) => e.code)).toEqual(['bad_call'])
  })

  it('a throwing OneTrust global is reported, not thrown', () => {
    Object.defineProperty(window, 'OnetrustActiveGroups', {
      configurable: true,
      get: () => {
        throw new Error('OneTrust broke')
      },
    })
    const { attune, errors, start } = setup()
    expect(start).not.toThrow()
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors.map((e) => [e.code, (e.cause as Error).message])).toEqual([['callback', 'OneTrust broke']])
  })

  it('reports a OneTrust that never loads, and stays denied', () => {
    vi.useFakeTimers()
    const { attune, errors, start } = setup()
    start()
    vi.advanceTimersByTime(10_000)
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors.map((e) => e.code)).toEqual(['bad_call'])
    expect(errors[0]?.message).toMatch(/did not load/)
  })

  it('says nothing when OneTrust loads in time', () => {
    vi.useFakeTimers()
    const { errors, start } = setup()
    start()
    vi.advanceTimersByTime(3_000)
    oneTrust(['C0001'])
    vi.advanceTimersByTime(60_000)
    expect(errors).toEqual([])
  })

  it('ignores events after stop and removes its listener', () => {
    vi.useFakeTimers()
    const add = vi.spyOn(window, 'addEventListener')
    const remove = vi.spyOn(window, 'removeEventListener')
    const { attune, errors, start } = setup()
    const stop = start()
    const added = add.mock.calls.filter(([type]) => type === 'OneTrustGroupsUpdated')
    expect(added).toHaveLength(1)
    stop()
    expect(remove).toHaveBeenCalledWith('OneTrustGroupsUpdated', added[0]?.[1])
    oneTrust(['C0001', 'C0002', 'C0003'])
    vi.advanceTimersByTime(60_000)
    expect(attune.consent.get()).toEqual(NONE)
    expect(errors).toEqual([])
  })
})
