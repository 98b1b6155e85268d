import { PGlite } from '@electric-sql/pglite'
import type { Db, Queryable, Row } from './createDb'

type Client = Pick<PGlite, 'query'>

/** PostgreSQL's type id of jsonb. */
const JSONB = 3802

/**
 * Bytes given for a jsonb parameter go to PostgreSQL as they are, in its binary format (see
 * jsonbParameter in db/events.ts), as the `pg` driver sends a Buffer; PGlite would otherwise
 * serialize them as a JSON object. Anything else keeps PGlite's own serialization.
 */
const OPTIONS = {
  serializers: { [JSONB]: (x: unknown) => (x instanceof Uint8Array || typeof x === 'string' ? x : JSON.stringify(x)) as string },
}

const queryable = (client: Client): Queryable => ({
  query: async <T = Row>(sql: string, params: readonly unknown[] = []) => (await client.query<T>(sql, params as unknown[], OPTIONS)).rows,
})

/**
 * PGlite runs queued statements back to back without giving the event loop a turn, so under
 * load the server would stop reading sockets: no shedding, /healthz unanswered for seconds.
 * A macrotask turn before each statement (and transaction) lets Node serve the network between them.
 */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Embedded PostgreSQL (WebAssembly). One connection: PGlite runs statements one at a time and
 * a transaction holds it until done, so no locking is needed on our side.
 */
export const createPglite = async (dataDir: string): Promise<Db> => {
  const pg = await PGlite.create(dataDir === 'memory://' ? undefined : dataDir)
  // A new 16 MB WAL segment is zero-filled by default, through the WebAssembly file system, on
  // the event loop: 30–70 ms in which the server answers nothing, more than once a second under
  // ingest load. Without it only the segment's last byte is written; recovery finds the end of
  // the WAL by its checksums either way, so nothing committed is at risk.
  await pg.query('SET wal_init_zero = off')
  const direct = queryable(pg)
  let closing: Promise<void> | undefined
  return {
    kind: 'pglite',
    where: dataDir,
    query: (sql, params) => turn().then(() => direct.query(sql, params)),
    transaction: (fn) => turn().then(() => pg.transaction((tx) => fn(queryable(tx)))),
    close: () => (closing ??= pg.close()),
  }
}
