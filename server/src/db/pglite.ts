import { PGlite } from '@electric-sql/pglite'
import type { Db, Queryable, Row } from './createDb'

type Client = Pick<PGlite, 'query'>

const queryable = (client: Client): Queryable => ({
  query: async <T = Row>(sql: string, params: readonly unknown[] = []) => (await client.query<T>(sql, params as unknown[])).rows,
})

/**
 * Embedded PostgreSQL (WebAssembly). One connection: PGlite runs statements one at a time and
 * a transaction holds it until done, so no locking is needed on our side.
 */
export const createPglite = async (dataDir: string): Promise<Db> => {
  const pg = await PGlite.create(dataDir === 'memory://' ? undefined : dataDir)
  let closing: Promise<void> | undefined
  return {
    kind: 'pglite',
    where: dataDir,
    ...queryable(pg),
    transaction: (fn) => pg.transaction((tx) => fn(queryable(tx))),
    close: () => (closing ??= pg.close()),
  }
}
