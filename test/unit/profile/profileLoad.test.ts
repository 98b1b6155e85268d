import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune } from '../../../src/index'
import { freshIndexedDb } from '../fresh'

let instances: Attune[] = []

/** An instance of the site; consent is already remembered from an earlier page, or granted here. */
const open = (): Attune => {
  const a = createAttune({ site: 'shop-1' })
  instances.push(a)
  return a
}
const ready = (a: Attune): Promise<unknown> => new Promise((resolve) => a.on('ready', resolve))
const deviceOf = async (a: Attune): Promise<string | undefined> => (await a.profile.export()).device?.device

beforeEach(() => {
  freshIndexedDb()
})
afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(instances.map((a) => a.destroy()))
  instances = []
  localStorage.clear()
})

/** The first page: consent granted, three running products viewed and stored. */
const firstVisit = async (): Promise<string | undefined> => {
  const a = open()
  const loaded = ready(a)
  a.consent.grant()
  await loaded
  for (const id of ['sku-1', 'sku-2', 'sku-3']) a.track('product_viewed', { product_id: id, category: 'Running' })
  await vi.waitFor(async () => expect(Object.values((await a.profile.export()).profile.devices)[0]?.counters.product_views).toBe(3))
  const device = await deviceOf(a)
  await a.destroy()
  return device
}

describe('a returning shopper’s profile loads (what decisions wait for)', () => {
  it('in read-only transactions only, the device record and the profile side by side', async () => {
    const device = await firstVisit()
    const modes: Array<IDBTransactionMode | undefined> = []
    const transaction = IDBDatabase.prototype.transaction
    vi.spyOn(IDBDatabase.prototype, 'transaction').mockImplementation(function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
      modes.push(args[1])
      return transaction.apply(this, args)
    })
    const a = open()
    await ready(a)
    expect(modes).toEqual(['readonly', 'readonly'])
    expect(a.profile.get().affinities['category:running']).toBeGreaterThan(1)
    expect(await deviceOf(a)).toBe(device)
  })

  it('with the events tracked while it loads, which are stored under the same device', async () => {
    const device = await firstVisit()
    const a = open()
    a.track('product_viewed', { product_id: 'sku-4', category: 'Running' })
    await ready(a)
    expect(a.profile.get().counters.product_views).toBe(4)
    await a.destroy()
    const b = open()
    await ready(b)
    expect(b.profile.get().counters.product_views).toBe(4)
    expect(await deviceOf(b)).toBe(device)
  })
})

describe('on a first visit', () => {
  it('two tabs starting together create one device record, which both use', async () => {
    const a = open()
    const b = open()
    const both = Promise.all([ready(a), ready(b)])
    a.consent.grant()
    b.consent.grant()
    await both
    const device = await deviceOf(a)
    expect(device).toMatch(/^[0-9a-f-]{36}$/)
    expect(await deviceOf(b)).toBe(device)
  })
})
