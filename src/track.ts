import type { Report } from './lib/errors'
import { toJson } from './lib/toJson'

/** JSON-compatible event properties. */
export type EventProps = { [key: string]: unknown }

/** One tracked event, as stored and sent. Field names are wire names: never minified. */
export interface TrackedEvent {
  /** UUIDv7 given at `track()` time: the idempotency key all the way to the server. */
  id: string
  /** Event name, e.g. `product_viewed`. */
  name: string
  /** Properties, a deep copy taken at `track()` time. */
  props: EventProps
  /** Epoch milliseconds at `track()` time. */
  ts: number
  /** The visit it belongs to (30 minutes of inactivity end one), set once consent allows it. */
  session?: string
}

/** Longest event name accepted. */
export const MAX_NAME = 200
/** Largest serialised props accepted, in UTF-8 bytes. */
export const MAX_PROPS_BYTES = 32 * 1024

/**
 * Validates and deep-copies the props of one event. Returns the copy, or a reason why the event
 * must be dropped whole: an event is never stored half-way.
 */
export const cleanProps = (props: unknown): EventProps | string => {
  if (props === undefined) return {}
  if (typeof props !== 'object' || props === null || Array.isArray(props)) return 'props must be a plain object'
  const copy = toJson(props)
  if (typeof copy === 'string') return copy.replace('it is', 'props are')
  const bytes = new TextEncoder().encode(copy.text).length
  if (bytes > MAX_PROPS_BYTES) return `props are ${bytes} bytes, over the ${MAX_PROPS_BYTES}-byte limit`
  return copy.json as EventProps
}

/** Returns why `name` cannot name an event, or undefined when it can. */
export const checkName = (name: unknown): string | undefined =>
  typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME
    ? `the event name must be a string of 1–${MAX_NAME} characters; got ${typeof name === 'string' ? `${name.length} characters` : typeof name}`
    : undefined

/** Most events kept in memory while the shopper has not decided yet; the oldest go first. */
export const MAX_PENDING = 100

/** What {@link createTracker} needs from the instance. */
export interface TrackerDeps {
  /** May events be used right now (some event purpose granted)? */
  accepting(): boolean
  /** Is a consent decision still to come (so events should wait rather than be dropped)? */
  waiting(): boolean
  now(): number
  uuid(): string
  report: Report
  /** Hand an accepted event to whatever consumes events. */
  deliver(event: TrackedEvent): void
}

/** The tracker: validates, stamps, and holds events in memory until consent is decided. */
export interface Tracker {
  track(name: unknown, props?: unknown): void
  /** After a consent decision: replay waiting events if allowed now, otherwise forget them. */
  settle(): void
}

/**
 * Creates the tracker. Before consent is decided, events wait in memory only (never storage),
 * at most {@link MAX_PENDING}; a grant replays them with their original ids and times, a deny
 * forgets them, and leaving the page forgets them by itself.
 */
export const createTracker = (deps: TrackerDeps): Tracker => {
  let pending: TrackedEvent[] = []
  let dropped = 0
  const drop = (what: string, why: string): void =>
    deps.report('bad_event', `Dropped ${what} (${++dropped} dropped on this page): ${why}.`)
  return {
    track(name, props) {
      const badName = checkName(name)
      if (badName) return drop('an event', badName)
      const clean = cleanProps(props)
      if (typeof clean === 'string') return drop(`"${name as string}"`, clean)
      const event: TrackedEvent = { id: deps.uuid(), name: name as string, props: clean, ts: deps.now() }
      if (deps.accepting()) deps.deliver(event)
      else if (deps.waiting() && pending.push(event) > MAX_PENDING) pending.shift()
    },
    settle() {
      const replay = deps.accepting() ? pending : []
      pending = []
      for (const event of replay) deps.deliver(event)
    },
  }
}
