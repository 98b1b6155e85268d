import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { ServerType } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestDatabase, TestServer } from './helpers'
import { SITE, drivers, event, read, startServer, visitorId } from './helpers'

/** A request body that sends `first` now and the rest only when `release()` is called. */
const slowBody = (first: string, rest: string) => {
  let release = () => {}
  const body = new ReadableStream<Uint8Array>({
    start: (controller) => {
      controller.enqueue(new TextEncoder().encode(first))
      release = () => {
        controller.enqueue(new TextEncoder().encode(rest))
        controller.close()
      }
    },
  })
  return { body, release: () => release() }
}

/** Raw HTTP over a socket: writes `head`, then `chunks()` until the server answers; returns the answer and the bytes sent. */
const rawRequest = (port: number, head: string, chunk: Buffer | undefined, maxBytes: number, delayMs = 1) =>
  new Promise<{ status: number; sent: number; answer: string }>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    let sent = 0
    let done = false
    const finish = () => {
      if (done) return
      done = true
      socket.destroy()
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)
      if (status) resolve({ status, sent, answer })
      else reject(new Error(`no answer after ${sent} bytes: ${answer}`))
    }
    socket.on('data', (d) => {
      answer += d.toString('latin1')
      if (/\r\n\r\n/.test(answer)) setTimeout(finish, 20)
    })
    socket.on('error', () => setTimeout(finish, 20))
    socket.on('close', () => setTimeout(finish, 20))
    socket.write(head)
    const pump = () => {
      if (done || !chunk || socket.destroyed) return
      if (sent >= maxBytes) return
      sent += chunk.length
      socket.write(chunk, () => setTimeout(pump, delayMs))
    }
    pump()
  })

