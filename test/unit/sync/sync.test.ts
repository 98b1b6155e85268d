import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { autoTrack } from '../../../src/auto'
import { createAttune, type Attune, type AttuneError } from '../../../src/index'
import { createKeyValue } from '../../../src/storage/createKeyValue'
import { internals } from '../../../src/internals'
import { connect } from '../../../src/sync/connect'
import { sync, type SyncHandle } from '../../../src/sync/index'
import type { Outbox } from '../../../src/sync/outbox'
import { freshIndexedDb } from '../fresh'

const ENDPOINT = 'https://p.example.com'
interface Call {
  url: string
  init: RequestInit
  body: { site: string; visitor: string; token?: string; events: Array<{ id: string; name: string }>; dropped?: Record<string, number> }
}

let calls: Call[]
let answers: Array<Response | Error>
let attunes: Attune[]
let handles: SyncHandle[]
let errors: AttuneError[]
const stops: Array<() => void> = []

/** A scripted server: each request takes the next answer (200 with a token by default). */
const fakeFetch = vi.fn(async (url: string, init: RequestInit = {}) => {
  calls.push({ url, init, body: init.body ? JSON.parse(init.body as string) : undefined })
  const next = answers.shift() ?? new Response(JSON.stringify({ accepted: 1, duplicates: 0, token: 'tok-1' }), { status: 200 })
  if (next instanceof Error) throw next
  return next
})
const answer = (status: number, headers: Record<string, string> = {}) => new Response(status === 204 ? null : '{}', { status, headers })

const start = async (grant: Parameters<Attune['consent']['grant']>[0] = ['personalization', 'measurement'], storage: 'indexeddb' | 'memory' = 'memory') => {
  const a = createAttune({ site: 'shop-1', storage })
  attunes.push(a)
  a.on('error', (e) => errors.push(e))
  const handle = sync(a, { endpoint: ENDPOINT, fetch: fakeFetch as unknown as typeof fetch })
  handles.push(handle)
  a.consent.grant(grant)
  await new Promise((resolve) => a.on('ready', resolve))
  return { a, handle }
}
const sent = () => calls.filter((c) => c.url.endsWith('/v1/collect')).flatMap((c) => c.body.events.map((e) => e.name))

beforeEach(() => {
  freshIndexedDb()
  calls = []
  answers = []
  attunes = []
  handles = []
  errors = []
  fakeFetch.mockClear()
})
afterEach(async () => {
  vi.useRealTimers()
  for (const stop of stops.splice(0)) stop()
  for (const h of handles) h.stop()
  await Promise.all(attunes.map((a) => a.destroy()))
  localStorage.clear()
})

