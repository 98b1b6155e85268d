import { autoTrack } from './auto'
import { REVEAL_MS } from './dom/markup'
import { keepPaint, readPaint } from './dom/paint'
import { internals } from './internals'
import { createPersonalizer } from './personalize'
import { profileLogic } from './profile/logic'
import type { Explanation } from './decide/model'
import type { PageChunk } from './script-tag'

/**
 * What the script tag's page chunk starts once consent allows: the profile's logic for the tag's
 * store, automatic tracking, and decisions with variant swaps over the whole document. Returns
 * `stop`, which undoes the last two (the store keeps its logic).
 */
export const startPage: PageChunk = (attune, endpoint) => {
  const inner = internals.get(attune)
  // The tag's profile store folds, reads and derives with what this chunk brings (profile/logic.ts).
  inner?.useLogic?.(profileLogic)
  const stopTracking = autoTrack(attune)
  // What the paint snippet paints before the next page's first frame (dom/paint.ts). Only what another page
  // would decide alike: not a QA override, and not a slot with an audience reading page, UTM,
  // device or time facts (one for /sale only would be painted on the home page, then undone).
  if (inner?.painted) {
    // Each decision once, when first shown: one made before the shopper changed their profile
    // (and so before it was forgotten) is not kept again by a slot shown later.
    const seen = new WeakSet<Explanation>()
    inner.keepPaint = (d, template) => {
      if (seen.has(d)) return
      seen.add(d)
      // Set by the personalizer that calls this.
      const { audiences = [], variants = {} } = (inner.inspect as NonNullable<typeof inner.inspect>)().config
      const mine = template && audiences.filter((a) => variants[d.slot]?.some((v) => v.audience == a.id))
      const kept = mine && d.reason.kind != 'forced' && !/"fact":"(?!profile\.)/.test(JSON.stringify(mine))
      // Read, never written: the template's own serialization, which the paint snippet compares.
      // eslint-disable-next-line no-restricted-properties
      keepPaint(attune.site, d.slot, kept ? [d.variant as string, (template as HTMLTemplateElement).outerHTML, d] : undefined)
    }
    inner.earlier = (slot, id) => {
      try {
        // Storage is not trusted: only an explanation of this very variant, with its sentence.
        const why = readPaint(attune.site)[slot]?.[2]
        return why?.slot === slot && why.variant === id && typeof why.text == 'string' ? why : undefined
      } catch {
        // Unreadable: the slot shows this page's decision.
        return undefined
      }
    }
  }
  // The tag checked its endpoint already; the checks of personalize() would only add bytes.
  const personalizer = inner && createPersonalizer(attune, inner, { endpoint, revealTimeoutMs: REVEAL_MS })
  personalizer?.apply()
  return () => {
    stopTracking()
    personalizer?.stop()
    if (inner) inner.keepPaint = inner.earlier = undefined
  }
}
