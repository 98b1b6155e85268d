/**
 * Strings from a path or a query string reach PostgreSQL as text, which cannot hold U+0000: a
 * NUL in them is 400 `schema`, not a failed query (500). Bodies are covered by readJson.
 */
import { describe, expect, it } from 'vitest'
import { ADMIN_KEY, SITE, auth, drivers, useServer } from './helpers'

const ADMIN = `/v1/admin/sites/${SITE}`

const CASES: { method: string; path: string }[] = [
  { method: 'GET', path: `${ADMIN}/users/a%00b` },
  { method: 'GET', path: `${ADMIN}/users/a%00b/export` },
  { method: 'DELETE', path: `${ADMIN}/users/a%00b` },
  { method: 'GET', path: `${ADMIN}/experiments/a%00b` },
  { method: 'GET', path: `${ADMIN}/funnels?steps=product_viewed,a%00b` },
  { method: 'GET', path: `${ADMIN}/funnels?by=variant&experiment=a%00b` },
  { method: 'GET', path: `${ADMIN}/series?metric=conversions&goal=a%00b` },
]

describe.each(drivers)('NUL in a path or query string ($name)', (driver) => {
  const t = useServer(driver)

  it.each(CASES)('$method $path → 400 schema', async ({ method, path }) => {
    const answer = await t.request(method, path, { headers: auth(ADMIN_KEY) })
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ error: 'bad_request', reason: 'schema', message: expect.stringContaining('U+0000') })
  })
})
