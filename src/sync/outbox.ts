import { isRecord } from '../profile/readStored'
import type { TrackedEvent } from '../track'

/** Events waiting for the server, and what had to be dropped on the way (by reason). Persisted: never minified. */
export interface Outbox {
  events: TrackedEvent[]
  dropped: Record<string, number>
}

/** Most events kept waiting; past it the oldest go, counted as `overflow`. */
export const MAX_OUTBOX_EVENTS = 1000
/** Most bytes (of JSON) kept waiting; past it the oldest go, counted as `overflow`. */
export const MAX_OUTBOX_BYTES = 2 * 1024 * 1024
/** Oldest event kept waiting: the server refuses older ones. Counted as `expired`. */
export const MAX_OUTBOX_AGE_MS = 7 * 864e5
/**
 * Largest batch of events, in UTF-8 bytes of JSON: a whole request body must stay under the
 * 64 KiB that `fetch(…, { keepalive })` may carry (Chromium refuses 65,536 bytes), and the
 * envelope (site, visitor, token, drop counts) needs room too.
 */
export const MAX_BATCH_BYTES = 60 * 1024
/** Most events in one batch. */
export const MAX_BATCH_EVENTS = 500

/** An empty outbox. */
export const emptyOutbox = (): Outbox => ({ events: [], dropped: {} })

/**
 * Whether `x`, read back from storage, is an outbox the functions here and a send can take:
 * events with an id, a name, props and a time, counts for drops, and JSON throughout (IndexedDB
 * also holds BigInts and cycles, on which every send would throw). Pure.
 */
export const isOutbox = (x: unknown): x is Outbox => {
  try {
    JSON.stringify(x)
  } catch {
    return false
  }
  return (
    isRecord(x) &&
    Array.isArray(x.events) &&
    x.events.every((e) => isRecord(e) && typeof e.id == 'string' && typeof e.name == 'string' && isRecord(e.props) && typeof e.ts == 'number') &&
    isRecord(x.dropped) &&
    Object.values(x.dropped).every(Number.isSafeInteger)
  )
}

const count = (dropped: Record<string, number>, reason: string, n: number): void => {
  if (n > 0) dropped[reason] = (dropped[reason] ?? 0) + n
}

/**
 * `outbox` with `events` added (an id already waiting is not added twice), then held to its
 * caps: too old first, then the oldest over the count or the byte budget. Pure.
 */
export const addToOutbox = (outbox: Outbox, events: readonly TrackedEvent[], now: number): Outbox => {
  const dropped = { ...outbox.dropped }
  const waiting = new Set(outbox.events.map((e) => e.id))
  const all = outbox.events.concat(events.filter((e) => !waiting.has(e.id)))
  const fresh = all.filter((e) => now - e.ts <= MAX_OUTBOX_AGE_MS)
  count(dropped, 'expired', all.length - fresh.length)
  // Newest first, keep what fits.
  let bytes = 0
  let keep = 0
  for (let i = fresh.length - 1; i >= 0 && keep < MAX_OUTBOX_EVENTS; i--, keep++) {
    bytes += JSON.stringify(fresh[i]).length
    if (bytes > MAX_OUTBOX_BYTES) break
  }
  count(dropped, 'overflow', fresh.length - keep)
  return { events: fresh.slice(fresh.length - keep), dropped }
}

/** The oldest events that fit in one batch (at least one, so no event can block the queue). */
export const nextBatch = (events: readonly TrackedEvent[]): TrackedEvent[] => {
  const encoder = new TextEncoder()
  let bytes = 0
  let n = 0
  while (n < events.length && n < MAX_BATCH_EVENTS) {
    bytes += encoder.encode(JSON.stringify(events[n])).length + 1
    if (n > 0 && bytes > MAX_BATCH_BYTES) break
    n++
  }
  return events.slice(0, n)
}

/**
 * `outbox` after the server acknowledged `ids` and the drop counts `reported` with them;
 * `failed` counts a batch the server refused for good, by reason. Pure.
 */
export const settleOutbox = (outbox: Outbox, ids: readonly string[], reported: Record<string, number>, failed?: string): Outbox => {
  const gone = new Set(ids)
  const dropped: Record<string, number> = {}
  for (const [reason, n] of Object.entries(outbox.dropped)) count(dropped, reason, n - (reported[reason] ?? 0))
  if (failed) count(dropped, failed, outbox.events.filter((e) => gone.has(e.id)).length)
  return { events: outbox.events.filter((e) => !gone.has(e.id)), dropped }
}
