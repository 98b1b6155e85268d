import type { Context } from 'hono'
import type { AppEnv } from '../types'

/** Headers a browser script may read from our answers (backoff and caching need them). */
const EXPOSE = 'Retry-After, ETag'

/**
 * Lets the request's origin read the answer: `Access-Control-Allow-Origin` set to that origin
 * (never `*`, never `Allow-Credentials`: we use no cookies, and tokens travel in the open).
 */
export const allowOrigin = (c: Context<AppEnv>, origin: string): void => {
  c.header('Access-Control-Allow-Origin', origin)
  c.header('Access-Control-Expose-Headers', EXPOSE)
}

/**
 * {@link allowOrigin} on an answer already made (a middleware after `next()`): its headers are
 * set in place, because `c.header()` would now rebuild the whole Response for each header.
 */
export const allowOriginOn = (headers: Headers, origin: string): void => {
  headers.set('Access-Control-Allow-Origin', origin)
  headers.set('Access-Control-Expose-Headers', EXPOSE)
}

/**
 * The Origin check of every site-scoped browser endpoint. No Origin (servers, curl): allowed,
 * tokens still apply. An Origin on the site's list: allowed and echoed. Any other: refused.
 * `Vary: Origin` always, so caches keep answers per origin.
 */
export const originAllowed = (c: Context<AppEnv>, origins: readonly string[]): boolean => {
  c.header('Vary', 'Origin')
  const origin = c.req.header('origin')
  if (origin === undefined) return true
  if (!origins.includes(origin)) {
    c.set('corsDenied', true)
    return false
  }
  allowOrigin(c, origin)
  return true
}
