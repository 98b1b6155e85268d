import { localStore } from '../lib/localStore'

/** Who this browser is to the server. Persisted names: never minified. */
export interface Visitor {
  /** Random id the browser chose. */
  id: string
  /** Bearer token the server minted on first contact. */
  token?: string
}

/** This browser's visitor, and the erasures the server still has to confirm. */
export interface Visitors {
  /** The current visitor, made on first use. */
  current(): Visitor
  /** Keep the token the server minted for visitor `id` (ignored if the visitor changed since). */
  setToken(id: string, token: string): void
  /** The current visitor if there is one, without making one. */
  known(): Visitor | undefined
  /** Forget the current visitor (the next `current()` is a new one); returns it. */
  forget(): Visitor | undefined
  /** Visitors whose erasure the server has not confirmed yet. */
  erasing(): Visitor[]
  setErasing(list: Visitor[]): void
}

/**
 * Creates the visitor store. The visitor lives in localStorage, not IndexedDB: it is tiny, every
 * tab sees at once a token another tab received, and it outlives the database being deleted on
 * withdrawal, when it is needed to ask the server to erase. With `remember: false`, or when
 * localStorage is blocked, it lives in memory for the page.
 */
export const createVisitors = (site: string, remember: boolean, uuid: () => string): Visitors => {
  const visitorKey = `attune:visitor:${site}`
  const eraseKey = `attune:erase:${site}`
  const kept = new Map<string, unknown>()
  const load = <T>(key: string): T | undefined => {
    try {
      const store = remember ? localStore() : undefined
      if (store) return (JSON.parse(store.getItem(key) ?? 'null') as T | null) ?? undefined
    } catch {
      // Unreadable: as if absent.
    }
    return kept.get(key) as T | undefined
  }
  const save = (key: string, value: unknown): void => {
    if (value) kept.set(key, value)
    else kept.delete(key)
    try {
      const store = remember ? localStore() : undefined
      if (value) store?.setItem(key, JSON.stringify(value))
      else store?.removeItem(key)
    } catch {
      // Kept in memory for this page.
    }
  }
  return {
    current() {
      let who = load<Visitor>(visitorKey)
      // Storage is shared with the whole origin: anything but a visitor is replaced by a new one.
      if (typeof who?.id != 'string') save(visitorKey, (who = { id: uuid() }))
      return who
    },
    setToken(id, token) {
      if (load<Visitor>(visitorKey)?.id === id) save(visitorKey, { id, token })
    },
    known: () => load<Visitor>(visitorKey),
    forget() {
      const who = load<Visitor>(visitorKey)
      save(visitorKey, undefined)
      return who
    },
    // Only what reads as visitors: a damaged record must not keep sync from ever starting.
    erasing: () => [load<unknown>(eraseKey)].flat().filter((w): w is Visitor => typeof (w as Visitor | undefined)?.id == 'string'),
    setErasing: (list) => save(eraseKey, list.length && list),
  }
}
