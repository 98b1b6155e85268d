import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { SITE, drivers, event, events, newVisitor, read, visitorId, useServer } from './helpers'

const HOUR = 3600_000
const DAY = 24 * HOUR

describe.each(drivers)('POST /v1/collect ($name)', (driver) => {
  const t = useServer(driver)

  const collect = (body: unknown) => t.request('POST', '/v1/collect', { body })
  const stored = (visitor: string) => t.count('events', 'site = $1 AND visitor = $2', [SITE, visitor])

  it('stores a batch once: the same batch again is all duplicates, and the count is exact', async () => {
    const { visitor, token } = await newVisitor(t)
    const batch = events(50)
    const first = await collect({ site: SITE, visitor, token, events: batch })
    expect(first.body).toEqual({ accepted: 50, duplicates: 0, rejected: 0 })
    const again = await collect({ site: SITE, visitor, token, events: batch })
    expect(again.body).toEqual({ accepted: 0, duplicates: 50, rejected: 0 })
    // newVisitor stored one event of its own.
    expect(await stored(visitor)).toBe(51)
  })

  it('a batch holding the same event twice stores it once', async () => {
    const { visitor, token } = await newVisitor(t)
    const e = event()
    const answer = await collect({ site: SITE, visitor, token, events: [e, e, e] })
    expect(answer.body).toEqual({ accepted: 1, duplicates: 2, rejected: 0 })
  })

  it('concurrent retries of one batch store it exactly once', async () => {
    const { visitor, token } = await newVisitor(t)
    const batch = events(20)
    const answers = await Promise.all(Array.from({ length: 5 }, () => collect({ site: SITE, visitor, token, events: batch })))
    expect(answers.every((a) => a.status === 200)).toBe(true)
    expect(answers.reduce((sum, a) => sum + a.body.accepted, 0)).toBe(20)
    expect(await stored(visitor)).toBe(21)
  })

  it('lost acknowledgement: the server commits, the answer is lost 3 times, the client retries → 0 doubles', async () => {
    // A proxy in front of the real app that lets the first three answers vanish after the commit.
    let lost = 0
    const front = new Hono()
    front.use('*', async (c, next) => {
      await next()
      if (lost < 3) {
        lost++
        c.res = new Response('upstream reset', { status: 502 })
      }
    })
    front.route('/', t.server.app)
    const { visitor, token } = await newVisitor(t)
    const batch = events(30)
    const statuses: number[] = []
    let answer
    for (let attempt = 0; attempt < 4; attempt++) {
      answer = await read(await front.request('/v1/collect', { method: 'POST', body: JSON.stringify({ site: SITE, visitor, token, events: batch }) }))
      statuses.push(answer.status)
      if (answer.status === 200) break
    }
    expect(statuses).toEqual([502, 502, 502, 200])
    expect(answer?.body).toEqual({ accepted: 0, duplicates: 30, rejected: 0 })
    expect(await stored(visitor)).toBe(31)
    const ids = await t.sql<{ n: number }>('SELECT count(DISTINCT event_id)::int AS n FROM events WHERE site = $1 AND visitor = $2', [SITE, visitor])
    expect(ids[0]?.n).toBe(31)
  })

  it.each([
    { name: 'an event over 32 KB', make: () => event({ props: { pad: 'x'.repeat(33 * 1024) } }), reason: 'too_large' },
    { name: 'an event dated more than 24 h ahead', make: () => event({ ts: Date.now() + DAY + HOUR }), reason: 'future' },
    { name: 'an event older than 7 days + 1 h', make: () => event({ ts: Date.now() - 7 * DAY - 2 * HOUR }), reason: 'too_old' },
  ])('rejects $name, counts it, and stores the rest', async ({ make, reason }) => {
    const { visitor, token } = await newVisitor(t)
    const before = t.server.metrics.get('attune_events_rejected_total', { reason })
    const good = events(3)
    const answer = await collect({ site: SITE, visitor, token, events: [good[0], make(), good[1], good[2]] })
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ accepted: 3, duplicates: 0, rejected: 1 })
    expect(await stored(visitor)).toBe(4)
    expect(t.server.metrics.get('attune_events_rejected_total', { reason })).toBe(before + 1)
  })

  it('accepts events at the edges: 24 h ahead, 7 days old, exactly 500 per request', async () => {
    const { visitor, token } = await newVisitor(t)
    const batch = [event({ ts: Date.now() + DAY - 60_000 }), event({ ts: Date.now() - 7 * DAY }), ...events(498)]
    const answer = await collect({ site: SITE, visitor, token, events: batch })
    expect(answer.body).toEqual({ accepted: 500, duplicates: 0, rejected: 0 })
  })

  it('stores what was sent: name, props, ts, session', async () => {
    const { visitor, token } = await newVisitor(t)
    const e = event({ name: 'product_viewed', props: { sku: 'a-1', price: 9.5, tags: ['x'], nested: { ok: true } }, session: 's-1', ts: 1_700_000_000_000 })
    e.ts = Date.now() - 1000
    await collect({ site: SITE, visitor, token, events: [e] })
    const [row] = await t.sql('SELECT event_id AS id, name, props, ts::float8 AS ts, session FROM events WHERE site = $1 AND event_id = $2', [SITE, e.id])
    expect(row).toEqual({ id: e.id, name: 'product_viewed', props: e.props, ts: e.ts, session: 's-1' })
  })

  const PROTO_BODIES = [
    { where: 'the envelope', body: (v: string) => `{"site":"${SITE}","visitor":"${v}","events":[],"__proto__":{"polluted":1}}` },
    { where: 'an event', body: (v: string) => `{"site":"${SITE}","visitor":"${v}","events":[{"id":"${event().id}","name":"x","props":{},"ts":${Date.now()},"constructor":{}}]}` },
    { where: 'props', body: (v: string) => `{"site":"${SITE}","visitor":"${v}","events":[{"id":"${event().id}","name":"x","props":{"__proto__":{"isAdmin":true}},"ts":${Date.now()}}]}` },
    { where: 'deep in props', body: (v: string) => `{"site":"${SITE}","visitor":"${v}","events":[{"id":"${event().id}","name":"x","props":{"a":[{"b":{"prototype":1}}]},"ts":${Date.now()}}]}` },
    { where: 'dropped', body: (v: string) => `{"site":"${SITE}","visitor":"${v}","events":[],"dropped":{"__proto__":1}}` },
    { where: 'a key spelt with escapes', body: (v: string) => `{"site":"${SITE}","visitor":"${v}","events":[],"\\u005f_proto__":{}}` },
  ]

  it.each(PROTO_BODIES)('refuses a __proto__/constructor/prototype key in $where with 400 and stores nothing', async ({ body }) => {
    const visitor = visitorId()
    const answer = await t.request('POST', '/v1/collect', { body: body(visitor) })
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ error: 'bad_request', reason: expect.stringMatching(/forbidden_key|unknown_field/) })
    expect(await stored(visitor)).toBe(0)
    expect(await t.count('visitors', 'site = $1 AND visitor = $2', [SITE, visitor])).toBe(0)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it.each([
    { name: 'NUL in a string', body: (v: string) => `{"site":"${SITE}","visitor":"${v}","events":[{"id":"${event().id}","name":"a\\u0000b","props":{},"ts":${Date.now()}}]}`, reason: 'nul_character' },
    { name: 'nesting 60 deep', body: (v: string) => `{"site":"${SITE}","visitor":"${v}","events":[{"id":"${event().id}","name":"x","props":{"a":${'['.repeat(60)}${']'.repeat(60)}},"ts":${Date.now()}}]}`, reason: 'too_deep' },
    { name: 'invalid UTF-8', body: () => new Uint8Array([0x7b, 0xff, 0x7d]), reason: 'invalid_json' },
  ])('refuses $name with 400 and stores nothing', async ({ body, reason }) => {
    const visitor = visitorId()
    const raw = body(visitor)
    const answer = await t.request('POST', '/v1/collect', { raw, headers: { 'content-type': 'text/plain' } })
    expect(answer.status).toBe(400)
    expect(answer.body.reason).toBe(reason)
    expect(await stored(visitor)).toBe(0)
  })

  it('a whole-request 400 stores none of the batch, not even its valid events', async () => {
    const { visitor, token } = await newVisitor(t)
    const answer = await collect({ site: SITE, visitor, token, events: [...events(10), { ...event(), extra: true }] })
    expect(answer.status).toBe(400)
    expect(answer.body.reason).toBe('unknown_field')
    expect(answer.body.message).toContain('events.10')
    expect(await stored(visitor)).toBe(1)
  })

  it('metrics move: accepted, duplicates, client drops, rejected requests', async () => {
    const m = () => t.request('GET', '/metrics').then((a) => a.text)
    const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
    const before = await m()
    const { visitor, token } = await newVisitor(t)
    const batch = events(4)
    await collect({ site: SITE, visitor, token, events: batch, dropped: { overflow: 3, status_400: 2 } })
    await collect({ site: SITE, visitor, token, events: batch })
    await collect({ site: SITE, visitor: 'nope', events: [] })
    const after = await m()
    expect(value(after, 'attune_events_accepted_total') - value(before, 'attune_events_accepted_total')).toBe(5)
    expect(value(after, 'attune_events_duplicate_total') - value(before, 'attune_events_duplicate_total')).toBe(4)
    expect(value(after, 'attune_client_dropped_total{reason="overflow"}') - value(before, 'attune_client_dropped_total{reason="overflow"}')).toBe(3)
    expect(value(after, 'attune_client_dropped_total{reason="status_400"}') - value(before, 'attune_client_dropped_total{reason="status_400"}')).toBe(2)
    expect(value(after, 'attune_requests_rejected_total{status="400",reason="schema"}') - value(before, 'attune_requests_rejected_total{status="400",reason="schema"}')).toBe(1)
    expect(after).toContain('# TYPE attune_events_accepted_total counter')
  })

  it('client drop reasons cannot grow /metrics without bound', async () => {
    const { visitor, token } = await newVisitor(t)
    for (let i = 0; i < 8; i++) {
      const dropped = Object.fromEntries(Array.from({ length: 32 }, (_, j) => [`reason ${i}-${j} "x"\n`, 1]))
      expect((await collect({ site: SITE, visitor, token, events: [], dropped })).status).toBe(200)
    }
    const text = (await t.request('GET', '/metrics')).text
    const series = text.split('\n').filter((l) => l.startsWith('attune_client_dropped_total{'))
    expect(series.length).toBeLessThanOrEqual(101)
    expect(series.every((l) => /^attune_client_dropped_total\{reason="[a-z0-9_]+"\} \d+$/.test(l))).toBe(true)
  })
})
