import { IDBFactory } from 'fake-indexeddb'

/** A brand-new, empty IndexedDB for the next test (fake-indexeddb, a faithful implementation). */
export const freshIndexedDb = (): IDBFactory => {
  const factory = new IDBFactory()
  globalThis.indexedDB = factory
  return factory
}
