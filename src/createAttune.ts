import { createConsent, PURPOSES, type Consent, type ConsentState } from './consent'
import { createEmitter } from './lib/emitter'
import { AttuneError, type Report } from './lib/errors'
import { createUuidv7 } from './lib/uuidv7'
import { resolveOptions, type AttuneOptions } from './options'
import { createTracker, type EventProps, type TrackedEvent } from './track'

/** Events an attune instance emits; subscribe with `attune.on(type, fn)`. */
export interface AttuneEvents {
  /**
   * attune has consent for at least one purpose and its local state is loaded. A listener added
   * after that is still called (asynchronously), so `on('ready')` is safe at any time.
   */
  ready: ConsentState
  /** The consent state changed (on this page or in another tab). */
  consent: ConsentState
  /** An event was accepted under consent (fires for events replayed after a grant too). */
  track: TrackedEvent
  /** A runtime failure attune caught and worked around. Never thrown into the page. */
  error: AttuneError
}

/** An attune instance: a plain object of functions, safe to call in any order. */
export interface Attune {
  /** The site id this instance serves. */
  readonly site: string
  /** Ask for, record and follow the shopper's consent. */
  readonly consent: Consent
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
export const createAttune = (input: AttuneOptions): Attune => createInstance(input).attune

const EVENT_TYPES: ReadonlyArray<keyof AttuneEvents> = ['ready', 'consent', 'track', 'error']

/** createAttune plus the instance's error channel, for entry points (the script tag) that report too. */
export const createInstance = (input: AttuneOptions): { attune: Attune; report: Report } => {
  const options = resolveOptions(input)
  const stops: Array<() => void> = []
  let destroyed = false
  /** Dormant until a purpose is granted; `pending` until the ready event has gone out. */
  let ready: 'no' | 'pending' | 'yes' = 'no'

  const warn = (...args: unknown[]): void => {
    if (options.debug) console.warn('[attune]', ...args)
  }
  const emitter = createEmitter<AttuneEvents>((error, type) => {
    // A throwing error listener must not loop back into the error channel.
    if (type === 'error') warn('An on("error") listener threw:', error)
    else report('callback', `An on("${String(type)}") listener threw; attune went on.`, error)
  })
  let constructing = true
  const report: Report = (code, message, cause) => {
    warn(message, cause ?? '')
    const error = new AttuneError(code, message, cause)
    // Failures while constructing reach listeners the page adds right after createAttune().
    if (constructing) queueMicrotask(() => emitter.emit('error', error))
    else emitter.emit('error', error)
  }

  const tracker = createTracker({
    accepting: () => consent.allows('personalization') || consent.allows('measurement'),
    waiting: () => !consent.decided(),
    now: options.now,
    uuid: createUuidv7(options.now),
    report,
    deliver: (event) => emitter.emit('track', event),
  })

  const consent = createConsent({
    site: options.site,
    defaults: options.consentDefault,
    respectGpc: options.respectGpc,
    remember: options.storage === 'indexeddb',
    report,
    emitChange: (state) => emitter.emit('consent', state),
    onDecision: (state) => {
      tracker.settle()
      if (PURPOSES.some((p) => state[p])) start()
      else ready = 'no'
    },
  })
  stops.push(consent.stop)

  const start = (): void => {
    if (ready !== 'no') return
    ready = 'pending'
    // Asynchronous, so listeners added right after createAttune() or grant() hear it.
    queueMicrotask(() => {
      if (ready !== 'pending' || destroyed) return
      ready = 'yes'
      emitter.emit('ready', consent.get())
    })
  }
  if (PURPOSES.some((p) => consent.allows(p))) start()
  constructing = false

  /** Runs `fn` unless destroyed; a bug of ours is reported, never thrown into the page. */
  const guard =
    <A extends unknown[]>(name: string, fn: (...args: A) => void) =>
    (...args: A): void => {
      if (destroyed) return warn(`${name}() after destroy() is ignored.`)
      try {
        fn(...args)
      } catch (error) {
        report('bad_call', `${name}() failed; attune went on.`, error)
      }
    }

  const attune: Attune = {
    site: options.site,
    consent: {
      grant: guard('consent.grant', consent.grant),
      deny: guard('consent.deny', consent.deny),
      withdraw: guard('consent.withdraw', consent.withdraw),
      get: consent.get,
      on: (fn) => emitter.on('consent', fn),
    },
    track: guard('track', tracker.track),
    page: guard('page', (props?: EventProps) => {
      const here = typeof location === 'undefined' ? undefined : location
      tracker.track('page_viewed', {
        ...(here && { path: here.pathname, title: document.title, referrer: document.referrer }),
        ...props,
      })
    }),
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
            report('callback', 'An on("ready") listener threw; attune went on.', error)
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
  return { attune, report }
}
