import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type TrackedEvent } from '../../src/index'
import { MAX_PENDING } from '../../src/track'
import { freshIndexedDb } from './fresh'

const KEY = 'attune:consent:shop-1'
const ALL = { personalization: true, measurement: true, sync: true }
const NONE = { personalization: false, measurement: false, sync: false }

let instances: Attune[] = []
const make = (options: Partial<Parameters<typeof createAttune>[0]> = {}): Attune => {
  const a = createAttune({ site: 'shop-1', ...options })
  instances.push(a)
  return a
}
/** Events delivered to listeners, without the session_started that attune adds itself. */
const tracked = (a: Attune): TrackedEvent[] => {
  const seen: TrackedEvent[] = []
  a.on('track', (e) => {
    if (e.name !== 'session_started') seen.push(e)
  })
  return seen
}
const setGpc = (value: boolean | undefined) =>
  Object.defineProperty(navigator, 'globalPrivacyControl', { value, configurable: true })

beforeEach(() => {
  freshIndexedDb()
})
afterEach(async () => {
  await Promise.all(instances.map((a) => a.destroy()))
  instances = []
  localStorage.clear()
  setGpc(undefined)
})

describe('consent gate', () => {
  it('starts with every purpose denied and nothing in localStorage', () => {
    const a = make()
    expect(a.consent.get()).toEqual(NONE)
    expect(localStorage.length).toBe(0)
  })

  it('grant() with no argument grants all three purposes and remembers them', () => {
    const a = make()
    a.consent.grant()
    expect(a.consent.get()).toEqual(ALL)
    expect(JSON.parse(localStorage.getItem(KEY)!)).toMatchObject({ v: 1, purposes: ALL })
  })

  it('grant(purpose) and deny(purposes) change only those purposes', () => {
    const a = make()
    a.consent.grant('measurement')
    expect(a.consent.get()).toEqual({ ...NONE, measurement: true })
    a.consent.grant(['personalization', 'sync'])
    a.consent.deny(['measurement'])
    expect(a.consent.get()).toEqual({ personalization: true, measurement: false, sync: true })
  })

  it('a denial alone stores nothing', () => {
    const a = make()
    a.consent.deny()
    expect(localStorage.length).toBe(0)
  })

  it('denying every granted purpose forgets the remembered record', () => {
    const a = make()
    a.consent.grant('personalization')
    a.consent.deny('personalization')
    expect(localStorage.getItem(KEY)).toBeNull()
  })

  it('withdraw() denies everything and removes the remembered record', () => {
    const a = make()
    a.consent.grant()
    a.consent.withdraw()
    expect(a.consent.get()).toEqual(NONE)
    expect(localStorage.getItem(KEY)).toBeNull()
  })

  it('a new instance starts from the remembered grant', () => {
    make().consent.grant(['personalization'])
    expect(make().consent.get()).toEqual({ ...NONE, personalization: true })
  })

  it("storage: 'memory' keeps the grant for this page only", () => {
    const a = make({ storage: 'memory' })
    a.consent.grant()
    expect(a.consent.get()).toEqual(ALL)
    expect(localStorage.length).toBe(0)
  })

  it('consent.default grants those purposes before anyone says anything, without storing', () => {
    const a = make({ consent: { default: ['personalization'] } })
    expect(a.consent.get()).toEqual({ ...NONE, personalization: true })
    expect(localStorage.length).toBe(0)
    a.consent.grant('personalization')
    expect(localStorage.getItem(KEY)).toBeNull()
  })

  it('on(fn) hears each change once, and not a repeated decision', () => {
    const a = make()
    const states: unknown[] = []
    a.consent.on((s) => states.push(s))
    a.consent.grant('sync')
    a.consent.grant('sync')
    a.consent.deny()
    expect(states).toEqual([{ ...NONE, sync: true }, NONE])
  })

  it("on('consent') and consent.on are the same channel, and off() stops it", () => {
    const a = make()
    const fn = vi.fn()
    const off = a.on('consent', fn)
    a.consent.grant()
    off()
    a.consent.deny()
    expect(fn).toHaveBeenCalledTimes(1)
  })

  it('an unknown purpose is reported through on("error") and changes nothing', () => {
    const a = make()
    const errors: Error[] = []
    a.on('error', (e) => errors.push(e))
    a.consent.grant('ads' as never)
    expect(a.consent.get()).toEqual(NONE)
    expect(errors[0]).toMatchObject({ code: 'bad_call', message: expect.stringMatching(/purpose/) })
  })

  it.each([
    ['not JSON', '{not json'],
    ['an unknown version', JSON.stringify({ v: 9, purposes: ALL })],
    ['no purposes', JSON.stringify({ v: 1 })],
  ])('a remembered record that is %s is ignored and reported', async (_name, raw) => {
    localStorage.setItem(KEY, raw)
    const a = make()
    const errors: Error[] = []
    a.on('error', (e) => errors.push(e))
    expect(a.consent.get()).toEqual(NONE)
    await Promise.resolve()
    expect(errors).toEqual([expect.objectContaining({ code: 'storage', message: expect.stringMatching(/unreadable consent record/) })])
  })

  it('a change in another tab (storage event) reaches this instance', () => {
    const a = make()
    const fn = vi.fn()
    a.consent.on(fn)
    const record = JSON.stringify({ v: 1, purposes: ALL, at: 1 })
    window.dispatchEvent(new StorageEvent('storage', { key: KEY, newValue: record, storageArea: localStorage }))
    expect(a.consent.get()).toEqual(ALL)
    window.dispatchEvent(new StorageEvent('storage', { key: KEY, newValue: null, storageArea: localStorage }))
    expect(a.consent.get()).toEqual(NONE)
    expect(fn).toHaveBeenCalledTimes(2)
  })

  it("another site's consent key is not ours", () => {
    const a = make()
    const record = JSON.stringify({ v: 1, purposes: ALL, at: 1 })
    window.dispatchEvent(new StorageEvent('storage', { key: 'attune:consent:other', newValue: record, storageArea: localStorage }))
    expect(a.consent.get()).toEqual(NONE)
  })
})

