import { PURPOSES, type ConsentAdapter, type Purpose } from '../consent'
import { internals } from '../internals'
import { applyBanner, isString, purposeLists, type BannerConsent } from '../lib/applyBanner'

/** Options of the {@link onetrust} adapter. */
export interface OneTrustOptions {
  /**
   * The OneTrust category (group) ids each purpose needs; a purpose is granted while all of its
   * groups are active, and never when its list is empty. Purposes left out keep their default:
   * `personalization: ['C0003']` (Functional), `measurement: ['C0002']` (Performance),
   * `sync: ['C0003']` (Functional). Use your own ids when your categories differ.
   */
  groups?: Partial<Record<Purpose, readonly string[]>>
}

/** OneTrust's standard category ids: C0001 Strictly Necessary, C0002 Performance, C0003 Functional, C0004 Targeting. */
const GROUPS: Record<Purpose, readonly string[]> = { personalization: ['C0003'], measurement: ['C0002'], sync: ['C0003'] }

/** How long OneTrust may take to appear before attune says so. */
const LOAD_MS = 10_000

type OneTrustWindow = { OnetrustActiveGroups?: unknown; OptanonActiveGroups?: unknown }

/**
 * Follows OneTrust's cookie categories: reads the active groups (`OnetrustActiveGroups`, or the
 * older `OptanonActiveGroups`) at start and on every `OneTrustGroupsUpdated` event, which OneTrust
 * fires when it loads and whenever the shopper saves a choice, so OneTrust may load before or
 * after attune. A purpose whose groups turn inactive is denied; when nothing is left granted after
 * something was, consent is withdrawn (local data wiped, the server asked to erase). A signal that
 * cannot be read is reported through `on('error')` and changes nothing.
 * @see https://developer.onetrust.com/onetrust/docs/javascript-events-guide
 */
export const onetrust: ConsentAdapter<OneTrustOptions> = (attune, options) => {
  if (typeof window === 'undefined') return () => {}
  const groups = purposeLists('onetrust', 'groups', GROUPS, options?.groups, isString, "be an array of OneTrust group ids, such as ['C0003']")
  const win = window as Window & OneTrustWindow
  // `get` is optional in the adapter contract; an attune instance always has it.
  const consent: BannerConsent = attune.consent
  const report = (code: 'bad_call' | 'callback', message: string, cause?: unknown): void =>
    internals.get(attune)?.report(code, message, cause)
  let had = false
  let stopped = false

  /** Reads the active groups from `source`; `undefined` means OneTrust has not loaded yet. */
  const follow = (source: () => unknown): void => {
    if (stopped) return
    try {
      const active = source()
      if (active === undefined) return
      const list =
        typeof active === 'string'
          ? active.split(',')
          : Array.isArray(active) && active.every((g) => typeof g === 'string')
            ? (active as string[])
            : undefined
      if (!list) {
        report('bad_call', `OneTrust's active groups are unreadable (${typeof active}); attune's consent is unchanged.`)
        return
      }
      const yes = PURPOSES.filter((p) => groups[p].length > 0 && groups[p].every((g) => list.includes(g)))
      had = applyBanner(consent, yes, had)
    } catch (error) {
      report('callback', 'Reading OneTrust failed; attune went on.', error)
    }
  }

  // OneTrust always sends the array: a missing one is garbage, not "not loaded".
  const onUpdate = (event: Event): void => follow(() => (event as CustomEvent<unknown>).detail ?? null)
  win.addEventListener('OneTrustGroupsUpdated', onUpdate)
  const timer = setTimeout(() => {
    if (win.OnetrustActiveGroups === undefined && win.OptanonActiveGroups === undefined) {
      report('bad_call', `OneTrust did not load within ${LOAD_MS / 1000} s; attune's consent is unchanged.`)
    }
  }, LOAD_MS)
  follow(() => win.OnetrustActiveGroups ?? win.OptanonActiveGroups)

  return () => {
    stopped = true
    clearTimeout(timer)
    win.removeEventListener('OneTrustGroupsUpdated', onUpdate)
  }
}
