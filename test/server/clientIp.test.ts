/**
 * Behind a trusted proxy the client IP is the `X-Forwarded-For` hop that proxy appended (the
 * last one): the hops before it are whatever the client sent, and must not choose its rate-limit
 * bucket or the IP in the audit log.
 */
import { describe, expect, it } from 'vitest'
import { ADMIN_KEY, SITE, auth, drivers, newVisitor, useServer, visitorId } from './helpers'

describe.each(drivers)('X-Forwarded-For behind a trusted proxy ($name)', (driver) => {
  const t = useServer(driver, { trustProxy: true, rateLimits: { ip: { rate: 1, burst: 5 }, visitor: false } })

  it('a client that forges earlier hops still gets its own bucket: 5 pass, then 429', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) {
      const answer = await t.request('POST', '/v1/collect', {
        body: { site: SITE, visitor: visitorId(), events: [] },
        headers: { 'x-forwarded-for': `10.0.0.${i}, 203.0.113.9` },
      })
      statuses.push(answer.status)
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429])
  })

  it("the audit log keeps the proxy's hop, not the client's", async () => {
    const v = await newVisitor(t)
    const read = await t.request('GET', `/v1/admin/sites/${SITE}/visitors/${v.visitor}`, {
      headers: { ...auth(ADMIN_KEY), 'x-forwarded-for': '192.0.2.66, 198.51.100.7' },
    })
    expect(read.status).toBe(200)
    const rows = await t.sql<{ ip: string }>(`SELECT ip FROM audit_log WHERE site = $1 AND subject = $2 AND action = 'read'`, [SITE, v.visitor])
    expect(rows).toEqual([{ ip: '198.51.100.7' }])
  })
})
