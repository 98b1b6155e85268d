import { get, update } from 'idb-keyval'
import { openDatabase } from './openDatabase'

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

/**
 * An IndexedDB key-value store (idb-keyval over a custom store) in database `name`, opened on
 * first use. Every failure is a rejection — never a synchronous throw — so the caller can fall
 * back to memory in one place.
 */
export const createKeyValue = (name: string): KeyValue => {
  const db = openDatabase(name, 1, ['kv'])
  const store = db.store('kv')
  return {
    get: (key) => get(key, store),
    update: <T>(key: string, fn: (old: T | undefined) => T) => {
      let written: T
      return update<T>(key, (old) => (written = fn(old)), store).then(() => written)
    },
    wipe: db.destroy,
    close: db.close,
  }
}
