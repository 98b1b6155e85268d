import type { Report } from './lib/errors'
import { localStore } from './lib/localStore'

/**
 * What the shopper can say yes or no to, each independently.
 * - `personalization`: keep a profile on this device and use it to choose content.
 * - `measurement`: send events and exposures to the site's server.
 * - `sync`: send the profile to the site's server so it follows the shopper across devices.
 */
export type Purpose = 'personalization' | 'measurement' | 'sync'

/** Every purpose, in a stable order. */
export const PURPOSES: readonly Purpose[] = ['personalization', 'measurement', 'sync']

/** Whether each purpose is granted. Everything starts denied. */
export type ConsentState = { readonly [P in Purpose]: boolean }

/** The consent API the page sees as `attune.consent`. */
export interface Consent {
  /** Grant purposes (all three when omitted). Remembered on this device from then on. */
  grant(purposes?: Purpose | readonly Purpose[]): void
  /** Deny purposes (all three when omitted). Data kept for a purpose that is denied is wiped. */
  deny(purposes?: Purpose | readonly Purpose[]): void
  /** Deny everything, forget the choice, wipe local data, tell other tabs. */
  withdraw(): void
  /** A snapshot of the current state. */
  get(): ConsentState
  /** Called with the new state whenever it changes, here or in another tab. Returns `off`. */
  on(fn: (state: ConsentState) => void): () => void
}

/** Why consent was (re)decided: a call on this page, or a change made in another tab. */
export type ConsentCause = 'grant' | 'deny' | 'withdraw' | 'tab'

/** The gate every module asks before it stores or sends anything. Internal. */
export interface ConsentGate extends Omit<Consent, 'on'> {
  /** The one check: may attune act for this purpose right now? */
  allows(purpose: Purpose): boolean
  /** Has anyone decided yet (a remembered choice, a site default, a call)? */
  decided(): boolean
  /** Take a state decided in another tab (nothing is written: that tab did it). */
  follow(state: ConsentState): void
  /** The consent proof `attune/sync` sends, kept current: `sync` here, `tcf` by the tcf adapter. */
  proof: ConsentProof
  /** Remove the cross-tab listener. */
  stop(): void
}

/** Options of {@link createConsent}. */
export interface ConsentOptions {
  site: string
  /** Purposes granted before the shopper says anything (a site decision; usually none). */
  defaults: readonly Purpose[]
  /** Keep `measurement` and `sync` denied while the browser sends Global Privacy Control. */
  respectGpc: boolean
  /** Remember a granted state in localStorage (false for `storage: 'memory'`). */
  remember: boolean
  report: Report
  /** Every decision, changed or not, with the state before it; `on` listeners see changes only. */
  onDecision(state: ConsentState, previous: ConsentState, cause: ConsentCause): void
  /** Tells the page's `on('consent')` listeners about a change. */
  emitChange(state: ConsentState): void
}

/** Stored record. Persisted names are never minified. */
export interface StoredConsent {
  v: 1
  purposes: Partial<Record<Purpose, boolean>>
  at: number
  /** When the shopper granted `sync` (a site default is not them): `proof.sync`. */
  syncAt?: number
}

/**
 * The `consent` field of the request bodies `attune/sync` sends (README "The consent proof").
 * Wire names: never minified.
 */
export interface ConsentProof {
  /** When the shopper granted `sync` (epoch ms), while it is granted; never for a site default. */
  sync?: number
  /** The TC string the `tcf` adapter last saw, while it runs. */
  tcf?: string
}

/** Where the granted state of `site` is remembered. */
export const consentKey = (site: string): string => `attune:consent:${site}`

/** The remembered record in `raw`, or a throw for any other shape. Its one reader (the paint snippet uses it too). */
export const parseConsent = (raw: string): StoredConsent => {
  const record = JSON.parse(raw) as StoredConsent
  if (record?.v !== 1 || typeof record.purposes !== 'object' || !record.purposes) throw new TypeError('unknown shape')
  return record
}

/** Every purpose denied. */
export const DENIED: ConsentState = { personalization: false, measurement: false, sync: false }

const toList = (purposes: Purpose | readonly Purpose[] | undefined): readonly Purpose[] | undefined => {
  const list = purposes === undefined ? PURPOSES : typeof purposes === 'string' ? [purposes] : purposes
  return Array.isArray(list) && list.every((p) => PURPOSES.includes(p)) ? list : undefined
}

