import type { Attune } from '../createAttune'
import { internals } from '../internals'
import { checkEndpoint, checkFunction } from '../options'
import { connect, type SyncHandle } from './connect'

export type { SyncHandle } from './connect'
export { exportEverything, type EverythingExport, type ServerExport } from './exportEverything'

/** Options of {@link sync}. */
export interface SyncOptions {
  /** Base URL of the attune server: `https:` (`http:` only on localhost). */
  endpoint: string
  /** The `fetch` to send with. Default: the global `fetch`. */
  fetch?: typeof fetch
}

/**
 * `attune/sync`: connects an instance to the attune server — events with `measurement`
 * consent, the profile across devices with `sync` consent, erasure on withdrawal (connect.ts).
 * Throws a `TypeError` for a bad endpoint, like `createAttune` does for its options.
 */
export const sync = (attune: Attune, options: SyncOptions): SyncHandle => {
  const endpoint = checkEndpoint(options?.endpoint)
  const send = checkFunction<typeof fetch>('fetch', options?.fetch)
  const inner = internals.get(attune)
  if (!endpoint || !inner) throw new TypeError('attune: sync(attune, { endpoint }) needs an instance from createAttune and an endpoint.')
  return connect(attune, inner, endpoint, send)
}
