import type { Attune } from '../createAttune'
import { forgetPaint } from '../dom/paint'
import type { Internals } from '../internals'
import { hasOwn, type DeviceEntry } from '../profile/model'

/**
 * Removes affinity `key` (`category:running`) from what attune knows, for the preference center.
 * The SDK has no public call for it, and each device writes only its own entry (DESIGN.md,
 * "Profile"), so: this device's score is deleted, and what the shopper's other devices
 * contributed (merged in by sync) is cancelled by a negative score in this device's entry, equal
 * to it now. Both decay alike, so the sum stays 0 and the view, decisions and sync leave the key
 * out. Viewing such products again teaches it anew. Returns false when there is nothing to change
 * (no `personalization` consent, or the profile is not loaded).
 */
export const removeAffinity = (attune: Attune, inner: Internals, key: string): boolean => {
  if (!attune.consent.get().personalization || !inner.profile.own()) return false
  const set = (fn: (affinities: DeviceEntry['affinities']) => void) => (entry: DeviceEntry) => {
    const affinities = { ...entry.affinities }
    fn(affinities)
    return { ...entry, v: entry.v + 1, affinities }
  }
  if (hasOwn(inner.profile.own()?.entry.affinities ?? {}, key)) inner.profile.change(set((a) => delete a[key]))
  // Read after the change above: the view folds changes not yet written, so this is the other devices' part.
  const t = inner.now()
  const view = attune.profile.get().affinities
  const rest = hasOwn(view, key) ? (view[key] as number) : 0
  // `t` now, not when the change runs: changes are applied again on every read until written.
  if (rest) inner.profile.change(set((a) => (a[key] = { s: -rest, t })))
  // Nor may the paint snippet paint a decision that rested on it (dom/paint.ts).
  forgetPaint(attune.site)
  return true
}
