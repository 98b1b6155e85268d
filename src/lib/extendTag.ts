import type { Attune } from '../createAttune'
import { internals, type Internals } from '../internals'
import type { PageChunk } from '../script-tag'

/**
 * What a file the script tag loads beside itself does (`attune-page.min.js`, the banner
 * adapters): it hands `start` to the tag through `attune('extend', …)`. The tag calls it with its
 * instance and that instance's internals, which this file's own copy of the internals map must
 * learn: each script-tag file is bundled on its own. Does nothing outside a browser.
 */
export const extendTag = (start: PageChunk): void => {
  if (typeof window === 'undefined') return
  const command = (window as { attune?: (...args: unknown[]) => unknown }).attune
  command?.('extend', (attune: Attune, endpoint: string | undefined, consentOptions: unknown, inner: Internals) => {
    internals.set(attune, inner)
    return start(attune, endpoint, consentOptions)
  })
}
