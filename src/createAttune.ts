import { createConsent, PURPOSES, type Consent, type ConsentState } from './consent'
import { forgetPaint, type PaintCache } from './dom/paint'
import { createEmitter } from './lib/emitter'
import { AttuneError, type Report } from './lib/errors'
import { createUuidv7 } from './lib/uuidv7'
import { resolveOptions, type AttuneOptions, type ResolvedOptions } from './options'
import { internals } from './internals'
import { createProfileStore, type DeviceRecord } from './profile/createProfileStore'
import type { Explanation } from './decide/model'
import type { JsonValue, Profile, ProfileView } from './profile/model'
import { createKeyValue } from './storage/createKeyValue'
import { cleanProps, createTracker, type EventProps, type TrackedEvent } from './track'

/** Events an attune instance emits; subscribe with `attune.on(type, fn)`. */
export interface AttuneEvents {
  /**
   * attune has consent for at least one purpose and the shopper's profile is loaded. A listener
   * added after that is still called (asynchronously), so `on('ready')` is safe at any time.
   */
  ready: ConsentState
  /** The consent state changed (on this page or in another tab). */
  consent: ConsentState
  /** An event was accepted under consent (fires for events replayed after a grant too). */
  track: TrackedEvent
  /** A runtime failure attune caught and worked around. Never thrown into the page. */
  error: AttuneError
  /** A slot was decided (`attune/personalize`): what it shows and why. */
  decision: Explanation
  /** A decided slot was at least half visible for the first time in this page view. */
  exposure: Explanation
}

/** Everything attune keeps about the shopper, as `profile.export()` hands it to them. */
export interface AttuneExport {
  format: 'attune-export'
  version: 1
  site: string
  /** Epoch ms. */
  exportedAt: number
  consent: ConsentState
  /** This browser's identity record, if anything was stored. */
  device: DeviceRecord | undefined
  /** The stored profile: every device's contribution. */
  profile: Profile
  /** What attune derives from it now. */
  view: ProfileView
  /**
   * Script tag only: the decisions the paint snippet shows on this shopper's next page before the
   * first frame, slot → `[variant id, the template's HTML]` (dom/paint.ts).
   */
  painted?: PaintCache
  /**
   * With `attune/sync` connected (the script tag's `data-attune-endpoint`): who this browser is to
   * the server — its visitor id; the bearer token, a credential, stays out of the file — and the
   * events stored here that the server has not acknowledged yet.
   */
  visitor?: string
  pending?: TrackedEvent[]
}

/** The shopper's profile on this device. */
export interface AttuneProfile {
  /** What attune knows now: counters, decayed affinities, recent products, interests, experiments. */
  get(): ProfileView
  /** Everything stored about the shopper, as JSON they can keep. */
  export(): Promise<AttuneExport>
  /** Delete everything attune keeps, in every tab, and withdraw consent. */
  delete(): Promise<void>
  /** Record what the shopper told you (zero-party data); `undefined` removes it. Needs `personalization`. */
  setInterest(key: string, value: JsonValue | undefined): void
}

/** An attune instance: a plain object of functions, safe to call in any order. */
export interface Attune {
  /** The site id this instance serves. */
  readonly site: string
  /** Ask for, record and follow the shopper's consent. */
  readonly consent: Consent
  /** The shopper's profile. */
  readonly profile: AttuneProfile
  /** Record that something happened. Waits in memory until consent is decided; dropped if denied. */
  track(name: string, props?: EventProps): void
  /** Record a page view (`page_viewed`) of the current location. */
  page(props?: EventProps): void
  /** Subscribe to an event; returns `off`. */
  on<K extends keyof AttuneEvents>(type: K, fn: (payload: AttuneEvents[K]) => void): () => void
  /** Remove every listener, observer and timer attune added. Later calls do nothing. */
  destroy(): Promise<void>
}

