import { get, update, type UseStore } from 'idb-keyval'

/** The little storage attune needs: atomic read-modify-write per key, and erase-all. */
export interface KeyValue {
  get<T>(key: string): Promise<T | undefined>
  /** Read-modify-write in one transaction; resolves with the value written. */
  update<T>(key: string, fn: (old: T | undefined) => T): Promise<T>
  /** Delete everything (the whole database). */
  wipe(): Promise<void>
  /** Close the connection; it reopens on next use. */
  close(): void
}

const STORE = 'kv'

/**
 * An IndexedDB key-value store in database `name`: idb-keyval over a custom store, opened on
 * first use — never at creation, so nothing exists before consent — like idb-keyval's own
 * `createStore`, with what a shared origin needs on top: the connection is closed when another
 * tab deletes or upgrades the database (so its `deleteDatabase` is never blocked by us), and a
 * transaction refused because the browser is closing the connection ("InvalidStateError")
 * reopens once and retries. Every failure is a rejection, never a synchronous throw, so callers
 * fall back to memory in one place.
 * @see https://github.com/jakearchibald/idb-keyval/blob/main/custom-stores.md
 */
export const createKeyValue = (name: string): KeyValue => {
  let connection: Promise<IDBDatabase> | undefined
  const forget = (which: Promise<IDBDatabase>): void => {
    if (connection === which) connection = undefined
  }
  const open = (): Promise<IDBDatabase> => {
    if (connection) return connection
    // Inside the executor, so `open` throwing (InvalidStateError in some private modes) rejects.
    const opened: Promise<IDBDatabase> = new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name, 1)
      req.onupgradeneeded = () => req.result.createObjectStore(STORE)
      req.onsuccess = () => resolve(req.result)
      req.onerror = () => reject(req.error)
    }).then(
      (db) => {
        db.onclose = () => forget(opened)
        db.onversionchange = () => {
          db.close()
          forget(opened)
        }
        return db
      },
      (error: unknown) => {
        forget(opened)
        throw error
      },
    )
    return (connection = opened)
  }
  const close = (): void => {
    connection?.then((db) => db.close(), () => {})
    connection = undefined
  }
  const store: UseStore = (mode, callback) => {
    const run = () => open().then((db) => callback(db.transaction(STORE, mode).objectStore(STORE)))
    return run().catch((error: unknown) => {
      if ((error as DOMException | undefined)?.name !== 'InvalidStateError') throw error
      close()
      return run()
    })
  }
  return {
    get: (key) => get(key, store),
    update: <T>(key: string, fn: (old: T | undefined) => T) => {
      let written: T
      return update<T>(key, (old) => (written = fn(old)), store).then(() => written)
    },
    wipe: () => {
      close()
      return new Promise((resolve, reject) => {
        const req = indexedDB.deleteDatabase(name)
        req.onsuccess = () => resolve()
        req.onerror = () => reject(req.error)
      })
    },
    close,
  }
}
