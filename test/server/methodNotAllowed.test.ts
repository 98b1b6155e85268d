/**
 * A known path asked with a method it does not answer is 405 with `Allow` listing those it
 * does (RFC 9110 §15.5.6); an unknown path stays 404 `no_route`.
 */
import { describe, expect, it } from 'vitest'
import { ADMIN_KEY, SITE, auth, drivers, useServer } from './helpers'

const CASES: { method: string; path: string; allow: string[] }[] = [
  { method: 'GET', path: '/v1/collect', allow: ['OPTIONS', 'POST'] },
  { method: 'POST', path: `/v1/profile?site=${SITE}`, allow: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PUT'] },
  { method: 'PATCH', path: '/v1/profile', allow: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PUT'] },
  { method: 'POST', path: `/v1/sites/${SITE}/config`, allow: ['GET', 'HEAD', 'OPTIONS'] },
  { method: 'PUT', path: '/v1/identify', allow: ['OPTIONS', 'POST'] },
  { method: 'POST', path: '/healthz', allow: ['GET', 'HEAD'] },
  { method: 'DELETE', path: `/v1/admin/sites/${SITE}/config`, allow: ['GET', 'HEAD', 'PUT'] },
]

describe.each(drivers)('wrong method ($name)', (driver) => {
  const t = useServer(driver)

  it.each(CASES)('$method $path → 405, Allow: $allow', async ({ method, path, allow }) => {
    const answer = await t.request(method, path, { headers: auth(ADMIN_KEY) })
    expect(answer.status).toBe(405)
    expect(answer.body).toEqual({ error: 'method_not_allowed' })
    expect(answer.headers.get('allow')?.split(', ').sort()).toEqual(allow)
  })

  it('an unknown path is still 404 no_route, without Allow', async () => {
    const answer = await t.request('GET', '/v1/nothing-here')
    expect(answer.status).toBe(404)
    expect(answer.body).toEqual({ error: 'not_found', reason: 'no_route' })
    expect(answer.headers.get('allow')).toBeNull()
  })
})
