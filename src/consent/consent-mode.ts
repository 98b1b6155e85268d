import type { ConsentAdapter, ConsentState, Purpose } from '../consent'
import { internals } from '../internals'
import type { BannerConsent } from '../lib/applyBanner'
import type { Report } from '../lib/errors'

/** Options of the {@link consentMode} adapter. */
export interface ConsentModeOptions {
  /**
   * The Consent Mode types each purpose needs, all `'granted'`. Merged over the default:
   * personalization ← `personalization_storage`, measurement ← `analytics_storage`,
   * sync ← `personalization_storage` (the profile goes only to the site's own server, never to
   * Google, so `ad_user_data` does not apply; list `analytics_storage` too to ask for more).
   */
  map?: Partial<Record<Purpose, readonly string[]>>
}

const DEFAULT_MAP: Record<Purpose, readonly string[]> = {
  personalization: ['personalization_storage'],
  measurement: ['analytics_storage'],
  sync: ['personalization_storage'],
}

/**
 * Follows Google Consent Mode v2: reads the `gtag('consent', 'default' | 'update', {…})`
 * commands already in `window.dataLayer`, then wraps `dataLayer.push` to see new ones as they
 * happen (synchronously). A purpose is granted while every type it maps to is `'granted'`;
 * values other than `'granted'`/`'denied'` are ignored, and an update outranks any default.
 * Nothing happens until the first consent command. Defaults are the page's baseline, not the
 * shopper's answer: Consent Mode stores no choice, so every page sends its defaults (denied, as a
 * rule) before the banner repeats the shopper's answer as an update. So while attune holds a
 * grant, defaults wait for the first update; and a region-scoped denial stands until an update,
 * whatever default comes after it. `stop` restores `push` if it is still ours and otherwise
 * leaves our wrapper in place, inert.
 * @see https://developers.google.com/tag-platform/security/guides/consent
 */
export const consentMode: ConsentAdapter<ConsentModeOptions> = (attune, options) => {
  const report: Report = (...args) => internals.get(attune)?.report(...args)
  if (typeof window === 'undefined') return () => {}
  const map = { ...DEFAULT_MAP, ...options?.map }
  const order = Object.keys(DEFAULT_MAP) as Purpose[]
  const win = window as Window & { dataLayer?: unknown }
  const created = win.dataLayer === undefined
  // The gtag snippet does the same and then reuses our array.
  const layer = (win.dataLayer ??= []) as unknown[]
  if (!Array.isArray(layer) || !order.every((p) => Array.isArray(map[p]))) {
    report('bad_call', 'consentMode() needs window.dataLayer to be an array and map values to be arrays of strings.')
    return () => {}
  }

  let live = true
  let applied: ConsentState | undefined
  let updated = false
  const defaults: Record<string, boolean> = {}
  const updates: Record<string, boolean> = {}
  /** Types a region-scoped default denied: we cannot tell the shopper's region, so no default grants them. */
  const pinned = new Set<string>()

  const apply = (next: ConsentState): void => {
    const before = applied
    applied = next
    // The first command sets every purpose (a remembered grant may be stale); later ones only changes.
    const lost = order.filter((p) => !next[p] && (!before || before[p]))
    const gained = order.filter((p) => next[p] && !before?.[p])
    // `lost` after a first decision means something was granted: losing all of it is a withdrawal.
    if (before && lost.length && !order.some((p) => next[p])) attune.consent.withdraw()
    else if (lost.length) attune.consent.deny(lost)
    if (gained.length) attune.consent.grant(gained)
  }
  /** Takes one dataLayer entry; gtag pushes its `arguments` object, so index it rather than destructure. */
  const see = (entry: unknown): void => {
    const e = Object(entry) as Record<number, unknown>
    const command = e[1]
    const params = Object(e[2]) as Record<string, unknown>
    if (e[0] !== 'consent' || (command !== 'default' && command !== 'update')) return
    for (const [type, value] of Object.entries(params)) {
      if (value !== 'granted' && value !== 'denied') continue
      if (command === 'update') updates[type] = value === 'granted'
      else if (value === 'denied') {
        defaults[type] = false
        if (params.region) pinned.add(type)
      } else if (!params.region && !pinned.has(type)) defaults[type] = true
    }
    updated ||= command === 'update'
    // The page's baseline is no answer: a grant this device remembers waits for the banner's update.
    if (!updated && !applied && order.some((p) => (attune.consent as BannerConsent).get?.()[p])) return
    const state = { ...defaults, ...updates }
    const next = {} as Record<Purpose, boolean>
    for (const p of order) next[p] = map[p]!.every((type) => state[type] === true)
    apply(next)
  }

  for (const entry of layer) see(entry)
  const original = layer.push
  const own = Object.prototype.hasOwnProperty.call(layer, 'push')
  const patched = (...items: unknown[]): number => {
    let length = layer.length
    try {
      length = original.apply(layer, items)
    } catch (error) {
      // Someone else's push (a tag manager's) threw: the command still counts, and the page goes on.
      report('callback', 'dataLayer.push threw; attune read the command anyway.', error)
    }
    if (live) items.forEach(see)
    return length
  }
  layer.push = patched
  return () => {
    live = false
    if (created && win.dataLayer === layer && !layer.length) delete win.dataLayer
    if (layer.push !== patched) return
    if (own) layer.push = original
    else delete (layer as { push?: unknown }).push
  }
}
