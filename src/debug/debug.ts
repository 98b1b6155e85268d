import type { Attune } from '../createAttune'
import { internals } from '../internals'
import { checkEndpoint, checkFunction } from '../options'
import { mountOverlay } from './mountOverlay'
import { verifyPreview } from './verifyPreview'

/** Options of {@link debug}. */
export interface DebugOptions {
  /**
   * The preview token staff got from the admin API (`POST /v1/admin/sites/:site/preview-tokens`),
   * e.g. from the page's `#attune-preview=` fragment ({@link previewTokenIn}). The server checks
   * it; nothing is shown unless it says the token is valid for this site now.
   */
  token: string
  /**
   * The attune server that checks the token. Default: the one `attune/personalize` loads the
   * site config from. Set it in code; never take it from the URL.
   */
  endpoint?: string
  /** Replaces global `fetch` for the token check. */
  fetch?: typeof fetch
}

/**
 * `attune/debug`: the QA overlay for site staff. Asks the attune server whether `token` is a
 * valid preview token of the instance's site, and only when it answers 200 outlines every slot
 * of the page (and slots added later) with a panel of its candidate variants, the chosen one,
 * the reason in words and the facts the decision read. A refused, expired or unverifiable token
 * shows nothing, stores nothing and throws nothing: it is reported through `on('error')` with
 * code `debug`. Throws a `TypeError` for bad options; does nothing outside a browser. Returns
 * `stop`, which cancels a check still under way or removes the overlay and all it added.
 */
export const debug = (attune: Attune, options: DebugOptions): (() => void) => {
  const inner = internals.get(attune)
  if (!inner) throw new TypeError('attune: debug(attune, options) needs an instance from createAttune.')
  const { token } = options ?? {}
  if (typeof token != 'string') throw new TypeError(`attune: debug(attune, { token }) needs the preview token as a string; got ${typeof token}.`)
  const given = checkEndpoint(options.endpoint)
  const send = checkFunction<typeof fetch>('fetch', options.fetch)
  let stopped = false
  let unmount: (() => void) | undefined
  const stop = (): void => {
    stopped = true
    unmount?.()
    unmount = undefined
  }
  if (typeof document == 'undefined') return stop
  const endpoint = given ?? inner.inspect?.().endpoint
  const refused = (why: string): void => inner.report('debug', `The QA overlay stays off: ${why}.`)
  if (!endpoint) {
    refused('no attune server to check the preview token with (pass endpoint, or set data-attune-endpoint on the tag)')
    return stop
  }
  verifyPreview(endpoint, attune.site, token, send ?? fetch).then((preview) => {
    if (stopped) return
    if (typeof preview == 'string') return refused(`the server refused the preview token (${preview})`)
    try {
      unmount = mountOverlay(attune, inner, preview, stop)
    } catch (error) {
      inner.report('debug', 'The QA overlay could not be shown; the page went on.', error)
    }
  })
  return stop
}

/**
 * The preview token in a URL fragment (`location.hash`) of the form `#attune-preview=<token>`
 * (also after other `&`-joined fragment parameters), or undefined — also when what is there
 * cannot be a token (tokens are letters, digits, `_`, `-` and `.`), so a URL, a path or markup
 * is never even sent to the server. A fragment never reaches servers or referrers, which is why
 * the token travels there rather than in the query.
 */
export const previewTokenIn = (hash: string): string | undefined => {
  const match = /[#&]attune-preview=([^&]+)/.exec(hash)
  let token: string | undefined
  try {
    token = match ? decodeURIComponent(match[1] as string) : undefined
  } catch {
    // Not percent-encoding: not a token either.
  }
  return token && /^[\w.-]{1,2048}$/.test(token) ? token : undefined
}
