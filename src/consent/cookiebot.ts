import { PURPOSES, type ConsentAdapter, type Purpose } from '../consent'
import { internals } from '../internals'
import { applyBanner, purposeLists, type BannerConsent } from '../lib/applyBanner'

/** Cookiebot's optional cookie categories (`necessary` is always accepted, so it grants nothing). */
export type CookiebotCategory = 'preferences' | 'statistics' | 'marketing'

/** Options of the {@link cookiebot} adapter. */
export interface CookiebotOptions {
  /**
   * The Cookiebot categories each purpose needs; a purpose is granted while all of them are
   * accepted, and never when its list is empty. Purposes left out keep their default:
   * `personalization: ['preferences']`, `measurement: ['statistics']`, `sync: ['preferences']`.
   */
  categories?: Partial<Record<Purpose, readonly CookiebotCategory[]>>
}

const CATEGORIES: Record<Purpose, readonly CookiebotCategory[]> = {
  personalization: ['preferences'],
  measurement: ['statistics'],
  sync: ['preferences'],
}
const NAMES: readonly string[] = ['preferences', 'statistics', 'marketing']
/** Cookiebot fires these on `window`; `OnConsentReady` also when a choice made earlier is read on load. */
const EVENTS = ['CookiebotOnConsentReady', 'CookiebotOnAccept', 'CookiebotOnDecline'] as const
/** How long Cookiebot may take to appear before attune says so. */
const LOAD_MS = 10_000

/** Cookiebot fires this on `window` when its banner shows: with no response, it is asking again. */
const ASKING = 'CookiebotOnDialogDisplay'

type CookiebotWindow = { Cookiebot?: { consented?: unknown; declined?: unknown; hasResponse?: unknown; consent?: unknown } | null }

/**
 * Follows Cookiebot's categories: reads `Cookiebot.consent` at start when the shopper has already
 * answered (`consented` or `declined`), and on `CookiebotOnConsentReady`, `CookiebotOnAccept` and
 * `CookiebotOnDecline`, so Cookiebot may load before or after attune. A purpose whose categories
 * are no longer accepted is denied; when nothing is left granted after something was, consent is
 * withdrawn (local data wiped, the server asked to erase). When the banner shows with no response
 * (`CookiebotOnDialogDisplay`: the choice expired or was cleared), nothing is granted until the
 * shopper answers, so a remembered grant goes too. A signal that cannot be read is reported
 * through `on('error')` and changes nothing.
 * @see https://www.cookiebot.com/en/developer/
 */
export const cookiebot: ConsentAdapter<CookiebotOptions> = (attune, options) => {
  if (typeof window === 'undefined') return () => {}
  const categories = purposeLists('cookiebot', 'categories', CATEGORIES, options?.categories, (c) => NAMES.includes(c as string), `list Cookiebot categories among ${NAMES.join(', ')}`)
  const win = window as Window & CookiebotWindow
  // `get` is optional in the adapter contract; an attune instance always has it.
  const consent: BannerConsent = attune.consent
  const report = (code: 'bad_call' | 'callback', message: string, cause?: unknown): void =>
    internals.get(attune)?.report(code, message, cause)
  let had = false
  let stopped = false

  const follow = (): void => {
    if (stopped) return
    try {
      const given = win.Cookiebot?.consent as Partial<Record<CookiebotCategory, unknown>> | undefined
      const used = PURPOSES.flatMap((p) => categories[p])
      if (typeof given !== 'object' || !given || used.some((c) => typeof given[c] !== 'boolean')) {
        report('bad_call', "Cookiebot.consent is unreadable; attune's consent is unchanged.")
        return
      }
      const yes = PURPOSES.filter((p) => categories[p].length > 0 && categories[p].every((c) => given[c] === true))
      had = applyBanner(consent, yes, had)
    } catch (error) {
      report('callback', 'Reading Cookiebot failed; attune went on.', error)
    }
  }

  // Not when the shopper reopens the banner over a choice they made: that has a response.
  const asking = (): void => {
    try {
      if (!stopped && win.Cookiebot?.hasResponse === false) had = applyBanner(consent, [], had)
    } catch (error) {
      report('callback', 'Reading Cookiebot failed; attune went on.', error)
    }
  }

  for (const type of EVENTS) win.addEventListener(type, follow)
  win.addEventListener(ASKING, asking)
  const timer = setTimeout(() => {
    if (!win.Cookiebot) report('bad_call', `Cookiebot did not load within ${LOAD_MS / 1000} s; attune's consent is unchanged.`)
  }, LOAD_MS)
  try {
    // Before the shopper answers, `consent` holds Cookiebot's defaults, not a choice.
    const cb = win.Cookiebot
    if (cb && (cb.consented === true || cb.declined === true)) follow()
  } catch (error) {
    report('callback', 'Reading Cookiebot failed; attune went on.', error)
  }

  return () => {
    stopped = true
    clearTimeout(timer)
    for (const type of EVENTS) win.removeEventListener(type, follow)
    win.removeEventListener(ASKING, asking)
  }
}
