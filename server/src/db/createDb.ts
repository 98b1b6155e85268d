import { createPglite } from './pglite'
import { createPostgres } from './postgres'

/** A row as the drivers return it: column name → value (jsonb parsed, uuid as string). */
export type Row = Record<string, unknown>

/** What every query function takes: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one statement with `$1…` parameters and returns its rows (empty for none). */
  query: <T = Row>(sql: string, params?: readonly unknown[]) => Promise<T[]>
}

/**
 * The whole database interface: one SQL dialect (PostgreSQL's), two drivers. Keep it this small;
 * everything else is SQL in `server/src/db/*.ts`.
 */
export interface Db extends Queryable {
  /** `pglite` (embedded) or `postgres` (a server reached with `DATABASE_URL`). */
  kind: 'pglite' | 'postgres'
  /** Where the data lives, for logs: a directory, `memory://`, or the URL without its password. */
  where: string
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>
  /** Closes the connections (PGlite flushes to disk). Safe to call twice. */
  close: () => Promise<void>
}

/**
 * Opens a database from a URL: `postgres://` or `postgresql://` → PostgreSQL through a `pg` pool;
 * `memory://` → PGlite in memory (tests); anything else → PGlite with that data directory;
 * nothing → PGlite in `.attune-data/`.
 */
export const createDb = async (url?: string): Promise<Db> => {
  const target = url?.trim() || '.attune-data'
  return /^postgres(ql)?:\/\//i.test(target) ? createPostgres(target) : createPglite(target)
}
