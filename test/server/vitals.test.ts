import { describe, expect, it } from 'vitest'
import { ADMIN_KEY, auth, drivers, event, newVisitor, useServer, type TestServer } from './helpers'

const DAY = 24 * 3600_000

/**
 * The reference p75, computed here rather than asked of the database: linear interpolation
 * between the closest ranks, as PostgreSQL's `percentile_cont` defines it.
 */
const p75 = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const at = 0.75 * (sorted.length - 1)
  const low = Math.floor(at)
  const a = sorted[low] as number
  const b = sorted[Math.min(low + 1, sorted.length - 1)] as number
  return a + (b - a) * (at - low)
}

/** A `web_vital` event as `attune/vitals` sends it. */
const vital = (metric: string, value: unknown, variants: unknown, over: { id?: string; ts?: number } = {}) =>
  event({
    name: 'web_vital',
    ts: over.ts ?? Date.now() - 1000,
    props: { metric, value, rating: 'good', navigationType: 'navigate', id: over.id ?? `v6-${crypto.randomUUID()}`, variants, attribution: {} },
  })

describe.each(drivers)('GET /v1/admin/sites/:site/vitals ($name)', (driver) => {
  const t = useServer(driver)

  const admin = (method: string, path: string, body?: unknown) => t.request(method, `/v1/admin${path}`, { body, headers: auth(ADMIN_KEY) })
  /** A site of its own for one test, so tests do not see each other's events. */
  const freshSite = async (name: string): Promise<string> => {
    expect((await admin('PUT', `/sites/${name}/config`, { config: {} })).status).toBe(200)
    return name
  }
  /** Sends `events` as one new visitor of `site`, through collect. */
  const send = async (server: TestServer, site: string, events: unknown[]): Promise<void> => {
    const { visitor, token } = await newVisitor(server, site)
    const answer = await server.request('POST', '/v1/collect', { body: { site, visitor, token, events } })
    expect(answer.body).toMatchObject({ accepted: events.length, rejected: 0 })
  }

  it('a site without web_vital events answers an empty list, not NaN', async () => {
    const site = await freshSite('vitals-empty')
    await send(t, site, [event()])
    const answer = await admin('GET', `/sites/${site}/vitals?since=0`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ site, since: 0, slots: [] })
  })

  it('p75 per slot, variant and metric equals the reference computed from the raw values', async () => {
    const site = await freshSite('vitals-p75')
    // Page views: hero showed `running`, `sale` or its default; banner showed `vip` or its default.
    const views: Array<{ variants: Record<string, string | null>; LCP: number; CLS: number; INP: number }> = [
      { variants: { hero: 'running', banner: null }, LCP: 1200, CLS: 0.01, INP: 80 },
      { variants: { hero: 'running', banner: 'vip' }, LCP: 2500, CLS: 0.2, INP: 120 },
      { variants: { hero: 'running', banner: null }, LCP: 1800.5, CLS: 0.05, INP: 240 },
      { variants: { hero: 'running', banner: 'vip' }, LCP: 3000, CLS: 0.13, INP: 56 },
      { variants: { hero: 'sale', banner: null }, LCP: 4100, CLS: 0, INP: 600 },
      { variants: { hero: 'sale', banner: null }, LCP: 900, CLS: 0.31, INP: 32 },
      { variants: { hero: null, banner: 'vip' }, LCP: 1000, CLS: 0.002, INP: 48 },
      { variants: { hero: null }, LCP: 1500.25, CLS: 0.07, INP: 200 },
      { variants: { hero: null }, LCP: 2100, CLS: 0.11, INP: 72 },
    ]
    // Each visitor sends its own views (ids are per metric per page view).
    for (const [i, view] of views.entries()) {
      await send(t, site, (['LCP', 'CLS', 'INP'] as const).map((metric) => vital(metric, view[metric], view.variants, { id: `v6-${i}-${metric}` })))
    }

    const answer = await admin('GET', `/sites/${site}/vitals?since=0`)
    expect(answer.status).toBe(200)

    const expected: Array<{ slot: string; variant: string | null; metric: string; p75: number; count: number }> = []
    for (const slot of ['banner', 'hero']) {
      const variants = [...new Set(views.filter((v) => slot in v.variants).map((v) => v.variants[slot] as string | null))]
      variants.sort((a, b) => (a === null ? -1 : b === null ? 1 : a < b ? -1 : 1))
      for (const variant of variants) {
        for (const metric of ['CLS', 'INP', 'LCP'] as const) {
          const values = views.filter((v) => slot in v.variants && v.variants[slot] === variant).map((v) => v[metric])
          expected.push({ slot, variant, metric, p75: p75(values), count: values.length })
        }
      }
    }
    expect(answer.body.site).toBe(site)
    expect(answer.body.since).toBe(0)
    // Exactly: the same interpolation in float8 and in JavaScript numbers gives the same double.
    expect(answer.body.slots).toEqual(expected)
    // By hand: hero=running LCP over 1200, 1800.5, 2500, 3000 → 2500 + 0.25 × 500; hero=sale INP over 32, 600 → 32 + 0.75 × 568.
    expect(answer.body.slots).toContainEqual({ slot: 'hero', variant: 'running', metric: 'LCP', p75: 2625, count: 4 })
    expect(answer.body.slots).toContainEqual({ slot: 'hero', variant: 'sale', metric: 'INP', p75: 458, count: 2 })
  })

  it('a metric reported again in the same page view counts once, with its newest value', async () => {
    const site = await freshSite('vitals-again')
    const now = Date.now()
    // CLS reported when the tab was first hidden (0.05), then again, grown, when it closed (0.3).
    await send(t, site, [
      vital('CLS', 0.05, { hero: 'running' }, { id: 'v6-same', ts: now - 5000 }),
      vital('CLS', 0.3, { hero: 'running' }, { id: 'v6-same', ts: now - 1000 }),
      vital('CLS', 0.1, { hero: 'running' }, { id: 'v6-other', ts: now - 1000 }),
    ])
    const answer = await admin('GET', `/sites/${site}/vitals?since=0`)
    expect(answer.body.slots).toEqual([{ slot: 'hero', variant: 'running', metric: 'CLS', p75: p75([0.3, 0.1]), count: 2 }])
  })

  it('counts only events since `since`, of this site, named web_vital, of a known shape', async () => {
    const site = await freshSite('vitals-since')
    const other = await freshSite('vitals-other')
    const now = Date.now()
    await send(t, site, [
      vital('LCP', 5000, { hero: 'old' }, { ts: now - 3 * DAY }),
      vital('LCP', 1000, { hero: 'new' }, { ts: now - DAY }),
      // Malformed or foreign: skipped, and they do not fail the query.
      vital('FCP', 100, { hero: 'new' }),
      vital('LCP', '1000', { hero: 'new' }),
      vital('LCP', null, { hero: 'new' }),
      vital('LCP', -5, { hero: 'new' }),
      vital('LCP', 700, ['hero', 'new']),
      vital('LCP', 700, 'hero'),
      vital('LCP', 700, null),
      vital('LCP', 700, { hero: 7, promo: { id: 'x' } }),
      event({ name: 'web_vital', props: { metric: 'LCP' } }),
      event({ name: 'lcp', props: { metric: 'LCP', value: 1, variants: { hero: 'new' } } }),
    ])
    await send(t, other, [vital('LCP', 9000, { hero: 'new' })])
    const answer = await admin('GET', `/sites/${site}/vitals?since=${now - 2 * DAY}`)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ site, since: now - 2 * DAY, slots: [{ slot: 'hero', variant: 'new', metric: 'LCP', p75: 1000, count: 1 }] })
    // Without `since`: the last 28 days, the old event included.
    const all = await admin('GET', `/sites/${site}/vitals`)
    expect(all.body.since).toBeGreaterThan(now - 28 * DAY - 60_000)
    expect(all.body.since).toBeLessThanOrEqual(Date.now() - 28 * DAY)
    expect(all.body.slots.map((row: { variant: string }) => row.variant)).toEqual(['new', 'old'])
  })

  it('refuses bad input: unknown site 404, bad since 400, unknown parameter 400, no or wrong admin key 401', async () => {
    const site = await freshSite('vitals-bad')
    const unknownSite = await admin('GET', '/sites/no-such-site/vitals')
    expect(unknownSite.status).toBe(404)
    expect(unknownSite.body).toEqual({ error: 'not_found', reason: 'unknown_site' })
    for (const since of ['abc', '-1', '1.5', '1e12', '', ' 1', '01', '9999999999999999', '99999999999999999', '0x10']) {
      const answer = await admin('GET', `/sites/${site}/vitals?since=${encodeURIComponent(since)}`)
      expect(answer.status, `since=${since}`).toBe(400)
      expect(answer.body).toMatchObject({ error: 'bad_request', reason: 'schema', message: expect.stringMatching(/^since: /) })
    }
    const unknown = await admin('GET', `/sites/${site}/vitals?since=0&until=1`)
    expect(unknown.status).toBe(400)
    expect(unknown.body.reason).toBe('unknown_field')
    expect((await admin('GET', '/sites/bad%20site/vitals')).status).toBe(400)

    const none = await t.request('GET', `/v1/admin/sites/${site}/vitals`)
    expect(none.status).toBe(401)
    expect(none.body).toEqual({ error: 'unauthorized', reason: 'bad_admin_key' })
    const wrong = await t.request('GET', `/v1/admin/sites/${site}/vitals`, { headers: auth('not-the-admin-key') })
    expect(wrong.status).toBe(401)
    // A visitor token is no admin key either.
    const { token } = await newVisitor(t, site)
    expect((await t.request('GET', `/v1/admin/sites/${site}/vitals`, { headers: auth(token) })).status).toBe(401)
  })
})
