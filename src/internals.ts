import type { Report } from './lib/errors'
import type { ProfileStore } from './profile/createProfileStore'
import type { KeyValue } from './storage/createKeyValue'
import type { TrackedEvent } from './track'

/** What an instance shares with attune's own entry points (`attune/auto`), and no one else. */
export interface Internals {
  /** Is anything kept beyond the page (`storage: 'indexeddb'`)? */
  remember: boolean
  uuid(): string
  now(): number
  /** The instance's error channel: what a feature catches reaches `on('error')`. */
  report: Report
  /**
   * Sees every event consent allowed, before anyone else, and may return one event to deliver
   * first (a `session_started`). One at a time; returns `off`.
   */
  enrich(fn: (event: TrackedEvent) => TrackedEvent | undefined): () => void
  /** The profile store, for `attune/sync`. */
  profile: Pick<ProfileStore, 'own' | 'rewrite' | 'onWrite'>
  /** The instance's IndexedDB store (none with `storage: 'memory'`); `attune/sync` keeps its outbox there. */
  kv: KeyValue | undefined
}

/** Instance → its internals. A WeakMap, so a destroyed instance is simply collected. */
export const internals = new WeakMap<object, Internals>()
