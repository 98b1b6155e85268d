import { describe, expect, it } from 'vitest'
import { mintToken, verifyToken } from '../../server/src/index'
import { OTHER_SITE, SECRET, SITE, auth, deviceEntry, drivers, event, newVisitor, signUser, startServer, visitorId, useServer } from './helpers'

const nowS = () => Math.floor(Date.now() / 1000)
const flip = (token: string, at: number) => {
  const chars = token.split('')
  const c = chars[at] as string
  chars[at] = c === 'A' ? 'B' : 'A'
  return chars.join('')
}

/**
 * Forged, foreign and broken tokens, each tried on every endpoint that takes one. `status` is
 * what each must get; `reason` the 401's reason.
 */
const FORGERIES: { name: string; token: (own: { visitor: string; token: string }, other: { visitor: string; token: string }) => string; status: number; reason: string }[] = [
  { name: "another visitor's token (same site)", token: (_o, other) => other.token, status: 403, reason: 'other_visitor' },
  { name: "this visitor id's token for another site", token: (o) => mintToken(SECRET, OTHER_SITE, o.visitor, nowS() + 3600), status: 401, reason: 'bad_signature' },
  { name: 'a token signed with another secret', token: (o) => mintToken('not-the-secret', SITE, o.visitor, nowS() + 3600), status: 401, reason: 'bad_signature' },
  { name: 'an expired token', token: (o) => mintToken(SECRET, SITE, o.visitor, nowS() - 1), status: 401, reason: 'expired' },
  { name: 'a token with its expiry pushed forward', token: (o) => o.token.replace(/^v1\.(\d+)\./, (_m, exp: string) => `v1.${Number(exp) + 1000}.`), status: 401, reason: 'bad_signature' },
  { name: 'a truncated token', token: (o) => o.token.slice(0, -1), status: 401, reason: 'malformed' },
  { name: 'a token with a flipped character', token: (o) => flip(o.token, o.token.length - 5), status: 401, reason: 'bad_signature' },
  { name: 'an empty signature', token: (o) => o.token.replace(/[^.]+$/, ''), status: 401, reason: 'malformed' },
  { name: 'a padded signature', token: (o) => `${o.token}=`, status: 401, reason: 'malformed' },
  { name: 'a v0 token', token: (o) => o.token.replace(/^v1/, 'v0'), status: 401, reason: 'malformed' },
  { name: 'an alg:none JWT', token: () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`, status: 401, reason: 'malformed' },
  { name: 'the word none', token: () => 'none', status: 401, reason: 'malformed' },
  { name: 'an empty token', token: () => '', status: 401, reason: 'malformed' },
]

describe.each(drivers)('visitor tokens, IDOR and forgery ($name)', (driver) => {
  const t = useServer(driver)

  const q = (visitor: string) => `?site=${SITE}&visitor=${visitor}`

  /** The same token tried on every endpoint that takes one. */
  const attempts = (visitor: string, token: string) => [
    { endpoint: 'collect', run: () => t.request('POST', '/v1/collect', { body: { site: SITE, visitor, token, events: [event()] } }) },
    { endpoint: 'profile GET', run: () => t.request('GET', `/v1/profile${q(visitor)}`, { headers: auth(token) }) },
    { endpoint: 'profile PUT', run: () => t.request('PUT', '/v1/profile', { body: { site: SITE, visitor, device: 'evil', entry: deviceEntry(99) }, headers: auth(token) }) },
    { endpoint: 'profile DELETE', run: () => t.request('DELETE', `/v1/profile${q(visitor)}`, { headers: auth(token) }) },
    // A good signature: identify checks it before the token (a bad one is 403 bad_signature, whatever the token).
    { endpoint: 'identify', run: () => t.request('POST', '/v1/identify', { body: { site: SITE, visitor, userId: 'x', signature: signUser('x') }, headers: auth(token) }) },
  ]

  it.each(FORGERIES)('$name → $status on every endpoint, and nothing changes', async ({ token, status, reason }) => {
    const own = await newVisitor(t)
    const other = await newVisitor(t)
    const before = await t.count('events', 'site = $1 AND visitor = $2', [SITE, own.visitor])
    for (const attempt of attempts(own.visitor, token(own, other))) {
      const answer = await attempt.run()
      expect({ endpoint: attempt.endpoint, status: answer.status, reason: answer.body?.reason }).toEqual({ endpoint: attempt.endpoint, status, reason })
      expect(answer.body.error).toBe(status === 403 ? 'forbidden' : 'unauthorized')
    }
    expect(await t.count('events', 'site = $1 AND visitor = $2', [SITE, own.visitor])).toBe(before)
    expect(await t.count('profile_entries', 'site = $1 AND visitor = $2', [SITE, own.visitor])).toBe(0)
    expect(await t.count('visitors', 'site = $1 AND visitor = $2', [SITE, own.visitor])).toBe(1)
  })

  it('a known visitor without a token gets 401 token_required everywhere (and nothing is served)', async () => {
    const own = await newVisitor(t)
    for (const run of [
      () => t.request('POST', '/v1/collect', { body: { site: SITE, visitor: own.visitor, events: [event()] } }),
      () => t.request('GET', `/v1/profile${q(own.visitor)}`),
      () => t.request('PUT', '/v1/profile', { body: { site: SITE, visitor: own.visitor, device: 'd', entry: deviceEntry(1) } }),
      () => t.request('DELETE', `/v1/profile${q(own.visitor)}`),
    ]) {
      const answer = await run()
      expect(answer.status).toBe(401)
      expect(answer.body).toEqual({ error: 'unauthorized', reason: 'token_required' })
    }
  })

  it('a token is minted on first contact only, and is the documented HMAC', async () => {
    const visitor = visitorId()
    const first = await t.request('POST', '/v1/collect', { body: { site: SITE, visitor, events: [] } })
    expect(first.body.token).toMatch(/^v1\.\d+\.[A-Za-z0-9_-]{43}$/)
    const exp = Number(first.body.token.split('.')[1])
    expect(exp).toBeGreaterThan(nowS() + 399 * 86400)
    expect(exp).toBeLessThanOrEqual(nowS() + 400 * 86400)
    expect(first.body.token).toBe(mintToken(SECRET, SITE, visitor, exp))
    expect(verifyToken(SECRET, SITE, visitor, first.body.token, nowS())).toEqual({ exp })
    const second = await t.request('POST', '/v1/collect', { body: { site: SITE, visitor, token: first.body.token, events: [] } })
    expect(second.status).toBe(200)
    expect(second.body.token).toBeUndefined()
  })

  it('an upper-case visitor id is the same visitor', async () => {
    const own = await newVisitor(t)
    const answer = await t.request('GET', `/v1/profile${q(own.visitor.toUpperCase())}`, { headers: auth(own.token) })
    expect(answer.status).toBe(200)
  })

  it('lost first answer: before the token was ever used, a tokenless retry gets the same token again', async () => {
    const visitor = visitorId()
    const batch = [event(), event()]
    const first = await t.request('POST', '/v1/collect', { body: { site: SITE, visitor, events: batch } })
    const retry = await t.request('POST', '/v1/collect', { body: { site: SITE, visitor, events: batch } })
    expect(retry.status).toBe(200)
    expect(retry.body).toEqual({ accepted: 0, duplicates: 2, rejected: 0, token: first.body.token })
    // Once used, the token is required.
    await t.request('POST', '/v1/collect', { body: { site: SITE, visitor, token: first.body.token, events: [] } })
    const late = await t.request('POST', '/v1/collect', { body: { site: SITE, visitor, events: batch } })
    expect(late.status).toBe(401)
  })

  it('the tokenless re-issue ends an hour after first contact', async () => {
    let clock = Date.now()
    const clocked = await startServer(t.url, { db: t.server.db, now: () => clock })
    const visitor = visitorId()
    await clocked.request('POST', '/v1/collect', { body: { site: SITE, visitor, events: [] } })
    clock += 3600_000 + 1
    const late = await clocked.request('POST', '/v1/collect', { body: { site: SITE, visitor, events: [] } })
    expect(late.status).toBe(401)
    await clocked.server.drain()
  })

  it('two first contacts at once both get the one token', async () => {
    const visitor = visitorId()
    const answers = await Promise.all([1, 2, 3].map(() => t.request('POST', '/v1/collect', { body: { site: SITE, visitor, events: [event()] } })))
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
    expect(new Set(answers.map((a) => a.body.token)).size).toBe(1)
  })

  it('tokens compare in constant time: verifyToken uses timingSafeEqual on the decoded signature', async () => {
    // Behavioural check: signatures differing at the first or the last byte are both refused the same way.
    const own = await newVisitor(t)
    const sig = own.token.split('.')[2] as string
    for (const at of [0, sig.length - 2]) {
      const forged = own.token.replace(sig, flip(sig, at))
      expect(verifyToken(SECRET, SITE, own.visitor, forged, nowS())).toEqual({ problem: 'bad_signature' })
    }
  })
})
