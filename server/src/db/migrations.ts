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
  {
    version: 3,
    name: 'audit log of admin reads and erasures of a person',
    statements: [
      // subject: a visitor id or a user id, as the admin asked for it. `id` orders rows written
      // in the same millisecond. No foreign keys: the `erased` row outlives its subject.
      `CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        site text NOT NULL,
        subject_kind text NOT NULL CHECK (subject_kind IN ('visitor', 'user')),
        subject text NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        at bigint NOT NULL,
        ip text,
        reason text
      )`,
      `CREATE INDEX audit_log_subject ON audit_log (site, subject_kind, subject, id)`,
    ],
  },
  {
    version: 4,
    name: 'insights: rollup queue, per-visitor journey state, hourly and per-arm rollups',
    statements: [
      // The ids of the events each insert statement stored, queued by that very statement (see
      // insertEventBatches: one row per statement and site, cheaper than a row per event) and
      // taken off by the rollup (rollUp in db/rollup.ts): a row that commits late is still here
      // for the next rollup, which a watermark on time or id could skip. No index: it is small,
      // and read whole by one roller at a time.
      `CREATE TABLE rollup_queue (site text NOT NULL, event_ids uuid[] NOT NULL)`,
      // One row per visitor with journey events: the two earliest session starts (new vs
      // returning), the entry channel of the earliest one, the first time of each default funnel step.
      `CREATE TABLE insight_visitors (
        site text NOT NULL,
        visitor uuid NOT NULL,
        session1 bigint,
        session2 bigint,
        channel text NOT NULL DEFAULT 'direct',
        channel_ts bigint,
        step0 bigint,
        step1 bigint,
        step2 bigint,
        step3 bigint,
        PRIMARY KEY (site, visitor)
      )`,
      // Experiment membership: the variant of the visitor's first exposure ("default" for a holdout).
      `CREATE TABLE insight_members (
        site text NOT NULL,
        experiment text NOT NULL,
        visitor uuid NOT NULL,
        variant text NOT NULL,
        first_ts bigint NOT NULL,
        first_id uuid NOT NULL,
        PRIMARY KEY (site, experiment, visitor)
      )`,
      `CREATE INDEX insight_members_visitor ON insight_members (site, visitor)`,
      // The visitor's latest conversion per goal: converted after exposure ⇔ last_ts ≥ first exposure.
      `CREATE TABLE insight_goals (
        site text NOT NULL,
        visitor uuid NOT NULL,
        goal text NOT NULL,
        last_ts bigint NOT NULL,
        PRIMARY KEY (site, visitor, goal)
      )`,
      // Counts the admin reads sum: hours are epoch ms at the start of a UTC hour.
      `CREATE TABLE insight_hourly (
        site text NOT NULL,
        hour bigint NOT NULL,
        name text NOT NULL,
        events bigint NOT NULL,
        PRIMARY KEY (site, name, hour)
      )`,
      `CREATE TABLE insight_hourly_goals (
        site text NOT NULL,
        hour bigint NOT NULL,
        goal text NOT NULL,
        conversions bigint NOT NULL,
        PRIMARY KEY (site, goal, hour)
      )`,
      `CREATE TABLE insight_arms (
        site text NOT NULL,
        experiment text NOT NULL,
        variant text NOT NULL,
        exposures bigint NOT NULL,
        PRIMARY KEY (site, experiment, variant)
      )`,
      `CREATE TABLE insight_arm_goals (
        site text NOT NULL,
        experiment text NOT NULL,
        variant text NOT NULL,
        goal text NOT NULL,
        conversions bigint NOT NULL,
        PRIMARY KEY (site, experiment, variant, goal)
      )`,
      // Visitors by the hour they first did the first default step, and how deep in order they went.
      `CREATE TABLE insight_funnel (
        site text NOT NULL,
        hour bigint NOT NULL,
        channel text NOT NULL,
        segment text NOT NULL,
        depth smallint NOT NULL,
        visitors bigint NOT NULL,
        PRIMARY KEY (site, hour, channel, segment, depth)
      )`,
      `CREATE TABLE insight_funnel_variants (
        site text NOT NULL,
        experiment text NOT NULL,
        variant text NOT NULL,
        hour bigint NOT NULL,
        depth smallint NOT NULL,
        visitors bigint NOT NULL,
        PRIMARY KEY (site, experiment, variant, hour, depth)
      )`,
      // Events stored before this version are rolled up like new ones, queued 2,000 to a row.
      `INSERT INTO rollup_queue (site, event_ids)
       SELECT site, array_agg(event_id) FROM (
         SELECT site, event_id, (row_number() OVER (PARTITION BY site ORDER BY event_id) - 1) / 2000 AS chunk FROM events
       ) AS e GROUP BY site, chunk`,
    ],
  },
  {
    version: 5,
    name: 'preview token revocations',
    statements: [
      // Preview tokens are signed and stateless; a revoked one is refused by its id until it
      // would have expired anyway (`exp`, epoch seconds), when its row can go.
      `CREATE TABLE preview_revocations (
        site text NOT NULL,
        token_id text NOT NULL,
        exp bigint NOT NULL,
        revoked_at bigint NOT NULL,
        PRIMARY KEY (site, token_id)
      )`,
    ],
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
