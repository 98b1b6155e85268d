import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'

/** Installs fake-indexeddb's globals (IDBDatabase…) and gives the next test a brand-new, empty IndexedDB. */
export const freshIndexedDb = (): IDBFactory => {
  const factory = new IDBFactory()
  globalThis.indexedDB = factory
  return factory
}

/**
 * Puts `value` under `key` in the `attune-shop-1` database, as an earlier page (or anything else
 * on the origin) could have left it.
 */
export const putStored = async (key: string, value: unknown): Promise<void> => {
  const db = await new Promise<IDBDatabase>((resolve) => {
    const req = indexedDB.open('attune-shop-1', 1)
    req.onupgradeneeded = () => req.result.createObjectStore('kv')
    req.onsuccess = () => resolve(req.result)
  })
  await new Promise((resolve) => {
    const tx = db.transaction('kv', 'readwrite')
    tx.objectStore('kv').put(value, key)
    tx.oncomplete = resolve
  })
  db.close()
}
