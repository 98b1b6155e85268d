import type { CLSMetricWithAttribution, INPMetricWithAttribution, LCPMetricWithAttribution } from 'web-vitals/attribution'
import type { Attune } from './createAttune'
import { SHOWN, SLOT } from './dom/markup'
import { internals } from './internals'

/** Options of {@link vitals}. */
export interface VitalsOptions {
  /**
   * The share of page loads that report, from 0 to 1 (default 1: every one), drawn once per
   * call. p75 needs far fewer samples than a busy shop has page views.
   */
  sample?: number
}

/** The props of a `web_vital` event, as the server stores them. Wire names: never minified. */
export interface WebVital {
  /** Which Core Web Vital. */
  metric: 'LCP' | 'CLS' | 'INP'
  /** Its value for the page view when the page was hidden: ms for LCP and INP, a unitless score for CLS. */
  value: number
  /** web-vitals' rating against the metric's thresholds. */
  rating: 'good' | 'needs-improvement' | 'poor'
  /** `navigate`, `reload`, `back-forward`, `back-forward-cache`, `prerender` or `restore`. */
  navigationType: string
  /**
   * web-vitals' id of this metric instance. A metric sent again in the same page view (as the
   * page closes, then once more as it is hidden; or after the tab was hidden and shown again)
   * keeps it, so the server counts only the newest.
   */
  id: string
  /**
   * Slot → the variant shown there on this page, `null` for the page's default content. Slots
   * already decided before `vitals()` was called are left out: their variant is unknown.
   */
  variants: Record<string, string | null>
  /**
   * A few fields of web-vitals' attribution that say where the time went, none personal: CSS
   * selectors of elements (tag, id and class names, at most 100 characters), the slot holding
   * that element, load states, and sub-parts in whole milliseconds.
   */
  attribution: Record<string, string | number>
}

type Reported = LCPMetricWithAttribution | CLSMetricWithAttribution | INPMetricWithAttribution

const MAX_SELECTOR = 100

/** The slot an element (or a text node) sits in, if any. */
const slotOf = (node: Node | null | undefined): string | undefined =>
  (node && (node.nodeType == 1 ? (node as Element) : node.parentElement))?.closest(`[${SLOT}]`)?.getAttribute(SLOT) ?? undefined

/** Drops what is undefined (JSON would too), trims selectors, rounds milliseconds. */
const tidy = (fields: Record<string, string | number | undefined>): Record<string, string | number> => {
  const out: Record<string, string | number> = {}
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value == 'string') out[key] = value.slice(0, MAX_SELECTOR)
    else if (value !== undefined) out[key] = key == 'largestShiftValue' ? value : Math.round(value)
  }
  return out
}

const attributionOf = (m: Reported): Record<string, string | number> => {
  if (m.name == 'LCP') {
    const a = m.attribution
    return tidy({
      target: a.target,
      slot: slotOf(a.lcpEntry?.element),
      timeToFirstByte: a.timeToFirstByte,
      resourceLoadDelay: a.resourceLoadDelay,
      resourceLoadDuration: a.resourceLoadDuration,
      elementRenderDelay: a.elementRenderDelay,
    })
  }
  if (m.name == 'CLS') {
    const a = m.attribution
    return tidy({ largestShiftTarget: a.largestShiftTarget, slot: slotOf(a.largestShiftSource?.node), largestShiftValue: a.largestShiftValue, loadState: a.loadState })
  }
  const a = m.attribution
  return tidy({
    interactionTarget: a.interactionTarget,
    slot: slotOf(m.entries[0]?.target),
    interactionType: a.interactionType,
    loadState: a.loadState,
    inputDelay: a.inputDelay,
    processingDuration: a.processingDuration,
    presentationDelay: a.presentationDelay,
  })
}

/** Instances with vitals running: a second call would report every metric twice. */
const running = new WeakMap<Attune, () => void>()

/**
 * `attune/vitals`: Core Web Vitals per page view, tagged with the variants shown, so the
 * server can say when a variant hurts performance (`GET /v1/admin/sites/:site/vitals`).
 * LCP, CLS and INP are measured by `web-vitals` (its attribution build, imported by the call:
 * a chunk of its own in a bundle); when the page is hidden or closed each value is recorded as
 * `attune.track('web_vital', props)` ({@link WebVital}), so consent applies as to any event.
 * The variants come from the instance's `decision` events: call `vitals()` before
 * `personalize(…).apply()` (slots shown before are left out), and before `sync()` (values
 * recorded as the page closes then go with sync's last request). Does nothing in Node. Returns
 * `stop`, which removes every listener it added (web-vitals' own observers cannot be removed:
 * they go quiet).
 */
