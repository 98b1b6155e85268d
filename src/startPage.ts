import { autoTrack } from './auto'
import { internals } from './internals'
import { createPersonalizer } from './personalize'
import type { PageChunk } from './script-tag'

/**
 * What the script tag's page chunk starts once consent allows: automatic tracking and decisions
 * with variant swaps over the whole document. Returns `stop`, which undoes both.
 */
export const startPage: PageChunk = (attune, endpoint) => {
  const stopTracking = autoTrack(attune)
  const inner = internals.get(attune)
  // The tag checked its endpoint already; the checks of personalize() would only add bytes.
  const personalizer = inner && createPersonalizer(attune, inner, { endpoint, revealTimeoutMs: 1000 })
  personalizer?.apply()
  return () => {
    stopTracking()
    personalizer?.stop()
  }
}