describe.each(drivers)('limits: payloads, rate limits, overload, draining ($name)', (driver) => {
  let database: TestDatabase
  let t: TestServer
  let http: ServerType
  let port: number
  beforeAll(async () => {
    database = await driver.open()
    t = await startServer(database.url)
    http = serve({ fetch: t.server.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise((resolve) => http.once('listening', resolve))
    port = (http.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise((resolve) => http.close(resolve))
    await t.server.close()
    await database.drop()
  })

  const stored = () => t.count('events', 'site = $1', [SITE])

  it('a chunked body with no Content-Length is cut at 500 KB while streaming → 413, rest never read', async () => {
    const before = await stored()
    const head = 'POST /v1/collect HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n'
    const payload = Buffer.from(`{"site":"${SITE}","visitor":"${visitorId()}","events":[{"pad":"${'x'.repeat(16 * 1024)}`)
    const chunk = Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n')])
    // Up to 8 MB offered; the answer must come long before.
    const result = await rawRequest(port, head, chunk, 8 * 1024 * 1024)
    expect(result.status).toBe(413)
    expect(result.answer).toContain('"error":"too_large"')
    expect(result.sent).toBeLessThan(4 * 1024 * 1024)
    expect(await stored()).toBe(before)
  })

  it('a Content-Length over the limit → 413 at once, before any body is sent', async () => {
    const head = `POST /v1/collect HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${600 * 1024}\r\n\r\n`
    const result = await rawRequest(port, head, undefined, 0)
    expect(result.status).toBe(413)
    expect(result.sent).toBe(0)
  })

  it('a lying Content-Length (smaller than the body): only the declared bytes are read → 400, connection closed, nothing stored', async () => {
    const before = await stored()
    const body = `{"site":"${SITE}","visitor":"${visitorId()}","events":[${JSON.stringify(event())}]}`
    const head = `POST /v1/collect HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\n${body}${'x'.repeat(700 * 1024)}`
    const result = await rawRequest(port, head, undefined, 0)
    // Node's parser reads 20 bytes of body, then takes the rest for a broken next request and
    // closes the connection with its own 400; our handler sees 20 bytes of bad JSON.
    expect(result.status).toBe(400)
    expect(await stored()).toBe(before)
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
  })

  it('a lying Content-Length (larger than the body, under the limit) waits for the body, then times out without storing', async () => {
    const before = await stored()
    const body = `{"site":"${SITE}","visitor":"${visitorId()}","events":[]}`
    const head = `POST /v1/collect HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${body.length + 100}\r\n\r\n${body}`
    const socket = connect(port, '127.0.0.1')
    socket.write(head)
    await new Promise((r) => setTimeout(r, 300))
    socket.destroy()
    await new Promise((r) => setTimeout(r, 100))
    expect(await stored()).toBe(before)
    expect((await t.request('GET', '/healthz')).status).toBe(200)
  })

  it('a server still answers after a flood of oversized bodies', async () => {
    const head = 'POST /v1/collect HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n'
    const payload = Buffer.alloc(64 * 1024, 'x')
    const chunk = Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n')])
    const results = await Promise.all(Array.from({ length: 8 }, () => rawRequest(port, head, chunk, 2 * 1024 * 1024, 0)))
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(413))
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
    expect(ok.status).toBe(200)
  })

  it('rate limit per IP + site: a burst passes, then 429 with Retry-After in seconds', async () => {
    const limited = await startServer(database.url, { db: t.server.db, trustProxy: true, rateLimits: { ip: { rate: 1, burst: 5 }, visitor: false } })
    const send = (ip: string) => limited.request('POST', '/v1/collect', { body: { site: SITE, visitor: visitorId(), events: [] }, headers: { 'x-forwarded-for': ip } })
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await send('10.0.0.1')).status)
    expect(statuses).toEqual([200, 200, 200, 200, 200])
    const over = await send('10.0.0.1')
    expect(over.status).toBe(429)
    expect(over.body).toEqual({ error: 'rate_limited', reason: 'ip' })
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(2)
    // Another IP has its own bucket.
    expect((await send('10.0.0.2')).status).toBe(200)
    await limited.server.drain()
  })

  it('rate limit per visitor: 429 for that visitor only; a refill lets it through again', async () => {
    let clock = Date.now()
    const limited = await startServer(database.url, { db: t.server.db, now: () => clock, rateLimits: { ip: false, visitor: { rate: 2, burst: 3 } } })
    const visitor = visitorId()
    const first = await limited.request('POST', '/v1/collect', { body: { site: SITE, visitor, events: [] } })
    const token = first.body.token as string
    const send = () => limited.request('POST', '/v1/collect', { body: { site: SITE, visitor, token, events: [] } })
    expect([(await send()).status, (await send()).status]).toEqual([200, 200])
    const over = await send()
    expect(over.status).toBe(429)
    expect(over.body.reason).toBe('visitor')
    expect(over.headers.get('retry-after')).toBe('1')
    expect((await limited.request('POST', '/v1/collect', { body: { site: SITE, visitor: visitorId(), events: [] } })).status).toBe(200)
    clock += 1000
    expect((await send()).status).toBe(200)
    await limited.server.drain()
  })

  it('overload: more requests in flight than allowed → 503 with Retry-After; health stays up', async () => {
    const small = await startServer(database.url, { db: t.server.db, maxInFlight: 2 })
    const visitor = visitorId()
    const slow = [0, 1].map(() => slowBody(`{"site":"${SITE}","visitor":"${visitor}",`, '"events":[]}'))
    const pending = slow.map((s) => small.server.app.request('/v1/collect', { method: 'POST', body: s.body, duplex: 'half' } as RequestInit))
    await new Promise((r) => setTimeout(r, 50))
    const shed = await small.request('POST', '/v1/collect', { body: { site: SITE, visitor: visitorId(), events: [] } })
    expect(shed.status).toBe(503)
    expect(shed.body).toEqual({ error: 'unavailable', reason: 'overloaded' })
    expect(shed.headers.get('retry-after')).toBe('1')
    expect((await small.request('GET', '/healthz')).status).toBe(200)
    for (const s of slow) s.release()
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual([200, 200])
    expect((await small.request('POST', '/v1/collect', { body: { site: SITE, visitor: visitorId(), events: [] } })).status).toBe(200)
    await small.server.drain()
  })

  it('draining: /healthz turns 503, new requests get 503, the one in flight finishes and is stored', async () => {
    const draining = await startServer(database.url, { db: t.server.db })
    const visitor = visitorId()
    const e = event()
    const slow = slowBody(`{"site":"${SITE}","visitor":"${visitor}",`, `"events":[${JSON.stringify(e)}]}`)
    const pending = draining.server.app.request('/v1/collect', { method: 'POST', body: slow.body, duplex: 'half' } as RequestInit)
    await new Promise((r) => setTimeout(r, 50))
    let drained = false
    const drain = draining.server.drain().then(() => (drained = true))
    expect((await draining.request('GET', '/healthz')).status).toBe(503)
    const refused = await draining.request('POST', '/v1/collect', { body: { site: SITE, visitor: visitorId(), events: [] } })
    expect(refused.status).toBe(503)
    expect(refused.body.reason).toBe('draining')
    expect(drained).toBe(false)
    slow.release()
    const answer = await read(await pending)
    expect(answer.status).toBe(200)
    expect(answer.body.accepted).toBe(1)
    await drain
    expect(await t.count('events', 'site = $1 AND event_id = $2', [SITE, e.id])).toBe(1)
  })
})
