import { PURPOSES, type ConsentAdapter, type Purpose } from '../consent'
import { internals } from '../internals'
import { applyBanner, isString, purposeLists, type BannerConsent } from '../lib/applyBanner'

/** Options of the {@link cookieconsent} adapter. */
export interface CookieConsentOptions {
  /**
   * The category names (as in your `CookieConsent.run({ categories })`) each purpose needs; a
   * purpose is granted while all of them are accepted, and never when its list is empty. Purposes
   * left out keep their default: `personalization: ['personalization']`,
   * `measurement: ['analytics']`, `sync: ['personalization']`.
   */
  categories?: Partial<Record<Purpose, readonly string[]>>
  /**
   * The banner's API where it is not `window.CookieConsent` (which only its UMD build sets): in
   * an app, the module, `import * as CookieConsent from 'vanilla-cookieconsent'`.
   */
  api?: CookieConsentApi
}

/** What the adapter reads of vanilla-cookieconsent. */
export interface CookieConsentApi {
  acceptedCategory?: unknown
  validConsent?: unknown
}

const CATEGORIES: Record<Purpose, readonly string[]> = {
  personalization: ['personalization'],
  measurement: ['analytics'],
  sync: ['personalization'],
}
/** vanilla-cookieconsent v3 dispatches these on `window`; `cc:onConsent` also on every load with a valid choice. */
const EVENTS = ['cc:onFirstConsent', 'cc:onConsent', 'cc:onChange'] as const
/** vanilla-cookieconsent v3 dispatches this on `window` as a modal shows, `{ modalName }` in its detail. */
const ASKING = 'cc:onModalShow'
/** How long CookieConsent may take to appear before attune says so. */
const LOAD_MS = 10_000

type CookieConsentWindow = { CookieConsent?: CookieConsentApi | null }

/**
 * Follows vanilla-cookieconsent v3 (the `window.CookieConsent` of its UMD build): reads
 * `CookieConsent.acceptedCategory(name)` at start when `validConsent()` says the shopper has
 * answered, and on `cc:onFirstConsent`, `cc:onConsent` and `cc:onChange`, so it may load before or
 * after attune. A purpose whose categories are no longer accepted is denied; when nothing is left
 * granted after something was, consent is withdrawn (local data wiped, the server asked to
 * erase). When its consent modal shows while `validConsent()` is false (the choice expired, was
 * cleared, or the site's revision changed), nothing is granted until the shopper answers, so a
 * remembered grant goes too. A signal that cannot be read is reported through `on('error')` and
 * changes nothing.
 * @see https://cookieconsent.orestbida.com/reference/api-reference.html
 */
export const cookieconsent: ConsentAdapter<CookieConsentOptions> = (attune, options) => {
  if (typeof window === 'undefined') return () => {}
  const categories = purposeLists('cookieconsent', 'categories', CATEGORIES, options?.categories, isString, "be an array of category names, such as ['analytics']")
  const win = window as Window & CookieConsentWindow
  const api = options?.api
  // null is as good as not given: window.CookieConsent is read.
  if (api !== undefined && typeof api != 'object') throw new TypeError('cookieconsent: api must be the CookieConsent module')
  const source = (): CookieConsentApi | null | undefined => api ?? win.CookieConsent
  // `get` is optional in the adapter contract; an attune instance always has it.
  const consent: BannerConsent = attune.consent
  const report = (code: 'bad_call' | 'callback', message: string, cause?: unknown): void =>
    internals.get(attune)?.report(code, message, cause)
  let had = false
  let stopped = false

  /** `fn` as a listener that does nothing once stopped and never throws into the page. */
  const safely =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      if (stopped) return
      try {
        fn(...args)
      } catch (error) {
        report('callback', 'Reading CookieConsent failed; attune went on.', error)
      }
    }

  const follow = safely(() => {
    const cc = source()
    const accepted = cc?.acceptedCategory
    const names = [...new Set(PURPOSES.flatMap((p) => categories[p]))]
    // Called as a method of CookieConsent, the way its documentation shows.
    const answers = typeof accepted === 'function' ? names.map((c): unknown => accepted.call(cc, c)) : [0]
    if (answers.some((a) => typeof a !== 'boolean')) {
      report('bad_call', "CookieConsent.acceptedCategory() is unreadable; attune's consent is unchanged.")
      return
    }
    const yes = PURPOSES.filter((p) => categories[p].length > 0 && categories[p].every((c) => answers[names.indexOf(c)] === true))
    had = applyBanner(consent, yes, had)
  })

  /** `validConsent()`, called as a method of CookieConsent; undefined when there is none. */
  const valid = (): unknown => {
    const cc = source()
    return typeof cc?.validConsent === 'function' ? cc.validConsent() : undefined
  }
  // The banner asking again. Only its modal says so: before `run()`, validConsent() is false too.
  const asking = safely((event: Event) => {
    if ((event as CustomEvent<{ modalName?: unknown } | null>).detail?.modalName === 'consentModal' && valid() === false) had = applyBanner(consent, [], had)
  })

  for (const type of EVENTS) win.addEventListener(type, follow)
  win.addEventListener(ASKING, asking)
  const timer = setTimeout(() => {
    if (!source()) {
      report('bad_call', `CookieConsent did not load within ${LOAD_MS / 1000} s; attune's consent is unchanged.`)
    }
  }, LOAD_MS)
  safely(() => {
    // Before the shopper answers, acceptedCategory() reflects no choice.
    const now = valid()
    if (now === true) follow()
    // The banner is asking: nothing is granted until the shopper answers, so say so now — slots
    // then show their default content at once instead of waiting for a grant that may not come.
    // Only when attune holds nothing: before `run()` validConsent() is false too, so a remembered
    // grant waits for the modal to show (`asking`) or for the answer.
    else if (now === false && !PURPOSES.some((p) => consent.get?.()[p])) consent.deny()
  })()

  return () => {
    stopped = true
    clearTimeout(timer)
    for (const type of EVENTS) win.removeEventListener(type, follow)
    win.removeEventListener(ASKING, asking)
  }
}
