import type { Attune } from '../createAttune'
import type { Explanation } from '../decide/model'
import { internals, type Internals } from '../internals'
import type { Personalizer } from '../personalize'

/** Options of `defineAttuneElements`. */
export interface AttuneElementsOptions {
  /**
   * The controller `personalize(attune)` returned, when the page has one. `<attune-why>` then
   * takes a decided slot's sentence from its `explain(slot)`, which also knows a variant that
   * failed to render and fell back to default content. Without it, the sentence of the
   * instance's `decision` event is used.
   */
  personalizer?: Pick<Personalizer, 'explain'>
  /**
   * Where the shopper finds `<attune-preferences>` (a page URL or a `#fragment`), for the links
   * of `<attune-why>` and of the questions. `http(s)` or relative only. Default: `#<id>` of the
   * first `<attune-preferences id="…">` on the page, else no link.
   */
  preferencesUrl?: string
  /**
   * When the profile last synced with the server (epoch ms), if the page knows, for the
   * preference center's "Last synced" line. Without it, the line says "never" unless the profile
   * holds other devices' entries (then it names how many devices it was synced with).
   */
  lastSync?: () => number | undefined
  /**
   * The page runs `attune/sync` (or the script tag has `data-attune-endpoint`): withdrawing or
   * deleting everything also asks the server to erase, and the preference center says so; its
   * download holds the server's copy too, or says that copy could not be included.
   */
  server?: boolean
}

/** One instance as the elements see it: its decisions, whether its profile can be read, and change notifications. */
export interface Binding {
  readonly attune: Attune
  /** The instance's internals: removing an affinity needs them. */
  readonly inner: Internals | undefined
  readonly options: AttuneElementsOptions
  /** The decision of `slot` heard on this page, explained; undefined while it shows default content undecided. */
  explain(slot: string): Explanation | undefined
  /** The profile is readable: `personalization` is granted and the stored profile has loaded. */
  loaded(): boolean
  /** Storage failed on this page: what is shown lasts only until the shopper leaves. */
  degraded(): boolean
  /** Calls `fn` (once per task at most) when what the elements show may have changed; returns `off`. */
  subscribe(fn: () => void): () => void
  /** Tell subscribers (an element changed something). */
  changed(): void
  stop(): void
}

/**
 * Follows an instance for the elements: consent, decisions, tracked events (which change the
 * profile), storage failures, and the page becoming visible again (another tab may have changed
 * the profile). Subscribers are told once per task.
 */
export const createBinding = (attune: Attune, options: AttuneElementsOptions): Binding => {
  const inner = internals.get(attune)
  const decisions = new Map<string, Explanation>()
  const listeners = new Set<() => void>()
  let loaded = false
  let degraded = false
  let scheduled = false
  let stopped = false
  let personalized = false
  let generation = 0

  const changed = (): void => {
    if (scheduled || stopped) return
    scheduled = true
    queueMicrotask(() => {
      scheduled = false
      for (const fn of [...listeners]) {
        try {
          fn()
        } catch (error) {
          inner?.report('callback', 'An attune/ui element failed to update; the page went on.', error)
        }
      }
    })
  }

  /** `profile.export()` resolves once the profile started by the grant has loaded. */
  const follow = (): void => {
    const now = attune.consent.get().personalization
    if (now === personalized) return
    personalized = now
    loaded = false
    decisions.clear()
    const at = ++generation
    if (now) {
      attune.profile.export().then(
        () => {
          if (at !== generation || stopped) return
          loaded = true
          changed()
        },
        () => {},
      )
    }
  }

  const onVisible = (): void => {
    if (document.visibilityState == 'visible') changed()
  }
  document.addEventListener('visibilitychange', onVisible)
  const offs = [
    attune.consent.on(() => {
      follow()
      changed()
    }),
    attune.on('decision', (d) => {
      decisions.set(d.slot, d)
      changed()
    }),
    attune.on('track', changed),
    attune.on('error', (error) => {
      if (error.code != 'storage') return
      degraded = true
      changed()
    }),
    () => document.removeEventListener('visibilitychange', onVisible),
  ]
  follow()

  return {
    attune,
    inner,
    options,
    explain(slot) {
      const heard = decisions.get(slot)
      // Only a slot already decided is asked: explain() decides an undecided one, which could
      // assign an experiment for a slot the shopper never saw.
      if (!heard || !options.personalizer) return heard
      try {
        return options.personalizer.explain(slot)
      } catch {
        return heard
      }
    },
    loaded: () => loaded,
    degraded: () => degraded,
    subscribe(fn) {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
    changed,
    stop() {
      stopped = true
      generation++
      for (const off of offs.splice(0)) off()
      listeners.clear()
    },
  }
}
