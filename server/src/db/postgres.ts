import pg from 'pg'
import type { Db, Queryable, Row } from './createDb'

type Client = Pick<pg.Pool, 'query'>

const queryable = (client: Client): Queryable => ({
  query: async <T = Row>(sql: string, params: readonly unknown[] = []) => (await client.query(sql, params as unknown[])).rows as T[],
})

/** The URL without its password, for logs. */
const redact = (url: string): string => {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'postgres://(unparsable URL)'
  }
}

/** PostgreSQL through a `pg` pool (`PGPOOL_MAX` connections, default 10). */
export const createPostgres = async (url: string): Promise<Db> => {
  const pool = new pg.Pool({
    connectionString: url,
    max: Number(process.env.PGPOOL_MAX) || 10,
    // Heap and index pages that our backends evict are otherwise left dirty in the kernel's page
    // cache, a gigabyte of them under ingest load, until a checkpoint's fsync flushes them all at
    // once while every commit's WAL flush waits behind it: stalls of 300–400 ms. Asking the kernel
    // to write them back as we go (what checkpoint_flush_after does for the checkpointer) keeps
    // commits steady; it changes when data reaches the disk, never whether a commit is durable.
    // A PostgreSQL-compatible server without the setting keeps its default.
    onConnect: async (client) => {
      await client.query(`SET backend_flush_after = '256kB'`).catch(() => undefined)
    },
  })
  // An idle client losing its connection emits here; without a listener it would crash the process.
  pool.on('error', (error) => console.error(`attune-server: idle database connection failed: ${error.message}`))
  await pool.query('SELECT 1')
  let closing: Promise<void> | undefined
  return {
    kind: 'postgres',
    where: redact(url),
    ...queryable(pool),
    transaction: async (fn) => {
      const client = await pool.connect()
      let broken = false
      try {
        await client.query('BEGIN')
        const result = await fn(queryable(client))
        await client.query('COMMIT')
        return result
      } catch (error) {
        // A connection that cannot even roll back is thrown away rather than given to the next caller.
        await client.query('ROLLBACK').catch(() => (broken = true))
        throw error
      } finally {
        client.release(broken)
      }
    },
    close: () => (closing ??= pool.end()),
  }
}
