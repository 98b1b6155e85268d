import { localStore } from './lib/localStore'

/** A session ends after this long without an event (the common analytics convention). */
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000

// Writing on every event would cost a synchronous storage write per track(); the last-seen time
// only needs to be as precise as the timeout is coarse.
const SAVE_EVERY_MS = 5_000

interface SessionRecord {
  id: string
  last: number
}

/** Sessions: which visit an event belongs to, shared by the tabs of a site. */
export interface Sessions {
  /** The session of an event at `ts`; `fresh` when this event starts it. */
  touch(ts: number): { id: string; fresh: boolean }
  /** Forget the current session, here and in storage. */
  forget(): void
}

/**
 * Creates the session tracker. A session lives in `localStorage["attune:session:<site>"]` so the
 * tabs of one visit share it; it is only ever touched for events that consent already allowed.
 * Storage failures are survived: the session then lives in memory.
 */
export const createSessions = (site: string, remember: boolean, uuid: () => string): Sessions => {
  const key = `attune:session:${site}`
  let session: SessionRecord | undefined
  let saved = -Infinity
  const storage = (): Storage | undefined => (remember ? localStore() : undefined)
  const read = (): SessionRecord | undefined => {
    try {
      const record = JSON.parse(storage()?.getItem(key) ?? 'null') as SessionRecord | null
      return typeof record?.id === 'string' && typeof record.last === 'number' ? record : undefined
    } catch {
      return undefined
    }
  }
  const alive = (record: SessionRecord | undefined, ts: number): record is SessionRecord =>
    !!record && ts - record.last <= SESSION_TIMEOUT_MS
  return {
    touch(ts) {
      let fresh = false
      // Another tab may have kept the visit alive while this one was idle.
      if (!alive(session, ts)) session = read()
      if (!alive(session, ts)) {
        session = { id: uuid(), last: ts }
        fresh = true
      } else if (ts > session.last) session.last = ts
      if (fresh || ts - saved >= SAVE_EVERY_MS) {
        saved = ts
        try {
          storage()?.setItem(key, JSON.stringify(session))
        } catch {
          // Quota or blocked storage: the session still works for this page.
        }
      }
      return { id: session.id, fresh }
    },
    forget() {
      session = undefined
      saved = -Infinity
      try {
        storage()?.removeItem(key)
      } catch {
        // Nothing was stored.
      }
    },
  }
}