export const vitals = (attune: Attune, options: VitalsOptions = {}): (() => void) => {
  const { sample = 1 } = options
  if (typeof attune?.track != 'function' || typeof attune.on != 'function') {
    throw new TypeError('attune: vitals(attune) needs an instance from createAttune.')
  }
  if (typeof sample != 'number' || !(sample >= 0 && sample <= 1)) {
    throw new TypeError(`attune: vitals(attune, { sample }) must be the share of page loads to measure, from 0 to 1, e.g. 0.25; got ${String(sample)}.`)
  }
  const existing = running.get(attune)
  if (existing) return existing
  if (typeof document == 'undefined' || Math.random() >= sample) return () => {}

  const shown = (): string[] => Array.from(document.querySelectorAll(`[${SLOT}][${SHOWN}]`), (el) => el.getAttribute(SLOT) ?? '')
  // Shown already: decided before we listened, so what they show is unknown.
  const unknown = new Set(shown())
  const decided = new Map<string, string | null>()
  const offDecision = attune.on('decision', (d) => decided.set(d.slot, d.variant ?? null))

  /** Every slot of the page: shown without a decision heard means default content. */
  const variants = (): Record<string, string | null> => {
    const out: Record<string, string | null> = {}
    for (const slot of shown()) if (!unknown.has(slot)) out[slot] = null
    for (const [slot, variant] of decided) out[slot] = variant
    return out
  }

  /** Never into the page: a failure goes to `on('error')`, where the instance has one. */
  const safely = (what: string, fn: () => void): void => {
    try {
      fn()
    } catch (error) {
      internals.get(attune)?.report('bad_call', `vitals: ${what} failed; attune went on.`, error)
    }
  }

  // web-vitals has no way to unsubscribe: after stop its callbacks find `live` false.
  let live = true
  let timer: ReturnType<typeof setTimeout> | undefined
  /** Metric name → the metric as web-vitals last reported it (it updates that object in place). */
  const latest = new Map<string, Reported>()
  /** web-vitals metric id → the value sent for it. */
  const sent = new Map<string, number>()

  /** Sends each metric whose value changed since it was last sent. */
  const send = (): void => {
    for (const m of latest.values()) {
      if (!live || sent.get(m.id) === m.value) continue
      sent.set(m.id, m.value)
      safely(`reporting ${m.name}`, () => {
        const props: WebVital = {
          metric: m.name,
          value: m.value,
          rating: m.rating,
          navigationType: m.navigationType,
          id: m.id,
          variants: variants(),
          attribution: attributionOf(m),
        }
        attune.track('web_vital', { ...props })
      })
    }
  }
  // web-vitals reports final values when the page is hidden. A page being closed or navigated
  // away from is hidden only after `pagehide` (HTML "unload a document"), and `pagehide` is the
  // last moment attune/sync sends: so the values known then go then, and whatever web-vitals
  // adds as the page is hidden follows (the server keeps the newest per metric id). Listeners
  // of `window` run in the order they were added, whatever their phase, so these are added now,
  // before `sync()` adds its own. On hiding, once at once and once in the next task: web-vitals
  // takes the last entries in its own listener, and INP may still be processing an interaction.
  const onVisibility = (): void => {
    if (document.visibilityState != 'hidden') return
    send()
    clearTimeout(timer)
    timer = setTimeout(send)
  }
  addEventListener('visibilitychange', onVisibility, true)
  addEventListener('pagehide', send, true)
  const keep = (m: Reported): void => void latest.set(m.name, m)

  // Loaded on the call, not with this module: web-vitals starts a PerformanceObserver when it is
  // imported, and importing attune must do nothing. Its observers read buffered entries, so
  // what happened before it loaded still counts.
  import('web-vitals/attribution').then(
    ({ onLCP, onCLS, onINP }) =>
      safely('measuring', () => {
        if (!live) return
        onLCP(keep, { reportAllChanges: true })
        onCLS(keep, { reportAllChanges: true })
        onINP(keep, { reportAllChanges: true })
      }),
    (error: unknown) => internals.get(attune)?.report('network', 'vitals: web-vitals could not be loaded; nothing is measured on this page.', error),
  )

  const stop = (): void => {
    if (!live) return
    live = false
    clearTimeout(timer)
    removeEventListener('visibilitychange', onVisibility, true)
    removeEventListener('pagehide', send, true)
    offDecision()
    running.delete(attune)
  }
  running.set(attune, stop)
  return stop
}
