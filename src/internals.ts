import type { AttuneEvents } from './createAttune'
import type { ConsentProof } from './consent'
import type { Explanation, Facts, SiteConfig } from './decide/model'
import type { Painted } from './dom/paint'
import type { Report } from './lib/errors'
import type { ProfileStore } from './profile/createProfileStore'
import type { ProfileLogic } from './profile/logic'
import type { KeyValue } from './storage/createKeyValue'
import type { Visitors } from './sync/createVisitors'
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
  /** Set by `attune/auto`: forget the current session, so the next event starts a new one (`reset()`). */
  forgetSession?: () => void
  /** The profile store, for `attune/sync` and `attune/personalize`. */
  profile: Pick<ProfileStore, 'own' | 'rewrite' | 'renew' | 'onWrite' | 'change'>
  /** Has the shopper (or the site's default) decided consent yet? Undecided may still become a grant. */
  decided(): boolean
  /** Emit an instance event from a feature (`decision`, `exposure`). */
  emit<K extends keyof AttuneEvents>(type: K, payload: AttuneEvents[K]): void
  /** The instance's IndexedDB store (none with `storage: 'memory'`); `attune/sync` keeps its outbox there. */
  kv: KeyValue | undefined
  /** The consent proof `attune/sync` sends with its requests; the `tcf` adapter keeps its `tcf` current. */
  proof: ConsentProof
  /**
   * Set by `attune/personalize` while it runs, for the QA overlay (`attune/debug`): what it
   * decided on this page, from which config and facts, and the server it loaded the config from.
   */
  inspect?: () => Inspection
  /**
   * Set by `attune/sync` once connected: the server and who this browser is to it, for the
   * shopper's own export of what the server holds (sync/exportEverything.ts).
   */
  server?: { endpoint: string; fetch: typeof fetch; visitors: Pick<Visitors, 'current'> }
  /** Set by the script tag: hands its profile store the logic its page chunk brings (profile/logic.ts). */
  useLogic?: (logic: ProfileLogic) => void
  /**
   * Set by the script tag when it keeps data (dom/paint.ts): the slots the paint snippet painted
   * with their last decision before the first frame, which `attune/personalize` decides and takes over.
   */
  painted?: Painted
  /**
   * Set by the tag's page chunk beside `painted`: told each decision `attune/personalize` shows,
   * with its template when the paint snippet may paint it next time.
   */
  keepPaint?: (decision: Explanation, template: HTMLTemplateElement | undefined) => void
  /**
   * Set beside `keepPaint`: the decision kept with variant `id` of `slot`, which the paint snippet
   * painted on this page, if it was kept with it. A painted slot that this page decides otherwise
   * keeps that variant and this explanation.
   */
  earlier?: (slot: string, id: string) => Explanation | undefined
}

/** What `attune/personalize` shows `attune/debug` of its decisions (see {@link Internals.inspect}). */
export interface Inspection {
  /** The config decisions read: the site's, with the page's templates as variants. */
  config: SiteConfig
  /** Slot → its decision on this page. */
  decisions: ReadonlyMap<string, Explanation>
  /** Slot → the facts its decision read. */
  facts: ReadonlyMap<string, Facts>
  /** The server the config came from, if any. */
  endpoint: string | undefined
}

/** Instance → its internals. A WeakMap, so a destroyed instance is simply collected. */
export const internals = new WeakMap<object, Internals>()
