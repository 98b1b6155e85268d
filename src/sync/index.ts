import type { Attune } from '../createAttune'
import { internals } from '../internals'
import { checkEndpoint, checkFunction } from '../options'
import { createKeyValue } from '../storage/createKeyValue'
import { createSync } from './createSync'

/** Options of {@link sync}. */
export interface SyncOptions {
  /** Base URL of the attune server: `https:` (`http:` only on localhost). */
  endpoint: string
  /** The `fetch` to send with. Default: the global `fetch`. */
  fetch?: typeof fetch
}

/** What {@link sync} returns. */
export interface SyncHandle {
  /** Send what is waiting now; resolves when this attempt is over. */
  flush(): Promise<void>
  /** Stop sending (what waits stays persisted for the next page). */
  stop(): void
}

/**
 * `attune/sync`: sends the events `measurement` consent allows to the attune server, reliably
 * and once in effect (see createSync.ts). When `measurement` or `sync` is withdrawn, it asks the
 * server to erase this visitor — now, or from a later page if this one is offline. Throws a
 * `TypeError` for a bad endpoint, like `createAttune` does for its options.
 */
export const sync = (attune: Attune, options: SyncOptions): SyncHandle => {
  const endpoint = checkEndpoint(options?.endpoint)
  const send = checkFunction<typeof fetch>('fetch', options?.fetch)
  const inner = internals.get(attune)
  if (!endpoint || !inner) throw new TypeError('attune: sync(attune, { endpoint }) needs an instance from createAttune and an endpoint.')
  const engine = createSync({
    site: attune.site,
    endpoint,
    // Called bare, the global fetch must not lose its `this` ("Illegal invocation").
    fetch: send ?? ((input, init) => fetch(input, init)),
    now: inner.now,
    uuid: inner.uuid,
    report: inner.report,
    kv: inner.remember ? createKeyValue(`attune-${attune.site}`) : undefined,
    remember: inner.remember,
    measuring: () => attune.consent.get().measurement,
  })
  let before = attune.consent.get()
  const stops = [
    attune.on('track', (event) => {
      if (attune.consent.get().measurement) engine.enqueue(event)
    }),
    attune.consent.on((state) => {
      if ((before.measurement && !state.measurement) || (before.sync && !state.sync)) engine.erase()
      before = state
    }),
    engine.stop,
  ]
  return {
    flush: engine.flush,
    stop: () => {
      for (const stop of stops.splice(0)) stop()
    },
  }
}
