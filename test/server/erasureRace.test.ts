/**
 * An erasure that commits between a write's token check and the write itself: the write must
 * find its visitor gone, store nothing and answer as for an erased visitor; and an erasure must
 * take whatever is stored under the visitor's id, even with its `visitors` row already gone.
 * The race is made to happen, every time, by running the erasure from a hook just before the
 * server's write statement (or transaction) starts.
 */
import { describe, expect, it } from 'vitest'
import type { Db } from '../../server/src/db/createDb'
import { insertEventBatches } from '../../server/src/db/events'
import { mintToken, TOKEN_TTL_S } from '../../server/src/lib/token'
import { ADMIN_KEY, SECRET, SITE, auth, deviceEntry, drivers, events, newVisitor, signUser, useServer, visitorId } from './helpers'

/**
 * Runs `step` once, just before the server's next statement whose SQL matches `sql` starts
 * (on the database itself, not in a transaction), or just before its next transaction when
 * `sql` is 'transaction'. Returns the undo.
 */
const before = (db: Db, sql: RegExp | 'transaction', step: () => Promise<void>): (() => void) => {
  const { query, transaction } = db
  let pending = true
  const once = async () => {
    if (!pending) return
    pending = false
    await step()
  }
  if (sql === 'transaction') db.transaction = async (fn) => (await once(), transaction(fn))
  else db.query = async (text, params) => (sql.test(text) && (await once()), query(text, params))
  return () => Object.assign(db, { query, transaction })
}

const nowS = () => Math.floor(Date.now() / 1000)

describe.each(drivers)('erasure racing a write ($name)', (driver) => {
  const t = useServer(driver)

  const erase = async (v: { visitor: string; token: string }) => {
    const answer = await t.request('DELETE', `/v1/profile?site=${SITE}&visitor=${v.visitor}`, { headers: auth(v.token) })
    expect(answer.status).toBe(204)
  }
  const stored = (table: string, visitor: string) => t.count(table, 'site = $1 AND visitor = $2', [SITE, visitor])
  const unknownVisitor = { error: 'unauthorized', reason: 'unknown_visitor' }

  it('collect: events of a visitor erased after its token was checked are not stored; the answer is 401 unknown_visitor', async () => {
    const v = await newVisitor(t)
    const undo = before(t.server.db, /INSERT INTO events/, () => erase(v))
    const answer = await t.request('POST', '/v1/collect', { body: { site: SITE, visitor: v.visitor, token: v.token, events: events(3) } })
    undo()
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual(unknownVisitor)
    expect(await stored('events', v.visitor)).toBe(0)
  })

  it('PUT /v1/profile: the entry of a visitor erased after its token was checked is not stored; 401 unknown_visitor', async () => {
    const v = await newVisitor(t)
    const undo = before(t.server.db, /INSERT INTO profile_entries/, () => erase(v))
    const answer = await t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: v.visitor, device: 'phone', entry: deviceEntry(1) }, headers: auth(v.token) })
    undo()
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual(unknownVisitor)
    expect(await stored('profile_entries', v.visitor)).toBe(0)
  })

  it('identify: a visitor erased after its token was checked is not linked; 401 unknown_visitor', async () => {
    const v = await newVisitor(t)
    const undo = before(t.server.db, 'transaction', () => erase(v))
    const answer = await t.request('POST', '/v1/identify', { body: { site: SITE, visitor: v.visitor, userId: 'racer', signature: signUser('racer') }, headers: auth(v.token) })
    undo()
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual(unknownVisitor)
    expect(await stored('identities', v.visitor)).toBe(0)
    expect(await t.count('identities', 'site = $1 AND user_id = $2', [SITE, 'racer'])).toBe(0)
  })

  it('one group-commit statement stores the events of visitors that exist and reports the others as gone', async () => {
    const alive = await newVisitor(t)
    const gone = visitorId()
    const now = Date.now()
    const counts = await insertEventBatches(
      t.server.db,
      [
        { site: SITE, visitor: gone, events: events(2), now },
        { site: SITE, visitor: alive.visitor, events: events(3), now },
      ],
      { knownVisitorsOnly: true },
    )
    expect(counts).toEqual([null, 3])
    expect(await stored('events', gone)).toBe(0)
    expect(await stored('events', alive.visitor)).toBe(4)
  })

  it('an erasure that starts while a write holds the visitor waits for it, and erases what it wrote', async () => {
    const v = await newVisitor(t)
    let commit!: () => void
    const held = new Promise<void>((resolve) => (commit = resolve))
    let wrote!: () => void
    const written = new Promise<void>((resolve) => (wrote = resolve))
    const writer = t.server.db.transaction(async (tx) => {
      expect(await insertEventBatches(tx, [{ site: SITE, visitor: v.visitor, events: events(5), now: Date.now() }], { knownVisitorsOnly: true })).toEqual([5])
      wrote()
      await held
    })
    await written
    const erasing = t.request('DELETE', `/v1/profile?site=${SITE}&visitor=${v.visitor}`, { headers: auth(v.token) })
    if (driver.name === 'postgres') {
      // Another connection: the erasure must be waiting for the writer's lock before the writer
      // commits (or, were it not to wait, done already, having missed the uncommitted events).
      const waiting = async () => {
        for (;;) {
          const [row] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)
          if (row?.n) return
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      await Promise.race([waiting(), erasing])
    }
    // On PGlite (one connection) the erasure's transaction simply waits for the writer's.
    commit()
    await writer
    expect((await erasing).status).toBe(204)
    expect(await stored('events', v.visitor)).toBe(0)
    expect(await stored('visitors', v.visitor)).toBe(0)
  })
})

describe.each(drivers)('erasure of what a visitor left without its row ($name)', (driver) => {
  const t = useServer(driver)

  /** Rows of `visitor` with no `visitors` row, as the race above could leave them before it was closed. */
  const leftovers = async (visitor: string) => {
    await insertEventBatches(t.server.db, [{ site: SITE, visitor, events: events(3), now: Date.now() }])
    await t.sql(`INSERT INTO profile_entries (site, visitor, device, v, entry, updated_at) VALUES ($1, $2, 'phone', 1, '{}', 0)`, [SITE, visitor])
  }
  const all = (visitor: string) => Promise.all(['events', 'profile_entries'].map((table) => t.count(table, 'site = $1 AND visitor = $2', [SITE, visitor])))

  it("the shopper's DELETE with a genuine token erases them", async () => {
    const visitor = visitorId()
    await leftovers(visitor)
    expect(await all(visitor)).toEqual([3, 1])
    const token = mintToken(SECRET, SITE, visitor, nowS() + TOKEN_TTL_S)
    expect((await t.request('DELETE', `/v1/profile?site=${SITE}&visitor=${visitor}`, { headers: auth(token) })).status).toBe(204)
    expect(await all(visitor)).toEqual([0, 0])
  })

  it('the shopper\'s DELETE without a token does not touch them (no token, no proof it is theirs)', async () => {
    const visitor = visitorId()
    await leftovers(visitor)
    expect((await t.request('DELETE', `/v1/profile?site=${SITE}&visitor=${visitor}`)).status).toBe(204)
    expect(await all(visitor)).toEqual([3, 1])
  })

  it("the admin's DELETE of the visitor erases them", async () => {
    const visitor = visitorId()
    await leftovers(visitor)
    const answer = await t.request('DELETE', `/v1/admin/sites/${SITE}/visitors/${visitor}`, { headers: auth(ADMIN_KEY) })
    expect(answer.status).toBe(204)
    expect(await all(visitor)).toEqual([0, 0])
  })
})
