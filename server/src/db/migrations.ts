import type { Db } from './createDb'

/**
 * Every schema change, in order. Append only: never edit or reorder an applied migration, add a
 * new one. Each is a list of single statements (PGlite's `query` runs one at a time).
 * Times are epoch milliseconds (`bigint`), like the wire format.
 */
export const MIGRATIONS: readonly { version: number; name: string; statements: readonly string[] }[] = [
  {
    version: 1,
    name: 'sites, visitors, events, profile entries, identities',
    statements: [
      `CREATE TABLE sites (
        site text PRIMARY KEY,
        config jsonb NOT NULL DEFAULT '{}',
        origins jsonb NOT NULL DEFAULT '[]',
        identify_secret text,
        updated_at bigint NOT NULL
      )`,
      // token_hash: sha256 of the visitor's one token, so a token can be revoked (erasure) and a
      // token of another visitor recognised (403 rather than 401).
      `CREATE TABLE visitors (
        site text NOT NULL,
        visitor uuid NOT NULL,
        token_hash text NOT NULL,
        token_exp bigint NOT NULL,
        created_at bigint NOT NULL,
        confirmed_at bigint,
        PRIMARY KEY (site, visitor)
      )`,
      `CREATE INDEX visitors_token ON visitors (site, token_hash)`,
      `CREATE TABLE events (
        site text NOT NULL,
        event_id uuid NOT NULL,
        visitor uuid NOT NULL,
        name text NOT NULL,
        props jsonb NOT NULL,
        ts bigint NOT NULL,
        session text,
        received_at bigint NOT NULL,
        PRIMARY KEY (site, event_id)
      )`,
      `CREATE INDEX events_visitor ON events (site, visitor, ts)`,
      `CREATE TABLE profile_entries (
        site text NOT NULL,
        visitor uuid NOT NULL,
        device text NOT NULL,
        v bigint NOT NULL,
        entry jsonb NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (site, visitor, device)
      )`,
      `CREATE TABLE identities (
        site text NOT NULL,
        visitor uuid NOT NULL,
        user_id text NOT NULL,
        linked_at bigint NOT NULL,
        PRIMARY KEY (site, visitor)
      )`,
      `CREATE INDEX identities_user ON identities (site, user_id)`,
    ],
  },
  {
    version: 2,
    name: 'the consent proof a profile entry was written with',
    statements: [`ALTER TABLE profile_entries ADD COLUMN consent jsonb`],
  },
]

/**
 * Brings the schema up to date: applies, in one transaction each, the migrations newer than the
 * highest version recorded in `schema_migrations`. Idempotent, and safe when several servers
 * start at once (an advisory lock makes them take turns).
 */
export const migrate = async (db: Db): Promise<number[]> => {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7270111)')
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const [row] = await tx.query<{ version: number }>('SELECT coalesce(max(version), 0)::int AS version FROM schema_migrations')
    const applied: number[] = []
    for (const m of MIGRATIONS) {
      if (m.version <= (row?.version ?? 0)) continue
      for (const statement of m.statements) await tx.query(statement)
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
      applied.push(m.version)
    }
    return applied
  })
}
