import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune } from '../../../src/index'
import type { Profile } from '../../../src/profile/model'
import { createKeyValue } from '../../../src/storage/createKeyValue'
import { freshIndexedDb } from '../fresh'

let a: Attune | undefined

beforeEach(() => {
  freshIndexedDb()
})
afterEach(async () => {
  vi.restoreAllMocks()
  await a?.destroy()
  a = undefined
  localStorage.clear()
})

/** A granted instance with its profile loaded. */
const granted = async (): Promise<Attune> => {
  a = createAttune({ site: 'shop-1' })
  const ready = new Promise((resolve) => a!.on('ready', resolve))
  a.consent.grant()
  await ready
  return a
}

/** Microtasks only: no IndexedDB event can be delivered in between. */
const microtasks = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await null
}

/**
 * The stored `event:tick` count, read in a transaction asked for now on a connection of our own:
 * IndexedDB runs it after every write attune asked for before it.
 */
const storedTicks = (): Promise<number | undefined> =>
  new Promise((resolve, reject) => {
    const open = indexedDB.open('attune-shop-1')
    open.onerror = () => reject(open.error)
    open.onsuccess = () => {
      const db = open.result
      const read = db.transaction('kv').objectStore('kv').get('profile')
      read.onerror = () => reject(read.error)
      read.onsuccess = () => {
        db.close()
        resolve(Object.values((read.result as Profile).devices)[0]?.counters['event:tick'])
      }
    }
  })

describe('the profile asks IndexedDB to write a tracked event in the task that tracked it', () => {
  it('so events tracked while a write waits for its read of the stored profile go into that write', async () => {
    const x = await granted()
    const puts = vi.spyOn(IDBObjectStore.prototype, 'put')
    x.track('tick')
    await microtasks()
    x.track('tick')
    x.track('tick')
    await microtasks()
    // A store that kept the last two in memory until the first write completed would show 1.
    expect(await storedTicks()).toBe(3)
    expect(puts.mock.calls.filter(([, key]) => key === 'profile')).toHaveLength(1)
  })

  it('and asks for one write for what was tracked while the profile loaded, however often it is nudged', async () => {
    a = createAttune({ site: 'shop-1' })
    const puts = vi.spyOn(IDBObjectStore.prototype, 'put')
    a.consent.grant()
    for (let i = 0; i < 3; i++) a.track('tick')
    await new Promise((resolve) => a!.on('ready', resolve))
    expect(await storedTicks()).toBe(3)
    expect(puts.mock.calls.filter(([, key]) => key === 'profile')).toHaveLength(1)
  })

  it('so an event tracked after a write has put is not held back until that write completes', async () => {
    const x = await granted()
    const put = IDBObjectStore.prototype.put
    let reader: Promise<number | undefined> | undefined
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      const request = put.apply(this, args)
      if (args[1] === 'profile' && !reader) {
        // Tracked once the first write has put; the read is asked for in the same task, a few microtasks on.
        x.track('tick')
        reader = microtasks().then(storedTicks)
      }
      return request
    })
    x.track('tick')
    await vi.waitFor(() => expect(reader).toBeDefined())
    expect(await reader).toBe(2)
  })
})

describe('createKeyValue update', () => {
  it('commits as soon as the value is put, so the write does not wait for the page to hear the put succeed', async () => {
    const calls: string[] = []
    const put = IDBObjectStore.prototype.put
    const commit = IDBTransaction.prototype.commit
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      calls.push('put')
      const request = put.apply(this, args)
      request.addEventListener('success', () => calls.push('put succeeded'))
      return request
    })
    vi.spyOn(IDBTransaction.prototype, 'commit').mockImplementation(function (this: IDBTransaction) {
      calls.push('commit')
      commit.call(this)
    })
    const kv = createKeyValue('attune-kv')
    expect(await kv.update<number>('n', (old) => (old ?? 0) + 1)).toBe(1)
    expect(calls).toEqual(['put', 'commit', 'put succeeded'])
    expect(await kv.update<number>('n', (old) => (old ?? 0) + 1)).toBe(2)
    expect(await kv.get('n')).toBe(2)
    kv.close()
  })

  it('rejects with the error of a throwing update function and stores nothing', async () => {
    const kv = createKeyValue('attune-kv')
    await kv.update('n', () => 1)
    const failure = new Error('not this time')
    await expect(
      kv.update<number>('n', () => {
        throw failure
      }),
    ).rejects.toBe(failure)
    expect(await kv.get('n')).toBe(1)
    kv.close()
  })

  it('rejects, storing nothing, when IndexedDB cannot store the value', async () => {
    const kv = createKeyValue('attune-kv')
    await expect(kv.update<unknown>('n', () => () => 'a function cannot be cloned')).rejects.toBeTruthy()
    expect(await kv.get('n')).toBeUndefined()
    kv.close()
  })
})
