import type { Context } from 'hono'
import type { Queryable } from '../db/createDb'
import type { AuditRecord, Subject } from '../db/audit'
import type { AppEnv, Deps } from '../types'
import { auditOf, writeAudit } from '../db/audit'
import { entryRowsOf, identitiesOf, personEventsPage, visitorRowsOf } from '../db/person'
import { profileOfVisitors } from './profileOf'

/** Events per database read while streaming an export: memory stays flat however many there are. */
const PAGE = 1000

/** Whom an export is about: these visitors (all linked) and the user they are, if identified. */
export interface Person {
  site: string
  visitors: readonly string[]
  userId: string | null
}

/**
 * Everything the server holds about a person but its events, read in the transaction `q`:
 * the visitors (never their token hashes), identity links, the merged profile, each stored
 * entry with its consent proof, and the audit log of who read or exported their data.
 */
export const personHead = async (q: Queryable, person: Person, now: number) => {
  const { site, visitors, userId } = person
  const subjects: Subject[] = [...visitors.map((id): Subject => ({ kind: 'visitor', id })), ...(userId ? [{ kind: 'user' as const, id: userId }] : [])]
  const [visitorRows, identities, entries, audit, profile] = [
    await visitorRowsOf(q, site, visitors),
    await identitiesOf(q, site, visitors),
    await entryRowsOf(q, site, visitors),
    await auditOf(q, site, subjects),
    await profileOfVisitors(q, site, visitors),
  ]
  return { site, userId, exportedAt: now, visitors: visitorRows, identities, profile, entries, audit }
}

/**
 * `{ site, userId, exportedAt, visitors, identities, profile, entries, audit, events }` as one
 * JSON document, streamed: the head is read (with `audit`, the row recording this export, in
 * the same transaction) before the first byte; then the events, all of them, oldest first, a
 * page at a time. A client that goes away stops the reads.
 */
export const personExport = async (c: Context<AppEnv>, deps: Deps, person: Person, audit?: AuditRecord): Promise<Response> => {
  const head = await deps.db.transaction(async (tx) => {
    if (audit) await writeAudit(tx, audit)
    return personHead(tx, person, deps.now())
  })
  const encoder = new TextEncoder()
  let after: string | null = null
  let first = true
  const stream = new ReadableStream<Uint8Array>({
    start: (controller) => {
      controller.enqueue(encoder.encode(JSON.stringify(head).slice(0, -1) + ',"events":['))
    },
    pull: async (controller) => {
      const page = await personEventsPage(deps.db, person.site, person.visitors, after, PAGE)
      if (page.length) {
        controller.enqueue(encoder.encode((first ? '' : ',') + page.map((e) => JSON.stringify(e)).join(',')))
        first = false
      }
      if (page.length < PAGE) {
        controller.enqueue(encoder.encode(']}'))
        controller.close()
      } else after = (page[page.length - 1] as { id: string }).id
    },
  })
  const name = `attune-${person.site}-${person.userId ? 'user' : 'visitor'}-export.json`
  // Through `c`, so the CORS headers the Origin check set go out with it.
  return c.body(stream, 200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}"`, 'Cache-Control': 'no-store' })
}
