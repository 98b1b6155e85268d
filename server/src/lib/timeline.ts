import type { StoredEvent } from '../db/events'

/** The event names a call-center timeline shows, and what each becomes. */
export const TIMELINE_EVENTS = {
  product_viewed: 'viewed',
  product_added: 'carted',
  session_started: 'session',
  exposure: 'exposure',
  order_completed: 'order',
} as const

/** A product as the timeline shows it: what `attune/auto` reads from the page, when present. */
export interface TimelineProduct {
  id: string
  name?: string
  category?: string
  brand?: string
  price?: number
  currency?: string
}

interface Base {
  /** When it happened (the event's `ts`), epoch ms. */
  at: number
  /** Which of the user's visitors (devices, browsers) did it. */
  visitor: string
  session: string | null
}

/** One line of a shopper's recent activity, newest first in {@link timelineOf}. */
export type TimelineItem = Base &
  (
    | { kind: 'viewed' | 'carted'; product: TimelineProduct | null }
    | { kind: 'session'; campaign: Record<string, string> }
    | { kind: 'exposure'; slot: string | null; variant: string | null; experiment: string | null; reason: Record<string, string | number | boolean> | null }
    | { kind: 'order'; orderId: string | null; value: number | null; currency: string | null; products: TimelineProduct[] }
  )

type Props = Record<string, unknown>

// Props are whatever the page sent (validated as JSON only): every field is checked and cut here,
// so the console shows text, never markup or objects it did not expect.
const str = (x: unknown): string | undefined => (typeof x === 'string' && x.trim() ? x.trim().slice(0, 200) : typeof x === 'number' && Number.isFinite(x) ? String(x) : undefined)
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined)
const obj = (x: unknown): Props => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Props) : {})

const productOf = (p: Props): TimelineProduct | null => {
  const id = str(p.product_id ?? p.sku ?? p.id)
  if (!id) return null
  const product: TimelineProduct = { id }
  const fields = { name: str(p.name), category: str(p.category), brand: str(p.brand), price: num(p.price), currency: str(p.currency) }
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) Object.assign(product, { [key]: value })
  return product
}

/** Primitive fields only, at most 20: an exposure's `reason` (`{ kind, audience }`, `{ kind, tag, score }`…). */
const flat = (x: unknown): Record<string, string | number | boolean> | null => {
  const o = obj(x)
  const out: Record<string, string | number | boolean> = {}
  for (const [key, value] of Object.entries(o).slice(0, 20)) {
    if (typeof value === 'boolean' || num(value) !== undefined) out[key] = value as number | boolean
    else if (str(value) !== undefined) out[key] = str(value) as string
  }
  return Object.keys(out).length ? out : null
}

/** The timeline line of one stored event, or undefined for an event the timeline does not show. */
export const timelineItem = (event: StoredEvent): TimelineItem | undefined => {
  const kind = Object.hasOwn(TIMELINE_EVENTS, event.name) ? TIMELINE_EVENTS[event.name as keyof typeof TIMELINE_EVENTS] : undefined
  if (!kind) return undefined
  const base: Base = { at: event.ts, visitor: event.visitor, session: event.session ?? null }
  const p = obj(event.props)
  switch (kind) {
    case 'viewed':
    case 'carted':
      return { ...base, kind, product: productOf(p) }
    case 'session': {
      const campaign: Record<string, string> = {}
      for (const [key, value] of Object.entries(p).slice(0, 20)) if (typeof value === 'string' && str(value)) campaign[key] = str(value) as string
      return { ...base, kind, campaign }
    }
    case 'exposure':
      return { ...base, kind, slot: str(p.slot) ?? null, variant: str(p.variant) ?? null, experiment: str(p.experiment) ?? null, reason: flat(p.reason) }
    case 'order': {
      const products = (Array.isArray(p.products) ? p.products.slice(0, 50) : []).map((x) => productOf(obj(x))).filter((x): x is TimelineProduct => x !== null)
      return { ...base, kind, orderId: str(p.order_id) ?? null, value: num(p.value) ?? null, currency: str(p.currency) ?? null, products }
    }
  }
}

/** The timeline of these events (newest first, as given), leaving out those it does not show. */
export const timelineOf = (events: readonly StoredEvent[]): TimelineItem[] =>
  events.map(timelineItem).filter((x): x is TimelineItem => x !== undefined)
