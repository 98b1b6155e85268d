import { randomUUID, createHmac } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, inject } from 'vitest'
import type { AttuneServer, ServerOptions } from '../../server/src/index'
import { createDb, createServer } from '../../server/src/index'
import { createUuidv7 } from '../../src/lib/uuidv7'

/** A database for one test file, and how to get rid of it. */
export interface TestDatabase {
  url: string
  drop: () => Promise<void>
}

const freshPostgres = async (): Promise<TestDatabase> => {
  const base = inject('postgresUrl')
  const name = `attune_t_${randomUUID().replace(/-/g, '').slice(0, 16)}`
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
    const url = new URL(base)
    url.pathname = `/${name}`
    return {
      url: url.toString(),
      drop: async () => {
        const c = new pg.Client({ connectionString: base })
        await c.connect()
        // pg's pool.end() resolves before its sockets are gone: give them a moment before forcing.
        for (let i = 0; i < 20; i++) {
          const [row] = (await c.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name])).rows as { n: number }[]
          if (!row?.n) break
          await new Promise((r) => setTimeout(r, 50))
        }
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
        await c.end()
      },
    }
  } catch {
    // A DATABASE_URL whose user may not create databases: a schema of our own instead.
    await admin.query(`CREATE SCHEMA ${name}`)
    const url = new URL(base)
    url.searchParams.set('options', `-c search_path=${name}`)
    return {
      url: url.toString(),
      drop: async () => {
        const c = new pg.Client({ connectionString: base })
        await c.connect()
        await c.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`)
        await c.end()
      },
    }
  } finally {
    await admin.end()
  }
}

/** Every server test runs once per driver: `describe.each(drivers)('… ($name)', …)`. */
export const drivers: { name: 'pglite' | 'postgres'; open: () => Promise<TestDatabase> }[] = [
  { name: 'pglite', open: async () => ({ url: 'memory://', drop: async () => undefined }) },
  { name: 'postgres', open: freshPostgres },
]

export const SECRET = 'test-secret-0123456789abcdef0123456789'
export const ADMIN_KEY = 'admin-key-0123456789'
export const IDENTIFY_SECRET = 'identify-secret-0123456789'
export const SITE = 'shop-1'
export const OTHER_SITE = 'shop-2'
export const ORIGIN = 'https://shop.example'
export const OTHER_ORIGIN = 'https://other.example'

/** The options most tests use: two sites, admin key, rate limits off unless a test sets them. */
export const baseOptions = (url: string, extra: Partial<ServerOptions> = {}): ServerOptions => ({
  db: url,
  secret: SECRET,
  adminKey: ADMIN_KEY,
  sites: {
    [SITE]: { origins: [ORIGIN, 'http://localhost:8080'], identifySecret: IDENTIFY_SECRET },
    [OTHER_SITE]: { origins: [OTHER_ORIGIN], identifySecret: 'identify-secret-of-shop-2' },
  },
  rateLimits: { ip: false, visitor: false },
  ...extra,
})

/** An answer read whole: status, headers, parsed JSON (or the text when not JSON). */
export interface Answer {
  status: number
  headers: Headers
  body: any // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string
}

export const read = async (res: Response): Promise<Answer> => {
  const text = await res.text()
  let body: unknown = text
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body, text }
}

/** A test server on a fresh database, with request helpers that go through `app.request` (no socket). */
export const startServer = async (url: string, extra: Partial<ServerOptions> = {}) => {
  const server: AttuneServer = await createServer(baseOptions(url, extra))
  const request = async (method: string, path: string, init: { body?: unknown; headers?: Record<string, string>; raw?: BodyInit } = {}) => {
    const headers: Record<string, string> = { ...init.headers }
    let body: BodyInit | undefined = init.raw
    if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body)
      headers['content-type'] ??= 'text/plain;charset=UTF-8'
    }
    return read(await server.app.request(path, { method, headers, body }))
  }
  /** SQL straight at the server's database (assertions). */
  const sql = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => server.db.query(text, params) as Promise<T[]>
  const count = async (table: string, where = 'true', params: unknown[] = []): Promise<number> =>
    ((await sql<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params))[0] as { n: number }).n
  return { server, request, sql, count }
}

export type TestServer = Awaited<ReturnType<typeof startServer>>

const uuidv7 = createUuidv7()

/** An event as the SDK sends it. */
export const event = (over: Partial<{ id: string; name: string; props: Record<string, unknown>; ts: number; session: string }> = {}) => ({
  id: uuidv7(),
  name: 'page_viewed',
  props: { path: '/' },
  ts: Date.now(),
  ...over,
})

export const events = (n: number) => Array.from({ length: n }, () => event())

export const visitorId = (): string => randomUUID()

/** `Authorization: Bearer …` */
export const auth = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

/** What the site's backend would compute for identify. */
export const signUser = (userId: string, secret = IDENTIFY_SECRET): string => createHmac('sha256', secret).update(userId).digest('hex')

/** A new visitor that has made first contact and used its token once (so it is "confirmed"). */
export const newVisitor = async (t: TestServer, site = SITE): Promise<{ visitor: string; token: string }> => {
  const visitor = visitorId()
  const first = await t.request('POST', '/v1/collect', { body: { site, visitor, events: [event()] } })
  if (first.status !== 200 || typeof first.body.token !== 'string') throw new Error(`first contact failed: ${first.status} ${first.text}`)
  const token = first.body.token as string
  const second = await t.request('POST', '/v1/collect', { body: { site, visitor, token, events: [] } })
  if (second.status !== 200) throw new Error(`token use failed: ${second.status} ${second.text}`)
  return { visitor, token }
}

/** A device entry as the SDK stores it. */
export const deviceEntry = (v: number, over: Record<string, unknown> = {}) => ({
  v,
  counters: { visits: v },
  affinities: {},
  viewed: [],
  carted: [],
  traits: {},
  interests: {},
  experiments: {},
  ...over,
})

export { createDb }

/**
 * A server on a fresh database of `driver` for the tests of one `describe`: started before them,
 * closed and dropped after. The returned object stands for the live server (and its database
 * URL, for tests that start a second server on the same database).
 */
export const useServer = (driver: (typeof drivers)[number], extra: Partial<ServerOptions> = {}): TestServer & { url: string } => {
  let database: TestDatabase | undefined
  let current: (TestServer & { url: string }) | undefined
  beforeAll(async () => {
    database = await driver.open()
    current = { ...(await startServer(database.url, extra)), url: database.url }
  })
  afterAll(async () => {
    await current?.server.close()
    await database?.drop()
  })
  return new Proxy({} as TestServer & { url: string }, {
    get: (_, key) => {
      if (!current) throw new Error('useServer: the server starts in beforeAll; use it inside tests')
      return current[key as keyof typeof current]
    },
  })
}
