import type { Attune } from '../createAttune'
import { internals } from '../internals'
import { loadBeside } from '../lib/loadBeside'
import { localStore } from '../lib/localStore'
import type { TrackedEvent } from '../track'
import { erasureOwed, type connect, type SyncHandle } from './connect'
import { MAX_OUTBOX_EVENTS } from './outbox'

/** The script tag's side of `attune-sync.min.js`. */
export interface SyncChunk {
  /** Called by the chunk, through `attune('connect', connect)`, once it has loaded. */
  accept(fn: typeof connect): void
  /** Runs `fn` with the connection, now or once the chunk has loaded (`identify`, `reset`). */
  use(fn: (handle: SyncHandle) => unknown): void
  stop(): void
}

/** The file the script tag loads for server sync, beside the tag itself. */
export const SYNC_CHUNK = 'attune-sync.min.js'

/**
 * Loads the sync code into a script-tag page only when it is needed: once `measurement` or
 * `sync` is granted, or when an erasure is still owed to the server. Before that it costs the
 * page nothing — no request at all (DESIGN.md promise 1) and no bytes in the tag, whose budget
 * cannot hold it. The chunk comes from beside the tag (`new URL(SYNC_CHUNK, tag.src)`), so a
 * CSP that allows the tag allows it.
 */
export const loadSyncChunk = (attune: Attune, tagSrc: string, endpoint: string): SyncChunk => {
  let requested = false
  let handle: SyncHandle | undefined
  let stopped = false
  // Events allowed while the chunk loads (among them those replayed at the grant that loads it)
  // wait here, in memory and bounded like the outbox, and are handed over on connect.
  let backlog: TrackedEvent[] = []
  const uses: Array<(handle: SyncHandle) => unknown> = []
  const offTrack = attune.on('track', (event) => {
    if (!handle && attune.consent.get().measurement && backlog.push(event) > MAX_OUTBOX_EVENTS) backlog.shift()
  })
  const load = (): void => {
    if (requested || stopped) return
    requested = true
    loadBeside(tagSrc, SYNC_CHUNK)
  }
  // Measurement or sync taken back before the chunk connected (say, a withdrawal the page queued):
  // the chunk did not hear it, and owes the server an erasure once it does connect.
  let owed = false
  let was = attune.consent.get()
  const off = attune.consent.on((state) => {
    owed ||= !handle && erasureOwed(was, state)
    was = state
    if (owed || state.measurement || state.sync) load()
  })
  if (was.measurement || was.sync || localStore()?.getItem(`attune:erase:${attune.site}`)) load()
  return {
    accept(fn) {
      const inner = internals.get(attune)
      if (stopped || handle || !inner) return
      handle = fn(attune, inner, endpoint, undefined, backlog, owed)
      backlog = []
      offTrack()
      for (const use of uses.splice(0)) use(handle)
    },
    use(fn) {
      if (handle) fn(handle)
      else if (!stopped) uses.push(fn)
    },
    stop() {
      stopped = true
      off()
      offTrack()
      handle?.stop()
    },
  }
}
