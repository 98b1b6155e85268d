/**
 * Numbers JSON.parse cannot hold (`1e309` becomes Infinity, which would be stored as null) are
 * refused with 400 and a reason, in `props` as anywhere in a body; and server/README.md states
 * the nesting limit the code has.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MAX_DEPTH } from '../../server/src/lib/readJson'
import { ADMIN_KEY, SITE, auth, drivers, event, newVisitor, useServer } from './helpers'

describe.each(drivers)('numbers out of range ($name)', (driver) => {
  const t = useServer(driver)

  it.each(['1e309', '-1e309', '[1, 2e400]', '{"deep": {"er": 123456789e305}}'])('props holding %s → 400 number_out_of_range, nothing stored', async (value) => {
    const { visitor, token } = await newVisitor(t)
    const { id, name, ts } = event()
    const raw = `{"site":"${SITE}","visitor":"${visitor}","token":"${token}","events":[{"id":"${id}","name":"${name}","props":{"x":${value}},"ts":${ts}}]}`
    const answer = await t.request('POST', '/v1/collect', { raw, headers: { 'content-type': 'text/plain' } })
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ error: 'bad_request', reason: 'number_out_of_range' })
    expect(await t.count('events', 'event_id = $1', [id])).toBe(0)
  })

  it('the largest double is still accepted and stored as it is', async () => {
    const { visitor, token } = await newVisitor(t)
    const { id, name, ts } = event()
    const raw = `{"site":"${SITE}","visitor":"${visitor}","token":"${token}","events":[{"id":"${id}","name":"${name}","props":{"x":1.7976931348623157e308},"ts":${ts}}]}`
    expect((await t.request('POST', '/v1/collect', { raw, headers: { 'content-type': 'text/plain' } })).status).toBe(200)
    expect(await t.sql(`SELECT (props->>'x')::float8 AS x FROM events WHERE event_id = $1`, [id])).toEqual([{ x: Number.MAX_VALUE }])
  })

  it('a site config holding 1e309 → 400 number_out_of_range', async () => {
    const raw = '{"config":{"goals":[],"x":1e309}}'
    const answer = await t.request('PUT', `/v1/admin/sites/${SITE}/config`, { raw, headers: { ...auth(ADMIN_KEY), 'content-type': 'application/json' } })
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ reason: 'number_out_of_range' })
  })

  it(`nesting: ${MAX_DEPTH} levels pass the body check, ${MAX_DEPTH + 1} are too_deep`, async () => {
    const body = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`
    const at = await t.request('POST', '/v1/collect', { raw: body(MAX_DEPTH), headers: { 'content-type': 'text/plain' } })
    expect(at.body.reason).toBe('schema')
    const over = await t.request('POST', '/v1/collect', { raw: body(MAX_DEPTH + 1), headers: { 'content-type': 'text/plain' } })
    expect(over.body.reason).toBe('too_deep')
  })
})

describe('server/README.md', () => {
  it('states the nesting limit the code has', () => {
    const readme = readFileSync(new URL('../../server/README.md', import.meta.url), 'utf8')
    const stated = [...readme.matchAll(/depth > (\d+)/g)].map((m) => Number(m[1]))
    expect(stated.length).toBeGreaterThan(0)
    expect(stated.every((n) => n === MAX_DEPTH)).toBe(true)
  })
})