/**
 * Creates an attune instance for one site. Throws a `TypeError` for bad options (a developer's
 * mistake); after that, nothing it does throws into the page.
 *
 * Until the shopper grants a purpose, the instance writes nothing and sends nothing: events
 * wait in memory and are replayed on grant or forgotten on deny.
 */
export const createAttune = (input: AttuneOptions): Attune => createInstance(resolveOptions(input)).attune

const EVENT_TYPES: ReadonlyArray<keyof AttuneEvents> = ['ready', 'consent', 'track', 'error', 'decision', 'exposure']

/**
 * The instance behind createAttune, from options already checked, plus its error channel: the
 * script tag checks its few `data-attune-*` attributes itself, so the script-tag build does not
 * carry the validation of options only npm users can pass.
 */
export const createInstance = (options: ResolvedOptions): { attune: Attune; report: Report } => {
  const { site, now } = options
  const browser = typeof window !== 'undefined'
  const stops: Array<() => void> = []
  let destroyed = false
  /** Dormant until a purpose is granted; `pending` until the ready event has gone out. */
  let ready: 'no' | 'pending' | 'yes' = 'no'
  let wiping: Promise<void> = Promise.resolve()

  const warn = (...args: unknown[]): void => {
    if (options.debug) console.warn('[attune]', ...args)
  }
  const threw = (type: string, error: unknown): void => report('callback', `An on("${type}") listener threw; attune went on.`, error)
  const emitter = createEmitter<AttuneEvents>((error, type) => {
    // A throwing error listener must not loop back into the error channel.
    if (type === 'error') warn('An on("error") listener threw:', error)
    else threw(String(type), error)
  })
  let constructing = true
  const report: Report = (code, message, cause) => {
    warn(message, cause ?? '')
    const error = new AttuneError(code, message, cause)
    // Failures while constructing reach listeners the page adds right after createAttune().
    if (constructing) queueMicrotask(() => emitter.emit('error', error))
    else emitter.emit('error', error)
  }

  const uuid = createUuidv7(now)
  const remember = options.storage === 'indexeddb'
  const kv = remember ? createKeyValue(`attune-${site}`) : undefined
  const profile = createProfileStore({
    site,
    kv,
    now,
    uuid,
    config: options.profile,
    report,
    // Another tab deleted the profile, so it lost personalization, which this tab follows. The
    // rest (a withdrawal) comes as the consent record changes: measurement and sync may remain.
    onWiped: () => consent.follow({ ...consent.get(), personalization: false }),
  })
  stops.push(profile.stop)

  /** An event allowed by consent: into the profile (personalization) and to listeners (`attune/sync` is one). */
  const accept = (event: TrackedEvent): void => {
    if (consent.allows('personalization')) profile.record(event)
    emitter.emit('track', event)
  }
  /** Set by `attune/auto` to stamp sessions (see internals.ts). */
  let enrich: ((event: TrackedEvent) => TrackedEvent | undefined) | undefined
  const tracker = createTracker({
    accepting: () => consent.allows('personalization') || consent.allows('measurement'),
    waiting: () => !consent.decided(),
    now,
    uuid,
    report,
    deliver: (event) => {
      const first = enrich?.(event)
      if (first) accept(first)
      accept(event)
    },
  })

  const consent = createConsent({
    site,
    defaults: options.consentDefault,
    respectGpc: options.respectGpc,
    remember,
    report,
    emitChange: (state) => emitter.emit('consent', state),
    onDecision: (state, previous, cause) => {
      const all = !PURPOSES.some((p) => state[p])
      // The profile goes with its purpose. Another tab that withdrew already deleted it: this tab only forgets.
      if ((previous.personalization && !state.personalization) || cause === 'withdraw') {
        wiping = cause === 'tab' ? Promise.resolve() : profile.wipe()
        // What the paint snippet would paint from it (dom/paint.ts).
        forgetPaint(site)
      }
      tracker.settle()
      if (all) ready = 'no'
      else start()
    },
  })
  stops.push(consent.stop)

  const start = (): void => {
    // Loading is idempotent, and needed whenever personalization is granted, even after ready.
    const loaded = consent.allows('personalization') ? profile.start() : Promise.resolve()
    if (ready !== 'no') return
    ready = 'pending'
    // Asynchronous always, so listeners added right after createAttune() or grant() hear it.
    loaded.then(() => {
      if (ready !== 'pending' || destroyed) return
      ready = 'yes'
      emitter.emit('ready', consent.get())
    })
  }
  if (PURPOSES.some((p) => consent.allows(p))) start()
  constructing = false

  /** Runs `fn` unless destroyed (then it does nothing); a bug of ours is reported, never thrown into the page. */
  const guard =
    <A extends unknown[], R>(name: string, fn: (...args: A) => R) =>
    (...args: A): R | undefined => {
      if (destroyed) return undefined
      try {
        return fn(...args)
      } catch (error) {
        report('bad_call', `${name}() failed; attune went on.`, error)
        return undefined
      }
    }

  const page = guard('page', (props?: EventProps) => {
    tracker.track('page_viewed', { ...(browser && { path: location.pathname, title: document.title }), ...props })
  })
  const track = guard('track', tracker.track)
  const withdraw = guard('consent.withdraw', consent.withdraw)

  const exported = (): AttuneExport => {
    const { device, profile: stored } = profile.stored()
    const at = now()
    return { format: 'attune-export', version: 1, site, exportedAt: at, consent: consent.get(), device, profile: stored, view: profile.view(at) }
  }

  const attune: Attune = {
    site,
    consent: {
      grant: guard('consent.grant', consent.grant),
      deny: guard('consent.deny', consent.deny),
      withdraw,
      get: consent.get,
      on: (fn) => emitter.on('consent', fn),
    },
    profile: {
      get: () => profile.view(now()),
      export: () => profile.loaded().then(exported),
      delete: () => {
        withdraw()
        return wiping
      },
      setInterest: guard('profile.setInterest', (key: string, value: JsonValue | undefined) => {
        const checked = cleanProps({ value })
        const why = !consent.allows('personalization')
          ? 'needs personalization consent'
          : typeof key !== 'string' || !key || key.length > 100
            ? 'needs a key of 1–100 characters'
            : typeof checked === 'string'
              ? checked.replace('props', 'the value')
              : ''
        if (why) report('bad_call', `profile.setInterest(${JSON.stringify(key)}, value) ${why}; nothing was stored.`)
        else {
          profile.setInterest(key, (checked as { value?: JsonValue }).value)
          // The shopper said something: the paint snippet must not paint a decision made before it (dom/paint.ts).
          forgetPaint(site)
        }
      }),
    },
    track,
    page,
    on(type, fn) {
      if (!EVENT_TYPES.includes(type) || typeof fn !== 'function') {
        report('bad_call', `on(type, fn) needs one of ${EVENT_TYPES.join(', ')} and a function; got ${String(type)}, ${typeof fn}.`)
        return () => {}
      }
      let live = true
      const off = emitter.on(type, fn)
      if (type === 'ready' && ready === 'yes') {
        // Already ready: this late listener still hears it, once, and asynchronously as always.
        queueMicrotask(() => {
          if (!live || ready !== 'yes' || destroyed) return
          try {
            ;(fn as (state: ConsentState) => void)(consent.get())
          } catch (error) {
            threw('ready', error)
          }
        })
      }
      return () => {
        live = false
        off()
      }
    },
    async destroy() {
      if (destroyed) return
      destroyed = true
      ready = 'no'
      for (const stop of stops.splice(0)) stop()
      emitter.clear()
    },
  }
  internals.set(attune, {
    remember,
    uuid,
    now,
    report,
    profile,
    kv,
    proof: consent.proof,
    emit: emitter.emit,
    decided: consent.decided,
    enrich: (fn) => {
      enrich = fn
      return () => {
        if (enrich === fn) enrich = undefined
      }
    },
  })
  return { attune, report }
}
