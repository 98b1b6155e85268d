import { get, update } from 'idb-keyval'
import type { Report } from '../lib/errors'
import { openDatabase } from './openDatabase'

/** The little storage attune needs: atomic read-modify-write per key, and erase-all. */
export interface KeyValue {
  get<T>(key: string): Promise<T | undefined>
  /** Read-modify-write in one transaction; resolves with the value written. */
  update<T>(key: string, fn: (old: T | undefined) => T): Promise<T>
  /** Delete everything (the whole database). */
  wipe(): Promise<void>
  /** Close connections; the store reopens on next use. */
  close(): void
}

/** Options of {@link createKeyValue}. */
export interface KeyValueOptions {
  /** Database name, one per site. */
  name: string
  /** `memory` keeps everything in this page only. */
  kind: 'indexeddb' | 'memory'
  report: Report
}

const memory = (values = new Map<string, unknown>()): KeyValue => ({
  get: async <T>(key: string) => values.get(key) as T | undefined,
  update: async <T>(key: string, fn: (old: T | undefined) => T) => {
    const next = fn(values.get(key) as T | undefined)
    values.set(key, next)
    return next
  },
  wipe: async () => values.clear(),
  close: () => {},
})

const indexedDb = (name: string): KeyValue => {
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

/**
 * Creates the key-value storage: IndexedDB when asked for and available, else memory. Any
 * IndexedDB failure — no `indexedDB` at all, `open` rejected (Firefox private windows), a
 * connection that will not reopen, `QuotaExceededError` — switches to memory for the rest of
 * the page's life, seeded with the last values seen, so nothing the page did is lost; it is
 * reported once through `on('error')`, and the failed operation is replayed in memory.
 */
export const createKeyValue = ({ name, kind, report }: KeyValueOptions): KeyValue => {
  const seen = new Map<string, unknown>()
  let current: KeyValue | undefined
  let fallback: KeyValue | undefined
  const degrade = (error: unknown): KeyValue => {
    if (!fallback) {
      report('storage', 'IndexedDB is unavailable or failing; attune keeps this page’s profile in memory.', error)
      current?.close()
      fallback = current = memory(new Map(seen))
    }
    return fallback
  }
  const use = (): KeyValue => {
    if (current) return current
    if (kind === 'memory') return (current = memory())
    try {
      if (typeof indexedDB === 'undefined') throw new Error('indexedDB is not defined')
      return (current = indexedDb(name))
    } catch (error) {
      return degrade(error)
    }
  }
  /** Runs `op` on the current store; on failure, once on memory. Remembers what it saw. */
  const run = <T>(key: string, op: (kv: KeyValue) => Promise<T>): Promise<T> => {
    const kv = use()
    // `new Promise` turns a synchronous throw from the browser into a rejection like any other.
    return new Promise<T>((resolve) => resolve(op(kv)))
      .catch((error: unknown) => (kv === fallback ? Promise.reject(error) : op(degrade(error))))
      .then((value) => {
        seen.set(key, value)
        return value
      })
  }
  return {
    get: (key) => run(key, (kv) => kv.get(key)),
    update: (key, fn) => run(key, (kv) => kv.update(key, fn)),
    wipe: () => {
      seen.clear()
      const kv = use()
      return new Promise<void>((resolve) => resolve(kv.wipe())).catch((error: unknown) => {
        if (kv !== fallback) report('storage', 'Could not delete the IndexedDB database.', error)
      })
    },
    close: () => current?.close(),
  }
}
