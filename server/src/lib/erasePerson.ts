import { createHmac } from 'node:crypto'
import type { Queryable } from '../db/createDb'
import type { Subject } from '../db/audit'
import { eraseAudit, writeAudit } from '../db/audit'
import { erase } from '../db/profiles'

/**
 * What an `erased` audit row keeps of its subject: a keyed hash (HMAC-SHA256 with the server's
 * secret) rather than a plain one, because user ids are often e-mail addresses, whose plain
 * hashes anyone can look up by guessing. The server can still answer "was this person erased?".
 */
export const subjectHash = (secret: string, site: string, subject: Subject): string =>
  createHmac('sha256', secret).update(`audit|${site}|${subject.kind}|${subject.id}`).digest('hex')

/**
 * Erases a person — these visitors, all linked to one another — in the transaction `q`: their
 * events, profile entries, identity links, the visitors themselves (so their tokens are revoked),
 * and the audit rows about them and their user ids. Then writes one `erased` row that keeps only
 * the hash of the subject asked for (see server/README.md, "Audit log"). Nothing to erase: no row.
 * Everything is found by visitor id, so also what is left of a visitor whose row is gone.
 */
export const erasePerson = async (
  q: Queryable,
  opts: { secret: string; site: string; visitors: readonly string[]; subject: Subject; actor: string; at: number; ip?: string | null; reason?: string | null },
): Promise<boolean> => {
  const { site, visitors } = opts
  if (visitors.length === 0) return false
  const users = await q.query<{ userId: string }>(
    `SELECT DISTINCT user_id AS "userId" FROM identities WHERE site = $1 AND visitor IN (SELECT value::uuid FROM jsonb_array_elements_text($2::jsonb))`,
    [site, JSON.stringify(visitors)],
  )
  // Not only the visitor rows: events or entries left without theirs must go all the same.
  const these = 'site = $1 AND visitor IN (SELECT value::uuid FROM jsonb_array_elements_text($2::jsonb))'
  const known = await q.query(
    `SELECT 1 FROM visitors WHERE ${these} UNION ALL SELECT 1 FROM events WHERE ${these} UNION ALL SELECT 1 FROM profile_entries WHERE ${these} LIMIT 1`,
    [site, JSON.stringify(visitors)],
  )
  if (known.length === 0 && users.length === 0) return false
  await eraseAudit(q, site, [
    ...visitors.map((id): Subject => ({ kind: 'visitor', id })),
    ...users.map((u): Subject => ({ kind: 'user', id: u.userId })),
    opts.subject,
  ])
  await erase(q, site, visitors)
  await writeAudit(q, {
    site,
    subject: { kind: opts.subject.kind, id: subjectHash(opts.secret, site, opts.subject) },
    actor: opts.actor,
    action: 'erased',
    at: opts.at,
    ip: opts.ip ?? null,
    reason: opts.reason ?? null,
  })
  return true
}