describe('attune/sync', () => {
  it('refuses a bad endpoint like createAttune refuses a bad option', () => {
    const a = createAttune({ site: 'shop-1', storage: 'memory' })
    attunes.push(a)
    expect(() => sync(a, { endpoint: 'http://p.example.com' })).toThrow(/option "endpoint" must be the https URL/)
  })

  it('sends nothing without measurement consent', async () => {
    const { a, handle } = await start(['personalization'])
    a.track('viewed')
    await handle.flush()
    expect(calls).toEqual([])
  })

  it('posts events as CORS-simple text/plain JSON, without credentials, within keepalive limits', async () => {
    const { a, handle } = await start()
    a.track('one', { n: 1 })
    a.track('two')
    await handle.flush()
    expect(calls).toHaveLength(1)
    const [call] = calls
    expect(call!.url).toBe(`${ENDPOINT}/v1/collect`)
    expect(call!.init).toMatchObject({ method: 'POST', credentials: 'omit', headers: { 'content-type': 'text/plain;charset=UTF-8' } })
    expect(call!.body).toMatchObject({ site: 'shop-1', visitor: expect.any(String), events: [{ name: 'one', props: { n: 1 } }, { name: 'two' }] })
    expect(call!.body.token).toBeUndefined()
  })

  it('keeps the token the server mints on first contact and sends it from then on', async () => {
    const { a, handle } = await start()
    a.track('one')
    await handle.flush()
    a.track('two')
    await handle.flush()
    expect(calls[1]!.body.token).toBe('tok-1')
    expect(calls[1]!.body.visitor).toBe(calls[0]!.body.visitor)
  })

  it('batches a burst after a second, as one request', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { a } = await start()
    for (let i = 0; i < 20; i++) a.track('tick')
    expect(calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    expect(calls[0]!.body.events).toHaveLength(20)
  })

  it('sends every later burst too, each a second after it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { a } = await start()
    a.track('first')
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    a.track('second')
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => expect(calls).toHaveLength(2))
    expect(sent()).toEqual(['first', 'second'])
  })

  it('sends a full batch at once, without waiting for the timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { a } = await start()
    for (let i = 0; i < 500; i++) a.track('bulk')
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    expect(calls[0]!.body.events).toHaveLength(500)
  })

  it.each([
    ['a network error', new TypeError('Failed to fetch')],
    ['500', answer(500)],
    ['503 with Retry-After', answer(503, { 'retry-after': '2' })],
    ['429', answer(429, { 'retry-after': '1' })],
    ['408', answer(408)],
  ])('keeps the events after %s and sends them again later', async (_n, failure) => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { a, handle } = await start()
    answers.push(failure)
    a.track('kept')
    await handle.flush()
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(3_000)
    await vi.waitFor(() => expect(calls).toHaveLength(2))
    expect(calls[1]!.body.events.map((e) => e.id)).toEqual(calls[0]!.body.events.map((e) => e.id))
    await handle.flush()
    expect(calls).toHaveLength(2)
  })

  it('keeps retrying after network error upon network error, backing off', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { a, handle } = await start()
    for (let i = 0; i < 4; i++) answers.push(new TypeError('Failed to fetch'))
    a.track('kept')
    await handle.flush()
    // Full jitter: four waits of at most 1, 2, 4 and 8 s.
    for (let waited = 0; waited < 15_000 && calls.length < 5; waited += 500) await vi.advanceTimersByTimeAsync(500)
    expect(sent()).toEqual(['kept', 'kept', 'kept', 'kept', 'kept'])
    await vi.advanceTimersByTimeAsync(60_000)
    await handle.flush()
    expect(calls).toHaveLength(5)
  })

  it('honours Retry-After before trying again', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { a, handle } = await start()
    answers.push(answer(429, { 'retry-after': '120' }))
    a.track('kept')
    await handle.flush()
    await vi.advanceTimersByTimeAsync(119_000)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1_000)
    await vi.waitFor(() => expect(calls).toHaveLength(2))
  })

  it('drops and counts a batch the server refuses for good, and reports the count in the next batch', async () => {
    const { a, handle } = await start()
    answers.push(answer(400))
    a.track('bad')
    await handle.flush()
    a.track('good')
    await handle.flush()
    expect(calls[1]!.body).toMatchObject({ events: [{ name: 'good' }], dropped: { status_400: 1 } })
    expect(errors.some((e) => e.code === 'network' && /refused 1 events \(status_400\)/.test(e.message))).toBe(true)
    a.track('after')
    await handle.flush()
    expect(calls[2]!.body.dropped).toBeUndefined()
  })

  it('does not retry 501', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { a, handle } = await start()
    answers.push(answer(501))
    a.track('x')
    await handle.flush()
    await vi.advanceTimersByTimeAsync(600_000)
    expect(calls).toHaveLength(1)
  })

  it('starts over as a new visitor when the server no longer knows its token (401)', async () => {
    const { a, handle } = await start()
    a.track('one')
    await handle.flush()
    answers.push(answer(401))
    a.track('two')
    await handle.flush()
    await handle.flush()
    expect(calls[2]!.body.visitor).not.toBe(calls[0]!.body.visitor)
    expect(calls[2]!.body.token).toBeUndefined()
    expect(calls[2]!.body.events.map((e) => e.name)).toEqual(['two'])
  })

  it('sends at once, with keepalive, when the page is hidden', async () => {
    const { a } = await start()
    a.track('leaving')
    window.dispatchEvent(new Event('pagehide'))
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    expect(calls[0]!.init.keepalive).toBe(true)
  })

  it('sends, as soon as it is ready, what an earlier page left waiting', async () => {
    const first = await start(['personalization', 'measurement'], 'indexeddb')
    answers.push(new TypeError('offline'))
    first.a.track('left-behind')
    await first.handle.flush()
    first.handle.stop()
    await first.a.destroy()
    await start(['personalization', 'measurement'], 'indexeddb')
    await vi.waitFor(() => expect(sent()).toEqual(['left-behind', 'left-behind']))
  })

  it('sends what is waiting at once when the page goes, within the same task', async () => {
    const { a, handle } = await start()
    answers.push(new TypeError('offline'))
    a.track('one')
    await handle.flush()
    a.track('two')
    const before = calls.length
    window.dispatchEvent(new Event('pagehide'))
    expect(calls.length).toBe(before + 1)
    expect(calls.at(-1)!.init.keepalive).toBe(true)
    expect(calls.at(-1)!.body.events.map((e) => e.name)).toEqual(['one', 'two'])
  })

  it('sends at pagehide what an earlier pagehide listener tracked, though IndexedDB has not stored it yet', async () => {
    const { a } = await start(['personalization', 'measurement'], 'indexeddb')
    await vi.waitFor(() => expect(calls).toHaveLength(0))
    a.track('page_left')
    // A browser runs microtasks between listeners: the outbox write has begun, and not ended.
    await Promise.resolve()
    await Promise.resolve()
    window.dispatchEvent(new Event('pagehide'))
    expect(calls).toHaveLength(1)
    expect(calls[0]!.init.keepalive).toBe(true)
    expect(calls[0]!.body.events.map((e) => e.name)).toEqual(['page_left'])
  })

  it('persists events in IndexedDB before sending, and sends them from the next page if this one could not', async () => {
    const { a, handle } = await start(['personalization', 'measurement'], 'indexeddb')
    answers.push(new TypeError('offline'))
    a.track('offline-1')
    a.track('offline-2')
    await handle.flush()
    const stored = await createKeyValue('attune-shop-1').get<Outbox>('outbox')
    expect(stored?.events.map((e) => e.name)).toEqual(['offline-1', 'offline-2'])
    handle.stop()
    await a.destroy()
    const next = await start(['personalization', 'measurement'], 'indexeddb')
    await next.handle.flush()
    expect(calls[1]!.body.events.map((e) => e.id)).toEqual(calls[0]!.body.events.map((e) => e.id))
    expect((await createKeyValue('attune-shop-1').get<Outbox>('outbox'))?.events).toEqual([])
  })

  it('on withdrawal asks the server to erase the visitor, with its token', async () => {
    const { a, handle } = await start()
    a.track('one')
    await handle.flush()
    answers.push(answer(204))
    a.consent.withdraw()
    await vi.waitFor(() => expect(calls).toHaveLength(2))
    expect(calls[1]!.url).toBe(`${ENDPOINT}/v1/profile?site=shop-1&visitor=${calls[0]!.body.visitor}`)
    expect(calls[1]!.init).toMatchObject({ method: 'DELETE', headers: { authorization: 'Bearer tok-1' }, keepalive: true })
  })

  it('connected owing an erasure (consent taken back before it loaded), asks the server to erase the stored visitor at once', async () => {
    localStorage.setItem('attune:visitor:shop-1', JSON.stringify({ id: 'v-1', token: 'tok-1' }))
    const a = createAttune({ site: 'shop-1' })
    attunes.push(a)
    a.consent.grant()
    a.consent.withdraw()
    answers.push(answer(204))
    handles.push(connect(a, internals.get(a)!, ENDPOINT, fakeFetch as unknown as typeof fetch, [], true))
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    expect(calls[0]!.url).toBe(`${ENDPOINT}/v1/profile?site=shop-1&visitor=v-1`)
    expect(calls[0]!.init).toMatchObject({ method: 'DELETE', headers: { authorization: 'Bearer tok-1' } })
    expect(localStorage.getItem('attune:visitor:shop-1')).toBeNull()
  })

  it('asks again from a later page when the erase request could not be sent, exactly until it succeeds', async () => {
    const first = await start(['personalization', 'measurement'], 'indexeddb')
    first.a.track('one')
    await first.handle.flush()
    answers.push(new TypeError('offline'))
    first.a.consent.withdraw()
    await vi.waitFor(() => expect(calls).toHaveLength(2))
    expect(localStorage.getItem('attune:erase:shop-1')).toContain('tok-1')
    first.handle.stop()
    answers.push(answer(204))
    const a = createAttune({ site: 'shop-1' })
    attunes.push(a)
    handles.push(sync(a, { endpoint: ENDPOINT, fetch: fakeFetch as unknown as typeof fetch }))
    await vi.waitFor(() => expect(calls).toHaveLength(3))
    expect(calls[2]!.init.method).toBe('DELETE')
    await vi.waitFor(() => expect(localStorage.getItem('attune:erase:shop-1')).toBeNull())
  })

  it.each([
    ['an object', {}],
    ['a list with null', [null]],
    ['a list of strings', ['v-1']],
    ['a number', 5],
  ])('a damaged record of pending erasures (%s) keeps nothing from working: events go, nothing is thrown', async (_name, record) => {
    localStorage.setItem('attune:erase:shop-1', JSON.stringify(record))
    const { a, handle } = await start(['personalization', 'measurement'], 'indexeddb')
    a.track('after')
    await handle.flush()
    expect(sent()).toEqual(['after'])
    expect(errors).toEqual([])
  })

  it('a damaged visitor record is replaced by a new visitor', async () => {
    localStorage.setItem('attune:visitor:shop-1', JSON.stringify({ id: 5 }))
    const { a, handle } = await start(['personalization', 'measurement'], 'indexeddb')
    a.track('after')
    await handle.flush()
    expect(calls[0]!.body.visitor).toEqual(expect.stringMatching(/^[0-9a-f-]{36}$/))
  })

  it('reset() starts a new visitor with an empty profile, and forgets the decisions the paint snippet would paint', async () => {
    const { a, handle } = await start(['personalization', 'measurement'], 'indexeddb')
    a.track('product_viewed', { id: 'p1', category: 'running' })
    await handle.flush()
    const before = calls[0]!.body.visitor
    localStorage.setItem('attune:paint:shop-1', JSON.stringify({ hero: ['running', '<h2>Running</h2>'] }))
    await handle.reset()
    expect(localStorage.getItem('attune:paint:shop-1')).toBeNull()
    expect(a.profile.get().affinities).toEqual({})
    a.track('two')
    await handle.flush()
    expect(calls.at(-1)!.body.visitor).not.toBe(before)
  })

  it('reset() leaves the new visitor nothing the server could link to the last: a new session and a new device id', async () => {
    const { a, handle } = await start(['personalization', 'measurement', 'sync'], 'indexeddb')
    stops.push(autoTrack(a))
    a.track('one')
    await handle.flush()
    const events = () => calls.filter((c) => c.url.endsWith('/v1/collect')).flatMap((c) => c.body.events as Array<{ name: string; session?: string }>)
    const session = events().find((e) => e.name === 'one')!.session
    const device = (await a.profile.export()).device!.device
    expect(session).toEqual(expect.any(String))
    await handle.reset()
    a.track('two')
    await handle.flush()
    expect(events().find((e) => e.name === 'two')!.session).not.toBe(session)
    const renewed = (await a.profile.export()).device!.device
    expect(renewed).not.toBe(device)
    expect((await createKeyValue('attune-shop-1').get<{ device: string }>('device'))?.device).toBe(renewed)
    await handle.sync()
    const put = calls.filter((c) => c.init.method === 'PUT').at(-1)
    expect(put).toBeDefined()
    expect(JSON.stringify(put!.body)).not.toContain(device)
  })

  it("the shopper's export holds the visitor id and the events not acknowledged yet, and never the token", async () => {
    const { a, handle } = await start(['personalization', 'measurement'], 'indexeddb')
    a.track('sent')
    await handle.flush()
    const visitor = calls[0]!.body.visitor
    answers.push(answer(503))
    a.track('order_completed', { order_id: 'o-77' })
    await handle.flush()
    a.track('still_storing')
    const data = await a.profile.export()
    expect(data.visitor).toBe(visitor)
    expect(data.pending?.map((e) => e.name)).toEqual(['order_completed', 'still_storing'])
    expect(data.pending?.[0]?.props).toEqual({ order_id: 'o-77' })
    expect(JSON.stringify(data)).not.toContain('tok-1')
    handle.stop()
    expect((await a.profile.export()).visitor).toBeUndefined()
  })

  it('never sends the same event twice once acknowledged, across flushes', async () => {
    const { a, handle } = await start()
    for (let i = 0; i < 5; i++) a.track(`e${i}`)
    await Promise.all([handle.flush(), handle.flush(), handle.flush()])
    await handle.flush()
    expect(sent()).toEqual(['e0', 'e1', 'e2', 'e3', 'e4'])
  })
})
