/**
 * The plain-language wording of the preference center and the questions: pure functions from
 * the profile view (`profile.get()`) to short English phrases, kept apart from the DOM.
 */
import type { JsonValue } from '../profile/model'

const plural = (n: number, one: string, many: string): string => `${n} ${n == 1 ? one : many}`

/** `a`, `a and b`, `a, b and c`. */
const list = (items: string[]): string => (items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`)

/** A key as words: `shoe_size` → `shoe size`, `newsletter-signup` → `newsletter signup`. */
export const words = (key: string): string => key.replace(/[-_]+/g, ' ').trim() || key

/** A sentence ends with a full stop: `explain()`'s sentences come without one. */
export const sentence = (text: string): string => (/[.!?…]$/.test(text) ? text : `${text}.`)

/** A stored value as the shopper reads it; `null` is a question they chose not to answer. */
export const valueText = (value: JsonValue): string =>
  value === null
    ? 'you preferred not to say'
    : Array.isArray(value) && value.every((v) => typeof v != 'object' || v === null)
      ? value.map(String).join(', ')
      : typeof value == 'object'
        ? JSON.stringify(value)
        : String(value)

/** `category:running` → `{ name: 'running', kind: 'category' }`; a key without `:` has no kind. */
export const affinityParts = (key: string): { name: string; kind: string } => {
  const at = key.indexOf(':')
  return at < 0 ? { name: key, kind: '' } : { name: key.slice(at + 1), kind: words(key.slice(0, at)) }
}

/**
 * How an affinity was learned, from what the counters say the shopper did. With views alone
 * (default weight 1 per view), the decayed score is about the number of recent views.
 */
export const learnedFrom = (score: number, counters: Record<string, number>): string => {
  const did = [
    (counters.product_views ?? 0) > 0 && 'viewed',
    (counters.carts ?? 0) > 0 && 'added to your cart',
    (counters.orders ?? 0) > 0 && 'bought',
  ].filter((x): x is string => !!x)
  if (did.length < 2) return `from about ${plural(Math.max(1, Math.round(score)), 'product', 'products')} you ${did[0] ?? 'viewed'} recently`
  return `from products you ${list(did)} recently`
}

const COUNTERS: Record<string, [string, string]> = {
  visits: ['visit', 'visits'],
  page_views: ['page viewed', 'pages viewed'],
  product_views: ['product viewed', 'products viewed'],
  carts: ['product added to your cart', 'products added to your cart'],
  orders: ['order', 'orders'],
}

/** One counter as a phrase: `3 visits`, `“newsletter signup”: 2 times`. */
export const counterText = (key: string, n: number): string => {
  const known = COUNTERS[key]
  if (known && Object.prototype.hasOwnProperty.call(COUNTERS, key)) return plural(n, known[0], known[1])
  return `“${words(key.replace(/^event:/, ''))}”: ${plural(n, 'time', 'times')}`
}

/** How long ago `t` was, at `now` (both epoch ms): `just now`, `5 minutes ago`, `3 days ago`. */
export const ago = (t: number, now: number): string => {
  const s = Math.max(0, (now - t) / 1000)
  if (s < 60) return 'just now'
  for (const [size, unit] of [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
  ] as const) {
    if (s >= size) return `${plural(Math.floor(s / size), unit, unit + 's')} ago`
  }
  return 'just now'
}