/** Is the browser sending Global Privacy Control? */
export const gpcOn = (): boolean =>
  typeof navigator !== 'undefined' && (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl === true

/**
 * Creates the consent gate. Nothing is written anywhere until a purpose is granted; after that
 * the granted state is remembered under `attune:consent:<site>` so the next page can start
 * without asking, and a change in one tab reaches the others through the `storage` event.
 */
export const createConsent = (options: ConsentOptions): ConsentGate => {
  const { report, onDecision, emitChange } = options
  const key = consentKey(options.site)
  const proof: ConsentProof = {}
  const gpc = options.respectGpc && gpcOn()
  const mask = (state: ConsentState): ConsentState =>
    gpc ? { ...state, measurement: false, sync: false } : state

  /** The remembered state in `raw` (by default, what this device remembers), if readable. */
  const read = (raw?: string | null): ConsentState | undefined => {
    try {
      // Inside the try: a storage whose getItem throws remembers nothing, and attune still starts.
      if (raw === undefined) raw = options.remember ? localStore()?.getItem(key) : null
      if (raw == null) return undefined
      const { purposes: p, syncAt: at } = parseConsent(raw)
      proof.sync = typeof at === 'number' ? at : undefined
      return { personalization: p.personalization === true, measurement: p.measurement === true, sync: p.sync === true }
    } catch (error) {
      report('storage', 'Ignored an unreadable consent record.', error)
      return undefined
    }
  }

  const write = (next: ConsentState): void => {
    if (!options.remember) return
    try {
      const store = localStore()
      if (!store) return
      if (PURPOSES.some((p) => next[p])) {
        const record: StoredConsent = { v: 1, purposes: { ...next }, at: Date.now(), syncAt: proof.sync }
        store.setItem(key, JSON.stringify(record))
      } else {
        store.removeItem(key)
      }
    } catch (error) {
      report('storage', 'Could not remember consent beyond this page.', error)
    }
  }

  const remembered = read()
  let decided = remembered !== undefined || options.defaults.length > 0
  let state: ConsentState = mask(
    remembered ?? { ...DENIED, ...Object.fromEntries(options.defaults.map((p) => [p, true])) },
  )
  const decide = (next: ConsentState, cause: ConsentCause): void => {
    const previous = state
    const first = !decided
    state = mask(next)
    if (!state.sync) proof.sync = undefined
    decided = true
    const changed = PURPOSES.some((p) => state[p] !== previous[p])
    if (cause !== 'tab' && (changed || cause === 'withdraw')) write(state)
    onDecision(state, previous, cause)
    // The first decision is news even when it keeps everything denied: slots waiting for it can show.
    if (changed || first) emitChange(state)
  }

  const set = (purposes: Purpose | readonly Purpose[] | undefined, value: boolean, verb: 'grant' | 'deny'): void => {
    const list = toList(purposes)
    if (!list) {
      report('bad_call', `consent.${verb}() takes purposes among ${PURPOSES.join(', ')}; got ${JSON.stringify(purposes)}.`)
      return
    }
    const next = { ...state }
    for (const p of list) next[p] = value
    // Under Global Privacy Control, `mask` keeps measurement and sync denied. Not reported: banners
    // grant them on every page, and the error channel would hear it for every such shopper.
    if (value && list.includes('sync')) proof.sync = Date.now()
    decide(next, verb)
  }

  const onStorage = (event: StorageEvent): void => {
    if (event.key !== key && event.key !== null) return
    decide(read(event.newValue) ?? DENIED, 'tab')
  }
  const win = typeof window === 'undefined' ? undefined : window
  if (options.remember && win) win.addEventListener('storage', onStorage)

  return {
    grant: (purposes) => set(purposes, true, 'grant'),
    deny: (purposes) => set(purposes, false, 'deny'),
    withdraw: () => decide(DENIED, 'withdraw'),
    get: () => ({ ...state }),
    allows: (purpose) => state[purpose],
    decided: () => decided,
    follow: (next) => decide(next, 'tab'),
    proof,
    stop: () => win?.removeEventListener('storage', onStorage),
  }
}

/**
 * A consent adapter wires a site's existing consent banner to attune: it maps the banner's
 * signals onto purposes and returns its `stop`.
 */
export type ConsentAdapter<O = undefined> = (
  attune: { readonly consent: Pick<Consent, 'grant' | 'deny' | 'withdraw'> },
  options?: O,
) => () => void
