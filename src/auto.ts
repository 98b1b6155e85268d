import type { ConsentState } from './consent'
import type { Attune } from './createAttune'
import { internals } from './internals'
import { campaignFrom } from './page/utm'
import { watchPage } from './page/watchPage'
import { createSessions } from './session'

/**
 * `attune/auto`: what attune learns from the browsing itself, with no code — visits
 * (`session_started` after 30 minutes without events, with the campaign that brought the
 * shopper, and a `session` id on every event), a `page_viewed` per page and per SPA navigation,
 * a `product_viewed` on pages with a schema.org Product in JSON-LD, and clicks on
 * `[data-attune-track]`. It goes through the instance's own `page` and `track`, so consent
 * applies as to any call. The script tag does this by itself. Returns `stop`.
 */
export const autoTrack = (attune: Attune): (() => void) => {
  const stops: Array<() => void> = []
  const inner = internals.get(attune)
  if (inner) {
    const sessions = createSessions(attune.site, inner.remember, inner.uuid)
    const forgetUnlessGranted = (state: ConsentState): void => {
      if (!state.personalization && !state.measurement && !state.sync) sessions.forget()
    }
    stops.push(
      inner.enrich((event) => {
        const session = sessions.touch(event.ts)
        event.session = session.id
        if (!session.fresh) return undefined
        const props = typeof location === 'undefined' ? {} : { ...campaignFrom(location.href, document.referrer) }
        return { id: inner.uuid(), name: 'session_started', props, ts: event.ts, session: session.id }
      }),
      // The session goes with the last purpose.
      attune.consent.on(forgetUnlessGranted),
    )
    // Gone before this ran (a withdrawal the page queued before the tag's page chunk came): forget it now.
    forgetUnlessGranted(attune.consent.get())
    inner.forgetSession = sessions.forget
    stops.push(() => {
      if (inner.forgetSession === sessions.forget) delete inner.forgetSession
    })
  }
  if (typeof window !== 'undefined') stops.push(watchPage(window, { page: () => attune.page(), track: attune.track }))
  return () => {
    for (const stop of stops.splice(0)) stop()
  }
}
