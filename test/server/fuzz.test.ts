import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Answer, TestDatabase, TestServer } from './helpers'
import { SITE, drivers, event, newVisitor, startServer } from './helpers'

const KEYS = ['site', 'visitor', 'token', 'events', 'dropped', 'id', 'name', 'props', 'ts', 'session', '__proto__', 'constructor', 'prototype', 'toString', '']

/** Anything JSON can hold, with our own field names and the dangerous ones mixed in. */
const value = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    fc.constantFrom(0, -1, 1e21, -1e21, Number.MAX_SAFE_INTEGER + 2, Date.now(), Date.now() + 1e12),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('', '\u0000', '\ud800', 'x'.repeat(300), '018f3c4e-8a2b-7c3d-9e4f-0a1b2c3d4e5f'),
    fc.array(tie('any'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), tie('any'), { maxKeys: 5 }),
  ),
})).any

/** Near-valid envelopes: the right shape with one or more fields replaced by anything. */
const envelope = (visitor: string, token: string) =>
  fc
    .record(
      {
        site: fc.oneof(fc.constant(SITE), value),
        visitor: fc.oneof(fc.constant(visitor), value),
        token: fc.oneof(fc.constant(token), value),
        events: fc.oneof(
          fc.array(
            fc.oneof(
              fc.constant(null).map(() => event()),
              fc.record({ id: fc.oneof(fc.constant(null).map(() => event().id), value), name: value, props: value, ts: value, session: value }, { requiredKeys: [] }),
              value,
            ),
            { maxLength: 5 },
          ),
          value,
        ),
        dropped: value,
        extra: value,
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body))

/** Strings heavy in what storage chokes on: NUL, lone surrogates, escapes, emoji. */
const nasty = fc.string({ unit: fc.constantFrom('a', '\u0000', '\ud800', '\udc00', '😀', '\\', '"', '\u2028', 'é'), minLength: 1, maxLength: 8 })

/** Valid envelopes and events whose free-form parts (name, session, props) are nasty. */
const freeForm = (visitor: string, token: string) =>
  fc
    .record({
      name: nasty,
      session: fc.option(nasty, { nil: undefined }),
      props: fc.dictionary(nasty, fc.oneof(nasty, value), { maxKeys: 4 }),
      dropped: fc.option(fc.dictionary(nasty, fc.nat(), { maxKeys: 3 }), { nil: undefined }),
    })
    .map(({ name, session, props, dropped }) =>
      JSON.stringify({ site: SITE, visitor, token, events: [{ ...event({ name, props }), ...(session === undefined ? {} : { session }) }], ...(dropped ? { dropped } : {}) }),
    )

/** Bytes that are mostly not JSON at all. */
const garbage = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'binary-ascii' }).map((s) => `{"site":"${SITE}",${s}`),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)),
)

describe.each(drivers)('collect fuzz: bad input never crashes the server ($name)', (driver) => {
  let database: TestDatabase
  let t: TestServer
  let known: { visitor: string; token: string }
  beforeAll(async () => {
    database = await driver.open()
    t = await startServer(database.url)
    known = await newVisitor(t)
  })
  afterAll(async () => {
    await t.server.close()
    await database.drop()
  })

  const check = (answer: Answer) => {
    expect([200, 400, 401, 403, 404, 413, 415], answer.text).toContain(answer.status)
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
    if (answer.status === 200) expect(answer.body).toMatchObject({ accepted: expect.any(Number), duplicates: expect.any(Number), rejected: expect.any(Number) })
    else expect(typeof answer.body.error).toBe('string')
  }

  it('near-valid envelopes (300 runs) → always 200 or 4xx JSON, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(envelope(known.visitor, known.token), async (body) => check(await t.request('POST', '/v1/collect', { body }))),
      { numRuns: 300 },
    )
  })

  it('valid envelopes with nasty strings in name, session, props and drop reasons (200 runs) → 200 or 400', async () => {
    await fc.assert(
      fc.asyncProperty(freeForm(known.visitor, known.token), async (body) => {
        const answer = await t.request('POST', '/v1/collect', { body })
        check(answer)
        expect([200, 400], answer.text).toContain(answer.status)
      }),
      { numRuns: 200 },
    )
  })

  it('garbage and truncated JSON (200 runs) → always 4xx JSON', async () => {
    await fc.assert(
      fc.asyncProperty(garbage, fc.constantFrom('text/plain;charset=UTF-8', 'application/json', 'text/plain'), async (body, type) =>
        check(await t.request('POST', '/v1/collect', { raw: body, headers: { 'content-type': type } })),
      ),
      { numRuns: 200 },
    )
  })

  it('random device entries on PUT /v1/profile (100 runs) → never 500', async () => {
    await fc.assert(
      fc.asyncProperty(value, fc.oneof(fc.string(), fc.constantFrom('d', '__proto__', '')), async (entry, device) => {
        const answer = await t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: known.visitor, device, entry }, headers: { authorization: `Bearer ${known.token}` } })
        expect([200, 400, 409, 413], answer.text).toContain(answer.status)
      }),
      { numRuns: 100 },
    )
  })

  it('the server is healthy afterwards and stored only valid events', async () => {
    expect((await t.request('GET', '/healthz')).status).toBe(200)
    const bad = await t.count('events', "NOT (event_id::text ~ '^[0-9a-f-]{36}$') OR name = '' OR ts < 0")
    expect(bad).toBe(0)
    expect(t.server.metrics.get('attune_requests_rejected_total', { status: 500, reason: 'internal' })).toBe(0)
  })
})
