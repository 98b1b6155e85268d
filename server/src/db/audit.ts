import type { Queryable } from './createDb'

/** Whose data an audit row is about: a visitor id, or a user id of `identify`. */
export type SubjectKind = 'visitor' | 'user'

/** One person an audit row is about. */
export interface Subject {
  kind: SubjectKind
  id: string
}

/** A row of `audit_log` as written. */
export interface AuditRecord {
  site: string
  subject: Subject
  /** Who did it: the admin's `X-Attune-Actor`, `admin` without one, `shopper` for their own erasure. */
  actor: string
  /** `read`, `export`, `erased`. */
  action: string
  /** Epoch ms. */
  at: number
  /** The admin's client IP; null where it would be the shopper's own. */
  ip?: string | null
  /** The admin's `X-Attune-Reason`, if any. */
  reason?: string | null
}

/** An audit row as the shopper's export shows it: who, what, when, why (not the admin's IP). */
export interface AuditEntry {
  subjectKind: SubjectKind
  subject: string
  actor: string
  action: string
  at: number
  reason: string | null
}

/** Writes one audit row; in the transaction of the read it records, so neither happens alone. */
export const writeAudit = async (q: Queryable, row: AuditRecord): Promise<void> => {
  await q.query('INSERT INTO audit_log (site, subject_kind, subject, actor, action, at, ip, reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
    row.site,
    row.subject.kind,
    row.subject.id,
    row.actor,
    row.action,
    row.at,
    row.ip ?? null,
    row.reason ?? null,
  ])
}

const subjectsJson = (subjects: readonly Subject[]): string => JSON.stringify(subjects.map((s) => ({ k: s.kind, s: s.id })))

const THESE = `(subject_kind, subject) IN (SELECT k, s FROM jsonb_to_recordset($2::jsonb) AS x(k text, s text))`

/** The audit rows about any of these subjects, oldest first. */
export const auditOf = async (q: Queryable, site: string, subjects: readonly Subject[]): Promise<AuditEntry[]> =>
  subjects.length === 0
    ? []
    : q.query<AuditEntry>(
        `SELECT subject_kind AS "subjectKind", subject, actor, action, at::float8 AS at, reason FROM audit_log
         WHERE site = $1 AND ${THESE} ORDER BY id`,
        [site, subjectsJson(subjects)],
      )

/** Deletes the audit rows about these subjects (their erasure); returns how many. */
export const eraseAudit = async (q: Queryable, site: string, subjects: readonly Subject[]): Promise<number> =>
  subjects.length === 0 ? 0 : (await q.query(`DELETE FROM audit_log WHERE site = $1 AND ${THESE} RETURNING 1`, [site, subjectsJson(subjects)])).length
