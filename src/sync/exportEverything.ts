import type { Attune, AttuneExport } from '../createAttune'
import { internals } from '../internals'

/**
 * What the attune server holds about the shopper and every visitor linked to them, as
 * `GET /v1/profile/export` answers (server/README.md, "The export"): everything but token hashes.
 */
export interface ServerExport {
  site: string
  /** The user these visitors are linked to by `identify`, if any. */
  userId: string | null
  /** Epoch ms. */
  exportedAt: number
  visitors: Array<{ visitor: string; createdAt: number; confirmedAt: number | null }>
  identities: Array<{ visitor: string; userId: string; linkedAt: number }>
  /** The merged profile of those visitors. */
  profile: unknown
  /** Each stored profile entry, with the consent proof it was sent with. */
  entries: unknown[]
  /** Who read or exported their data, and when: the site's staff, or `shopper` for their own erasure. */
  audit: Array<{ subjectKind: 'visitor' | 'user'; subject: string; actor: string; action: string; at: number; reason: string | null }>
  /** All their events, oldest first. */
  events: unknown[]
}

/** What {@link exportEverything} resolves to: this browser's export, and the server's beside it. */
export interface EverythingExport extends AttuneExport {
  /**
   * What the site's server holds about the shopper, with who read it and when; `null` when it is
   * not included: `attune/sync` is not connected, neither `measurement` nor `sync` is granted,
   * this browser has sent the server nothing yet, or the server could not be reached or refused.
   */
  server: ServerExport | null
}

/** How long the server has to answer before the export goes without its part. */
const WAIT_MS = 20_000

/**
 * Everything kept about the shopper, for them to download: `attune.profile.export()` (what this
 * browser keeps) plus, when `attune/sync` is connected, what the server holds — fetched now,
 * with this visitor's token, and only because this was called: nothing asks the server for an
 * export by itself. Never rejects for the server's sake: without its part, `server` is `null`
 * (and the reason goes to `on('error')`, code `network`). `wait`: milliseconds before giving up
 * on the server.
 */
export const exportEverything = async (attune: Attune, wait = WAIT_MS): Promise<EverythingExport> => {
  const local = await attune.profile.export()
  const inner = internals.get(attune)
  const connection = inner?.server
  const { measurement, sync } = attune.consent.get()
  // Asked only with consent: current() would otherwise store a new visitor id in this browser.
  const who = connection && (measurement || sync) ? connection.visitors.current() : undefined
  if (!connection || !who?.token) return { ...local, server: null }
  const abort = new AbortController()
  const timer = setTimeout(() => abort.abort(), wait)
  try {
    // Both are URL-safe as they are: a checked site id and a UUID of ours.
    const response = await connection.fetch(`${connection.endpoint}/v1/profile/export?site=${attune.site}&visitor=${who.id}`, {
      headers: { authorization: `Bearer ${who.token}` },
      credentials: 'omit',
      signal: abort.signal,
    })
    if (!response.ok) throw new Error(`status ${response.status}`)
    return { ...local, server: (await response.json()) as ServerExport }
  } catch (error) {
    inner?.report('network', 'The server’s copy of the export could not be fetched.', error)
    return { ...local, server: null }
  } finally {
    clearTimeout(timer)
  }
}
