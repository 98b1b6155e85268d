import type { Attune } from './createAttune'
import { watchPage } from './page/watchPage'

/**
 * `attune/auto`: tracks what every shop needs without code — a `page_viewed` per page and per
 * SPA navigation, a `product_viewed` on pages with a schema.org Product in JSON-LD, and clicks
 * on `[data-attune-track]` — through the instance's own `page` and `track`, so consent applies
 * as to any call. The script tag does this by itself. Returns `stop`.
 */
export const autoTrack = (attune: Pick<Attune, 'page' | 'track'>): (() => void) =>
  typeof window === 'undefined' ? () => {} : watchPage(window, { page: () => attune.page(), track: attune.track })
