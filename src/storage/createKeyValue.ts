import type { UseStore } from 'idb-keyval'

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

/** What `req` ends with: its result, or its error as a rejection. */
const settled = <T>(req: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error)
  })

/**
 * An IndexedDB key-value store in database `name`: an idb-keyval custom store, opened on first
 * use — never at creation, so nothing exists before consent — like idb-keyval's own
 * `createStore`, with what a shared origin needs on top: the connection is closed when another
 * tab deletes or upgrades the database (so its `deleteDatabase` is never blocked by us), a
 * transaction refused because the browser is closing the connection ("InvalidStateError")
 * reopens once and retries, and a database someone opened by name before attune made it (so
 * without attune's store) is upgraded to add it. Every failure is a rejection, never a
 * synchronous throw, so callers fall back to memory in one place.
 *
 * `get` and `update` are idb-keyval's, written out here: importing its `get` alone also bundles
 * its default store (about 150 bytes in every build), and `update` commits early (see there).
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
      // At the version the database has, or 1 for a new one, made with our store. One made without
      // it (an `indexedDB.open(name)` elsewhere came first) is upgraded one version up to add it.
      const request = (version?: number): void => {
        const req = indexedDB.open(name, version)
        req.onupgradeneeded = () => req.result.createObjectStore(STORE)
        req.onsuccess = () => {
          const db = req.result
          if (db.objectStoreNames.contains(STORE)) return resolve(db)
          db.close()
          request(db.version + 1)
        }
        req.onerror = () => reject(req.error)
      }
      request()
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
    get: <T>(key: string) => store('readonly', (s) => settled(s.get(key) as IDBRequest<T | undefined>)),
    // idb-keyval's `update`, plus `commit()` once the value is put: the transaction then commits
    // without waiting for the page to hear that the put succeeded. A page being left (a reload, a
    // link, a closed tab) may never hear it, and Chromium then drops the write with the page.
    update: <T>(key: string, fn: (old: T | undefined) => T) =>
      store('readwrite', (s) => {
        const tx = s.transaction
        const req = s.get(key)
        let value: T
        return new Promise<T>((resolve, reject) => {
          req.onsuccess = () => {
            try {
              s.put((value = fn(req.result as T | undefined)), key)
              tx.commit?.()
            } catch (error) {
              reject(error)
            }
          }
          tx.oncomplete = () => resolve(value)
          // A failed request aborts the transaction (nothing here prevents that): one handler sees both.
          tx.onabort = () => reject(tx.error)
        })
      }),
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
