import type { ConsentState } from '../consent'
import type { Attune } from '../createAttune'
import type { Internals } from '../internals'
import type { TrackedEvent } from '../track'
import { forgetPaint } from '../dom/paint'
import { createProfileSync } from './createProfileSync'
import { createSync } from './createSync'
import { createVisitors } from './createVisitors'

/** What {@link connect} returns (and `sync` from `attune/sync`). */
export interface SyncHandle {
  /** Send the events waiting now; resolves when this attempt is over. */
  flush(): Promise<void>
  /** Merge in what the shopper's other devices changed, and send this device's changes (`sync` consent). */
  sync(): Promise<void>
  /**
   * Link this browser to a signed-in user, so their profile follows them across devices
   * (`sync` consent). `signature` is HMAC-SHA256 of `userId` with the site's identify secret,
   * computed by the site's backend.
   */
  identify(userId: string, options: { signature: string }): Promise<void>
  /** Start over as a new anonymous visitor with an empty profile (say, after sign-out). */
  reset(): Promise<void>
  /** Stop sending (what waits stays persisted for the next page). */
  stop(): void
}

/** Whether going from `before` to `after` takes back measurement or sync: the server is then asked to erase the visitor. */
export const erasureOwed = (before: ConsentState, after: ConsentState): boolean => (before.measurement && !after.measurement) || (before.sync && !after.sync)

/**
 * Connects an instance to the attune server at `endpoint` (already checked). With
 * `measurement` consent it sends events, reliably and once in effect (createSync.ts); with
 * `sync` consent it keeps the profile the same on every device of the shopper
 * (createProfileSync.ts). Withdrawing either asks the server to erase the visitor — now, or
 * from a later page if this one is offline. `backlog`: events allowed before it was connected;
 * `owed`: measurement or sync was taken back before then, so the erasure is asked for now.
 */
export const connect = (
  attune: Attune,
  inner: Internals,
  endpoint: string,
  send?: typeof fetch,
  backlog: readonly TrackedEvent[] = [],
  owed?: boolean,
): SyncHandle => {
  const shared = {
    site: attune.site,
    endpoint,
    // Called bare, the global fetch must not lose its `this` ("Illegal invocation").
    fetch: send ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init)),
    report: inner.report,
    visitors: createVisitors(attune.site, inner.remember, inner.uuid),
    proof: inner.proof,
  }
  const events = createSync({ ...shared, now: inner.now, uuid: inner.uuid, kv: inner.kv, measuring: () => attune.consent.get().measurement })
  const profiles = createProfileSync({ ...shared, profile: inner.profile, syncing: () => attune.consent.get().sync })
  // How the shopper's export reaches the server as this visitor (exportEverything.ts). It stays
  // after stop(): what the server holds is still theirs to download.
  inner.server = shared
  // What this connection keeps in the browser is the shopper's too: their export holds it.
  const exportLocal = attune.profile.export
  const exportAll = (): ReturnType<typeof exportLocal> =>
    exportLocal().then(async (data) => ({ ...data, visitor: shared.visitors.known()?.id, pending: await events.pending() }))
  attune.profile.export = exportAll
  // Events allowed before this code was connected (the script tag loads it after consent).
  for (const event of backlog) events.enqueue(event)
  let before = attune.consent.get()
  if (owed) events.erase(!before.personalization)
  const stops = [
    attune.on('track', (event) => {
      if (attune.consent.get().measurement) events.enqueue(event)
    }),
    attune.on('ready', () => {
      // What an earlier page left waiting goes now, not at the next event.
      void events.flush()
      void profiles.sync()
    }),
    attune.consent.on((state) => {
      if (erasureOwed(before, state)) events.erase(!state.personalization)
      else if (!before.sync && state.sync) void profiles.sync()
      before = state
    }),
    events.stop,
    profiles.stop,
    () => {
      if (attune.profile.export === exportAll) attune.profile.export = exportLocal
    },
  ]
  return {
    flush: events.flush,
    sync: profiles.sync,
    identify: (userId, { signature }) => profiles.identify(userId, signature),
    async reset() {
      // The kept decisions the paint snippet paints were this visitor's (dom/paint.ts): gone at once, whatever follows.
      forgetPaint(attune.site)
      await events.flush()
      // The new visitor shares nothing with the last: not its session, nor this device's id.
      shared.visitors.forget()
      inner.forgetSession?.()
      await inner.profile.renew()
    },
    stop: () => {
      for (const stop of stops.splice(0)) stop()
    },
  }
}