describe('a storage that throws on reading', () => {
  it('remembers nothing and attune starts, denied, saying so through on("error")', async () => {
    const get = vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError')
    })
    try {
      const a = make()
      const errors: Error[] = []
      a.on('error', (e) => errors.push(e))
      expect(a.consent.get()).toEqual(NONE)
      await Promise.resolve()
      expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/unreadable consent record/))
    } finally {
      get.mockRestore()
    }
  })
})

describe('Global Privacy Control', () => {
  it('keeps measurement and sync denied even when granted, with no error each time (banners grant them on every page)', () => {
    setGpc(true)
    const a = make({ debug: false })
    const errors: Error[] = []
    a.on('error', (e) => errors.push(e))
    a.consent.grant()
    a.consent.grant(['measurement', 'sync'])
    expect(a.consent.get()).toEqual({ personalization: true, measurement: false, sync: false })
    expect(errors).toEqual([])
  })

  it('also masks a remembered grant', () => {
    localStorage.setItem(KEY, JSON.stringify({ v: 1, purposes: ALL, at: 1 }))
    setGpc(true)
    expect(make().consent.get()).toEqual({ personalization: true, measurement: false, sync: false })
  })

  it('is ignored with respectGpc: false', () => {
    setGpc(true)
    const a = make({ consent: { respectGpc: false } })
    a.consent.grant()
    expect(a.consent.get()).toEqual(ALL)
  })
})

describe('events before consent', () => {
  it('wait in memory, untouched storage, and replay on grant with their original ids and times', () => {
    let t = 1_000
    const a = make({ now: () => t })
    const seen = tracked(a)
    a.track('first', { n: 1 })
    t = 2_000
    a.track('second')
    expect(seen).toEqual([])
    expect(localStorage.length).toBe(0)
    a.consent.grant('personalization')
    expect(seen.map((e) => [e.name, e.ts])).toEqual([['first', 1_000], ['second', 2_000]])
    expect(new Set(seen.map((e) => e.id)).size).toBe(2)
  })

  it('are dropped on deny and not replayed by a later grant', () => {
    const a = make()
    const seen = tracked(a)
    a.track('before')
    a.consent.deny()
    a.consent.grant()
    a.track('after')
    expect(seen.map((e) => e.name)).toEqual(['after'])
  })

  it(`keep at most ${MAX_PENDING}, dropping the oldest`, () => {
    const a = make()
    const seen = tracked(a)
    for (let i = 0; i < MAX_PENDING + 20; i++) a.track('e', { i })
    a.consent.grant()
    expect(seen).toHaveLength(MAX_PENDING)
    expect(seen[0]!.props).toEqual({ i: 20 })
  })

  it('are dropped when only sync is granted, since sync uses no events', () => {
    const a = make()
    const seen = tracked(a)
    a.track('before')
    a.consent.grant('sync')
    a.consent.grant('measurement')
    expect(seen).toEqual([])
  })

  it('after a decision that denies events, are not kept at all', () => {
    const a = make()
    const seen = tracked(a)
    a.consent.grant('sync')
    a.track('while-denied')
    a.consent.grant('personalization')
    expect(seen).toEqual([])
  })
})

describe("on('ready')", () => {
  it('fires once a purpose is granted, asynchronously, with the state', async () => {
    const a = make()
    const ready = vi.fn()
    a.on('ready', ready)
    await Promise.resolve()
    expect(ready).not.toHaveBeenCalled()
    a.consent.grant('personalization')
    expect(ready).not.toHaveBeenCalled()
    await vi.waitFor(() => expect(ready).toHaveBeenCalledWith({ ...NONE, personalization: true }))
  })

  it('also reaches a listener added after it fired', async () => {
    localStorage.setItem(KEY, JSON.stringify({ v: 1, purposes: ALL, at: 1 }))
    const a = make()
    const first = vi.fn()
    a.on('ready', first)
    await vi.waitFor(() => expect(first).toHaveBeenCalled())
    const late = vi.fn()
    a.on('ready', late)
    expect(late).not.toHaveBeenCalled()
    await Promise.resolve()
    expect(late).toHaveBeenCalledTimes(1)
  })

  it('does not reach a listener that unsubscribed before it fired', async () => {
    const a = make({ consent: { default: ['personalization'] } })
    const fn = vi.fn()
    const other = vi.fn()
    a.on('ready', fn)()
    a.on('ready', other)
    await vi.waitFor(() => expect(other).toHaveBeenCalled())
    expect(fn).not.toHaveBeenCalled()
  })

  it('fires again after a withdrawal and a new grant', async () => {
    const a = make()
    const ready = vi.fn()
    a.on('ready', ready)
    a.consent.grant()
    await vi.waitFor(() => expect(ready).toHaveBeenCalledTimes(1))
    a.consent.withdraw()
    a.consent.grant()
    await vi.waitFor(() => expect(ready).toHaveBeenCalledTimes(2))
  })
})
