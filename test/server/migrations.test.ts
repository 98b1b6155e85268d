import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../server/src/index'
import { MIGRATIONS } from '../../server/src/db/migrations'
import { createDb, migrate } from '../../server/src/index'
import type { TestDatabase } from './helpers'
import { drivers } from './helpers'

describe.each(drivers)('migrations ($name)', (driver) => {
  let database: TestDatabase
  let db: Db
  beforeAll(async () => {
    database = await driver.open()
    db = await createDb(database.url)
  })
  afterAll(async () => {
    await db.close()
    await database.drop()
  })

  it('applies every migration once and records its version', async () => {
    expect(await migrate(db)).toEqual(MIGRATIONS.map((m) => m.version))
    const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version))
  })

  it('is idempotent: a second run applies nothing and changes nothing', async () => {
    expect(await migrate(db)).toEqual([])
    expect(await db.query('SELECT count(*)::int AS n FROM schema_migrations')).toEqual([{ n: MIGRATIONS.length }])
  })

  it('concurrent starts take turns instead of failing', async () => {
    const results = await Promise.all([migrate(db), migrate(db), migrate(db)])
    expect(results).toEqual([[], [], []])
  })

  it('rolls a transaction back when its function throws', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.query(`INSERT INTO sites (site, updated_at) VALUES ('rollback-me', 0)`)
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(await db.query(`SELECT site FROM sites WHERE site = 'rollback-me'`)).toEqual([])
  })

  it(`reports its driver (${driver.name})`, () => {
    expect(db.kind).toBe(driver.name)
  })
})
