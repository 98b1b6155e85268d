import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { TestServer } from './helpers'
import { ADMIN_KEY, ORIGIN, OTHER_ORIGIN, OTHER_SITE, SECRET, SITE, auth, drivers, newVisitor, useServer } from './helpers'

/** The injected clock, epoch ms: tests move it to expire tokens. */
let clock = Date.UTC(2026, 0, 1)

const mint = (t: TestServer, body?: unknown, site = SITE) =>
  t.request('POST', `/v1/admin/sites/${site}/preview-tokens`, { body, headers: auth(ADMIN_KEY) })

const check = (t: TestServer, token: string | undefined, site = SITE, origin?: string) =>
  t.request('GET', `/v1/sites/${site}/preview`, { headers: { ...(token !== undefined && auth(token)), ...(origin && { origin }) } })

/** Part `i` of a token (0 version, 1 site, 2 exp, 3 id, 4 note, 5 MAC; the site of these tests has no dot). */
const withPart = (token: string, i: number, value: string): string => {
  const parts = token.split('.')
  parts[i] = value
  return parts.join('.')
}

/** Another base64url character in place of the first. */
const flipFirst = (s: string): string => (s[0] === 'A' ? 'B' : 'A') + s.slice(1)

describe.each(drivers)('preview tokens ($name)', (driver) => {
  const t = useServer(driver, { now: () => clock })

  const fresh = async (body?: unknown): Promise<string> => {
    const answer = await mint(t, body)
    expect(answer.status).toBe(201)
    return answer.body.token as string
  }

  it('the admin API mints a token for the site, valid for an hour by default', async () => {
    const answer = await mint(t, {})
    expect(answer.status).toBe(201)
    expect(answer.headers.get('cache-control')).toBe('no-store')
    expect(answer.body.token).toMatch(/^ap1\.shop-1\.\d+\.[\w-]{22}\.[\w-]*\.[\w-]{43}$/)
    expect(answer.body.expiresAt).toBe(Math.floor(clock / 1000) * 1000 + 3600_000)
    expect(Object.keys(answer.body).sort()).toEqual(['expiresAt', 'id', 'token'])
    expect(answer.body.id).toBe(answer.body.token.split('.')[3])
  })

  it('a revoked token is refused from then on (401 revoked_preview_token); the others still open the overlay', async () => {
    const revoked = (await mint(t, { note: 'lost laptop' })).body
    const kept = await fresh()
    expect((await check(t, revoked.token)).status).toBe(200)
    const revoke = (id: string, key = ADMIN_KEY, site = SITE) =>
      t.request('DELETE', `/v1/admin/sites/${site}/preview-tokens/${id}`, { headers: auth(key) })
    expect((await revoke(revoked.id, 'not-the-key')).status).toBe(401)
    expect((await check(t, revoked.token)).status).toBe(200)
    const answer = await revoke(revoked.id)
    expect(answer.status).toBe(204)
    const refused = await check(t, revoked.token)
    expect([refused.status, refused.body.reason]).toEqual([401, 'revoked_preview_token'])
    expect((await check(t, kept)).status).toBe(200)
    // Again, or an id never minted: the same 204. A malformed id: 400; an unknown site: 404.
    expect((await revoke(revoked.id)).status).toBe(204)
    expect((await revoke('A'.repeat(22))).status).toBe(204)
    expect((await revoke('short')).status).toBe(400)
    expect((await revoke(revoked.id, ADMIN_KEY, 'no-such-site')).status).toBe(404)
    // Revocations outlive every token minted before them, then go.
    const rows = () => t.count('preview_revocations', 'site = $1', [SITE])
    expect(await rows()).toBe(2)
    clock += 86_400_000 + 1000
    expect((await revoke(kept.split('.')[3] as string)).status).toBe(204)
    expect(await rows()).toBe(1)
  })

  it('an empty body is the defaults, and every token is different', async () => {
    const a = await t.request('POST', `/v1/admin/sites/${SITE}/preview-tokens`, { headers: auth(ADMIN_KEY) })
    const b = await t.request('POST', `/v1/admin/sites/${SITE}/preview-tokens`, { headers: auth(ADMIN_KEY) })
    expect([a.status, b.status]).toEqual([201, 201])
    expect(a.body.expiresAt).toBe(b.body.expiresAt)
    expect(a.body.token).not.toBe(b.body.token)
  })

  it('the token verifies for its site: 200 with site, expiry and note', async () => {
    const minted = await mint(t, { ttlSeconds: 600, note: 'QA of the spring hero — Ana' })
    const answer = await check(t, minted.body.token)
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({ site: SITE, expiresAt: minted.body.expiresAt, note: 'QA of the spring hero — Ana' })
    expect(answer.body.expiresAt).toBe(Math.floor(clock / 1000) * 1000 + 600_000)
    expect(answer.headers.get('cache-control')).toBe('no-store')
  })

  it.each([
    { name: 'ttl over a day', body: { ttlSeconds: 86_401 }, reason: 'schema' },
    { name: 'ttl of zero', body: { ttlSeconds: 0 }, reason: 'schema' },
    { name: 'fractional ttl', body: { ttlSeconds: 1.5 }, reason: 'schema' },
    { name: 'note too long', body: { note: 'x'.repeat(201) }, reason: 'schema' },
    { name: 'unknown field', body: { alg: 'none' }, reason: 'unknown_field' },
    { name: 'not JSON', body: '{ttl', reason: 'invalid_json' },
  ])('minting with $name → 400 $reason', async ({ body, reason }) => {
    const answer = await mint(t, body)
    expect(answer.status).toBe(400)
    expect(answer.body.reason).toBe(reason)
  })

  it('a day is the longest a token may live', async () => {
    const answer = await mint(t, { ttlSeconds: 86_400 })
    expect(answer.status).toBe(201)
    expect(answer.body.expiresAt).toBe(Math.floor(clock / 1000) * 1000 + 86_400_000)
  })

  it('minting for an unknown site → 404 unknown_site', async () => {
    const answer = await mint(t, {}, 'no-such-site')
    expect(answer.status).toBe(404)
    expect(answer.body.reason).toBe('unknown_site')
  })

  it.each([
    { name: 'no admin key', headers: {} },
    { name: 'a wrong admin key', headers: auth('admin-key-0123456789x') },
    { name: 'a visitor-style Basic header', headers: { authorization: `Basic ${ADMIN_KEY}` } },
  ])('minting with $name → 401 bad_admin_key, no token', async ({ headers }) => {
    const answer = await t.request('POST', `/v1/admin/sites/${SITE}/preview-tokens`, { body: {}, headers })
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual({ error: 'unauthorized', reason: 'bad_admin_key' })
  })

  it('a preview token is not an admin key', async () => {
    const token = await fresh()
    const answer = await t.request('POST', `/v1/admin/sites/${SITE}/preview-tokens`, { body: {}, headers: auth(token) })
    expect(answer.status).toBe(401)
  })

  it.each([
    { part: 'version', change: (x: string) => withPart(x, 0, 'ap2') },
    { part: 'site', change: (x: string) => withPart(x, 1, OTHER_SITE) },
    { part: 'expiry', change: (x: string) => withPart(x, 2, String(Number(x.split('.')[2]) + 86_400)) },
    { part: 'id', change: (x: string) => withPart(x, 3, flipFirst(x.split('.')[3] as string)) },
    { part: 'note', change: (x: string) => withPart(x, 4, Buffer.from('someone else').toString('base64url')) },
    { part: 'MAC', change: (x: string) => withPart(x, 5, flipFirst(x.split('.')[5] as string)) },
    { part: 'MAC (zeroed)', change: (x: string) => withPart(x, 5, 'A'.repeat(43)) },
  ])('a token with its $part changed → 401 bad_preview_token', async ({ change }) => {
    const token = await fresh({ note: 'QA' })
    expect((await check(t, token)).status).toBe(200)
    const answer = await check(t, change(token))
    expect(answer.status).toBe(401)
    expect(answer.body).toEqual({ error: 'unauthorized', reason: 'bad_preview_token' })
  })

  it.each([
    { name: 'truncated', change: (x: string) => x.slice(0, -1) },
    { name: 'cut before its MAC', change: (x: string) => x.slice(0, x.lastIndexOf('.')) },
    { name: 'with an empty MAC', change: (x: string) => withPart(x, 5, '') },
    { name: 'padded', change: (x: string) => `${x}=` },
    { name: 'prefixed', change: (x: string) => `x${x}` },
    { name: 'a JWT with alg none', change: () => `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(`{"site":"${SITE}","exp":9999999999}`).toString('base64url')}.` },
    { name: 'a JWT with alg HS256 and no MAC', change: () => `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(`{"site":"${SITE}"}`).toString('base64url')}` },
    { name: 'empty', change: () => '' },
  ])('a token $name → 401 bad_preview_token', async ({ change }) => {
    const answer = await check(t, change(await fresh()))
    expect(answer.status).toBe(401)
    expect(answer.body.reason).toBe('bad_preview_token')
  })

  it('no Authorization, or not a bearer → 401 bad_preview_token', async () => {
    const token = await fresh()
    const tries: Record<string, string>[] = [{}, { authorization: `Basic ${token}` }, { authorization: `Bearer ${token} extra` }]
    for (const headers of tries) {
      const answer = await t.request('GET', `/v1/sites/${SITE}/preview`, { headers })
      expect(answer.status).toBe(401)
      expect(answer.body.reason).toBe('bad_preview_token')
    }
  })

  it('a token of one site is refused by another', async () => {
    const theirs = await mint(t, {}, OTHER_SITE)
    expect((await check(t, theirs.body.token, OTHER_SITE)).status).toBe(200)
    const answer = await check(t, theirs.body.token, SITE)
    expect(answer.status).toBe(401)
    expect(answer.body.reason).toBe('bad_preview_token')
    // Nor does rewriting the site inside the token help: the MAC covers it.
    const rewritten = await check(t, withPart(theirs.body.token, 1, SITE), SITE)
    expect(rewritten.body.reason).toBe('bad_preview_token')
  })

  it('a token signed with the server secret itself (the visitor-token key) is refused: keys are domain-separated', async () => {
    const token = await fresh({ note: 'n' })
    const [, site, exp, id, note] = token.split('.')
    const body = `ap1|${site}|${exp}|${id}|${Buffer.from(note as string, 'base64url').toString()}`
    const forged = withPart(token, 5, createHmac('sha256', SECRET).update(body).digest('base64url'))
    expect((await check(t, forged)).body.reason).toBe('bad_preview_token')
  })

  it('a visitor token is not a preview token', async () => {
    const { token } = await newVisitor(t)
    const answer = await check(t, token)
    expect(answer.status).toBe(401)
    expect(answer.body.reason).toBe('bad_preview_token')
  })

  it('a token is valid until its expiry, then 401 expired_preview_token', async () => {
    const minted = await mint(t, { ttlSeconds: 60 })
    const start = clock
    try {
      clock = minted.body.expiresAt - 1000
      expect((await check(t, minted.body.token)).status).toBe(200)
      clock = minted.body.expiresAt
      const answer = await check(t, minted.body.token)
      expect(answer.status).toBe(401)
      expect(answer.body).toEqual({ error: 'unauthorized', reason: 'expired_preview_token' })
      // A tampered expired token says nothing about expiry: it is just bad.
      const tampered = withPart(minted.body.token, 3, flipFirst(minted.body.token.split('.')[3]))
      expect((await check(t, tampered)).body.reason).toBe('bad_preview_token')
    } finally {
      clock = start
    }
  })

  it("an allowed Origin reads the answer, the site's own CORS rules", async () => {
    const token = await fresh()
    const ok = await check(t, token, SITE, ORIGIN)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(ok.headers.get('vary')).toMatch(/Origin/)
    const refused = await check(t, 'bad', SITE, ORIGIN)
    expect(refused.status).toBe(401)
    // The page can read why (so the overlay can say so), but learns nothing else.
    expect(refused.headers.get('access-control-allow-origin')).toBe(ORIGIN)
  })

  it('a foreign Origin → 403 forbidden_origin without Access-Control-Allow-Origin, even with a valid token', async () => {
    const token = await fresh()
    for (const origin of [OTHER_ORIGIN, 'null', 'https://shop.example.evil.com']) {
      const answer = await check(t, token, SITE, origin)
      expect(answer.status).toBe(403)
      expect(answer.body).toEqual({ error: 'forbidden_origin' })
      expect(answer.headers.get('access-control-allow-origin')).toBeNull()
      expect(answer.headers.get('access-control-allow-credentials')).toBeNull()
    }
  })

  it('an unknown site → 404, before any token is looked at', async () => {
    const answer = await check(t, await fresh(), 'no-such-site')
    expect(answer.status).toBe(404)
    expect(answer.body.reason).toBe('unknown_site')
  })

  it('the preflight lets an allowed Origin send Authorization, and refuses a foreign one', async () => {
    const headers = { 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' }
    const ok = await t.request('OPTIONS', `/v1/sites/${SITE}/preview`, { headers: { ...headers, origin: ORIGIN } })
    expect(ok.status).toBe(204)
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/Authorization/)
    expect(ok.headers.get('access-control-allow-methods')).toBe('GET')
    const foreign = await t.request('OPTIONS', `/v1/sites/${SITE}/preview`, { headers: { ...headers, origin: OTHER_ORIGIN } })
    expect(foreign.status).toBe(403)
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
  })
})
