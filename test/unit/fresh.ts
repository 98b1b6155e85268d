import 'fake-indexeddb/auto'
import { IDBFactory } from 'fake-indexeddb'

/** Installs fake-indexeddb's globals (IDBDatabase…) and gives the next test a brand-new, empty IndexedDB. */
export const freshIndexedDb = (): IDBFactory => {
  const factory = new IDBFactory()
  globalThis.indexedDB = factory
  return factory
}
