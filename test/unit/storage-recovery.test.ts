import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../src/index'
import { freshIndexedDb } from './fresh'

let instances: Attune[] = []
let errors: AttuneError[] = []

beforeEach(() => {
  freshIndexedDb()
  errors = []
})
afterEach(async () => {
  await Promise.all(instances.map((a) => a.destroy()))
  instances = []
  localStorage.clear()
})

/** An instance of shop-1 with everything granted, its profile loaded. */
const granted = async (): Promise<Attune> => {
  const a = createAttune({ site: 'shop-1' })
  instances.push(a)
  a.on('error', (e) => errors.push(e))
  const ready = new Promise((resolve) => a.on('ready', resolve))
  a.consent.grant()
  await ready
  return a
}

/** Opens `name` as a page script would, by name alone; `onversionchange` as given. */
const openByName = (name: string, onversionchange?: (db: IDBDatabase) => void): Promise<IDBDatabase> =>
  new Promise((resolve, reject) => {
    const req = indexedDB.open(name)
    req.onerror = () => reject(req.error)
    req.onsuccess = () => {
      const db = req.result
      if (onversionchange) db.onversionchange = () => onversionchange(db)
      resolve(db)
    }
  })

/** The database's version and stores, and the `event:tick` count stored in its profile. */
const inspect = async (): Promise<{ version: number; stores: string[]; ticks: unknown }> => {
  const db = await openByName('attune-shop-1')
  const stores = Array.from(db.objectStoreNames)
  const ticks = await new Promise((resolve, reject) => {
    const read = db.transaction('kv').objectStore('kv').get('profile')
    read.onerror = () => reject(read.error)
    read.onsuccess = () => resolve(Object.values((read.result as { devices: Record<string, { counters: Record<string, number> }> }).devices)[0]?.counters['event:tick'])
  })
  db.close()
  return { version: db.version, stores, ticks }
}

const storedTicks = async (a: Attune): Promise<unknown> =>
  Object.values((await a.profile.export()).profile.devices)[0]?.counters['event:tick']

describe('a database someone opened by name before attune made it (so without attune’s store)', () => {
  it('is upgraded one version up to add the store, and the profile is kept there, not in memory', async () => {
    ;(await openByName('attune-shop-1')).close()
    const a = await granted()
    a.track('tick')
    a.track('tick')
    await expect.poll(() => inspect()).toEqual({ version: 2, stores: ['kv'], ticks: 2 })
    expect(errors).toEqual([])
    // And the next page reads it back.
    await a.destroy()
    const next = await granted()
    expect(next.profile.get().counters['event:tick']).toBe(2)
    expect(await storedTicks(next)).toBe(2)
    expect(errors).toEqual([])
  })

  it('is upgraded once the page closes its own connection on `versionchange`', async () => {
    let closed = false
    await openByName('attune-shop-1', (db) => {
      closed = true
      db.close()
    })
    const a = await granted()
    a.track('tick')
    await expect.poll(() => inspect()).toEqual({ version: 2, stores: ['kv'], ticks: 1 })
    expect(closed).toBe(true)
    expect(errors).toEqual([])
  })
})

describe('a database attune made', () => {
  it('is opened at its version, never upgraded', async () => {
    const a = await granted()
    a.track('tick')
    await expect.poll(() => storedTicks(a)).toBe(1)
    await a.destroy()
    const next = await granted()
    next.track('tick')
    await expect.poll(() => inspect()).toEqual({ version: 1, stores: ['kv'], ticks: 2 })
    expect(errors).toEqual([])
  })
})
