import type { UseStore } from 'idb-keyval'

/** A lazily opened IndexedDB database with one `UseStore` (idb-keyval's custom store) per object store. */
export interface Database {
  /** The idb-keyval custom store for one object store of this database. */
  store(name: string): UseStore
  /** Close the connection (it reopens on next use). */
  close(): void
  /** Close and delete the whole database. */
  destroy(): Promise<void>
}

/** A transaction on a connection that is closing throws InvalidStateError: reopen once and retry. */
const isClosing = (error: unknown): boolean => (error as DOMException | undefined)?.name === 'InvalidStateError'

/**
 * Opens `name` lazily on first use — never at creation, so nothing exists before consent — the
 * way idb-keyval's `createStore` does, with what a shared origin needs on top: every object store
 * created in one upgrade, the connection closed when another tab deletes or upgrades the database
 * (so its `deleteDatabase` is never blocked by us), and one reopen-and-retry when the browser
 * closed the connection under us ("The database connection is closing").
 * @see https://github.com/jakearchibald/idb-keyval/blob/main/custom-stores.md
 */
export const openDatabase = (name: string, version: number, stores: readonly string[]): Database => {
  let connection: Promise<IDBDatabase> | undefined
  const open = (): Promise<IDBDatabase> => {
    if (connection) return connection
    // Inside the executor, so `open` throwing (InvalidStateError in some private modes) rejects.
    const opened: Promise<IDBDatabase> = new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(name, version)
      req.onupgradeneeded = () => {
        for (const store of stores) if (!req.result.objectStoreNames.contains(store)) req.result.createObjectStore(store)
      }
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
  const forget = (which: Promise<IDBDatabase>): void => {
    if (connection === which) connection = undefined
  }
  const close = (): void => {
    connection?.then((db) => db.close(), () => {})
    connection = undefined
  }
  return {
    store: (storeName) => (mode, callback) => {
      const run = () => open().then((db) => callback(db.transaction(storeName, mode).objectStore(storeName)))
      return run().catch((error: unknown) => {
        if (!isClosing(error)) throw error
        close()
        return run()
      })
    },
    close,
    destroy: () => {
      close()
      return new Promise((resolve, reject) => {
        const req = indexedDB.deleteDatabase(name)
        req.onsuccess = () => resolve()
        req.onerror = () => reject(req.error)
      })
    },
  }
}
