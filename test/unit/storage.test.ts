import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../src/index'
import { freshIndexedDb, putStored } from './fresh'

let a: Attune | undefined
let errors: AttuneError[]
const consoleError = vi.fn()

beforeEach(() => {
  freshIndexedDb()
  errors = []
  vi.spyOn(console, 'error').mockImplementation(consoleError)
  consoleError.mockClear()
})
afterEach(async () => {
  await a?.destroy()
  a = undefined
  localStorage.clear()
  // Promise 3: whatever failed, the page's console saw nothing from us.
  expect(consoleError).not.toHaveBeenCalled()
})

/** A granted instance with auto-tracking off, ready to use. */
const start = async (): Promise<Attune> => {
  a = createAttune({ site: 'shop-1' })
  a.on('error', (e) => errors.push(e))
  const ready = new Promise((resolve) => a!.on('ready', resolve))
  a.consent.grant()
  await ready
  return a
}
const ticks = (x: Attune) => x.profile.get().counters['event:tick'] ?? 0
const storageErrors = () => errors.filter((e) => e.code === 'storage')

describe('the profile is kept in IndexedDB', () => {
  it('and read back by the next page', async () => {
    const first = await start()
    for (let i = 0; i < 3; i++) first.track('tick')
    await vi.waitFor(async () => {
      const stored = await first.profile.export()
      expect(Object.values(stored.profile.devices)[0]?.counters['event:tick']).toBe(3)
    })
    await first.destroy()
    const second = await start()
    expect(ticks(second)).toBe(3)
  })

  it('with a burst of events written in one transaction', async () => {
    const x = await start()
    const transaction = vi.spyOn(IDBDatabase.prototype, 'transaction')
    for (let i = 0; i < 1000; i++) x.track('tick')
    expect(ticks(x)).toBe(1000)
    await vi.waitFor(() => expect(transaction.mock.calls.filter(([, mode]) => mode === 'readwrite')).toHaveLength(1))
  })

  it('opening nothing before consent', async () => {
    const open = vi.spyOn(indexedDB, 'open')
    a = createAttune({ site: 'shop-1' })
    a.track('tick')
    await new Promise((r) => setTimeout(r, 10))
    expect(open).not.toHaveBeenCalled()
    expect(await indexedDB.databases()).toEqual([])
  })
})

describe('when IndexedDB fails, attune keeps working in memory and reports it once', () => {
  it('with no indexedDB at all', async () => {
    vi.stubGlobal('indexedDB', undefined)
    const x = await start()
    x.track('tick')
    x.track('tick')
    await new Promise((r) => setTimeout(r, 10))
    expect(ticks(x)).toBe(2)
    expect(storageErrors()).toHaveLength(1)
    expect(storageErrors()[0]!.message).toMatch(/the profile stays in memory for this page/)
  })

  it('when open is refused (InvalidStateError, as in Firefox private windows)', async () => {
    vi.spyOn(indexedDB, 'open').mockImplementation(() => {
      throw new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError')
    })
    const x = await start()
    x.track('tick')
    await vi.waitFor(() => expect(ticks(x)).toBe(1))
    expect(storageErrors()).toHaveLength(1)
    expect((storageErrors()[0]!.cause as DOMException).name).toBe('InvalidStateError')
  })

  it('when open fails asynchronously', async () => {
    vi.spyOn(indexedDB, 'open').mockImplementation(() => {
      const request = {} as IDBOpenDBRequest
      setTimeout(() => {
        Object.defineProperty(request, 'error', { value: new DOMException('denied', 'UnknownError') })
        request.onerror?.(new Event('error'))
      })
      return request
    })
    const x = await start()
    x.track('tick')
    await vi.waitFor(() => expect(ticks(x)).toBe(1))
    expect(storageErrors()).toHaveLength(1)
  })

  it('when a write hits QuotaExceededError, keeping what was already stored', async () => {
    const x = await start()
    x.track('tick')
    await vi.waitFor(async () => expect((await x.profile.export()).profile.devices).not.toEqual({}))
    await new Promise((r) => setTimeout(r, 10))
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
    })
    x.track('tick')
    x.track('tick')
    await vi.waitFor(() => expect(storageErrors()).toHaveLength(1))
    x.track('tick')
    await new Promise((r) => setTimeout(r, 10))
    expect(ticks(x)).toBe(4)
    expect(storageErrors()).toHaveLength(1)
    expect((storageErrors()[0]!.cause as DOMException).name).toBe('QuotaExceededError')
  })
})

describe('when the browser closes the connection mid-session', () => {
  it('reopens once and goes on in IndexedDB, reporting nothing', async () => {
    const x = await start()
    x.track('tick')
    await vi.waitFor(async () => expect((await x.profile.export()).profile.devices).not.toEqual({}))
    const original = IDBDatabase.prototype.transaction
    let failures = 1
    vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args) {
      if (failures-- > 0) throw new DOMException('The database connection is closing.', 'InvalidStateError')
      return original.apply(this, args)
    })
    x.track('tick')
    await new Promise((r) => setTimeout(r, 20))
    vi.restoreAllMocks()
    vi.spyOn(console, 'error').mockImplementation(consoleError)
    await x.destroy()
    const again = await start()
    expect(ticks(again)).toBe(2)
    expect(storageErrors()).toEqual([])
  })
})

describe('a corrupt stored profile', () => {
  const seed = (value: unknown) => putStored('profile', value)

  it.each([
    ['an unknown schema version', { schema: 99, devices: {} }],
    ['the wrong shape', { schema: 1, devices: 'nope' }],
    ['not an object', 'garbage'],
  ])('with %s is discarded and reported, and attune starts afresh', async (_n, value) => {
    await seed(value)
    const x = await start()
    expect(x.profile.get().counters).toEqual({})
    expect(storageErrors()[0]?.message).toMatch(/Discarded an unreadable stored profile/)
    x.track('tick')
    expect(ticks(x)).toBe(1)
  })

  it('of the earlier schema (v0) is migrated forward', async () => {
    await seed({ deviceId: 'old-device', counters: { visits: 3 }, affinities: { 'category:running': { s: 2, t: Date.now() } }, viewed: [], carted: [], traits: {}, interests: {}, experiments: {} })
    const x = await start()
    expect(x.profile.get().counters).toMatchObject({ visits: 3 })
    expect(x.profile.get().affinities['category:running']).toBeCloseTo(2)
    expect(storageErrors()).toEqual([])
  })
})
