import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../../src/index'
import { createKeyValue } from '../../../src/storage/createKeyValue'
import { sync, type SyncHandle } from '../../../src/sync/index'
import { isOutbox } from '../../../src/sync/outbox'
import { freshIndexedDb, putStored } from '../fresh'

const ENDPOINT = 'https://p.example.com'

let attunes: Attune[]
let handles: SyncHandle[]
let errors: AttuneError[]
let sent: string[]
/** What reached the page: exceptions of listeners (jsdom reports them as `error` on window) and unhandled rejections. */
let uncaught: unknown[]
const onError = (e: ErrorEvent) => uncaught.push(e.error)
const onRejection = (reason: unknown) => uncaught.push(reason)

const fakeFetch = vi.fn(async (url: string, init: RequestInit = {}) => {
  if (url.endsWith('/v1/collect')) sent.push(...(JSON.parse(init.body as string) as { events: Array<{ name: string }> }).events.map((e) => e.name))
  return new Response(JSON.stringify({ accepted: 1, duplicates: 0, token: 'tok-1' }))
})

const seed = (value: unknown) => putStored('outbox', value)

const start = async () => {
  const a = createAttune({ site: 'shop-1', storage: 'indexeddb' })
  attunes.push(a)
  a.on('error', (e) => errors.push(e))
  const handle = sync(a, { endpoint: ENDPOINT, fetch: fakeFetch as unknown as typeof fetch })
  handles.push(handle)
  a.consent.grant(['personalization', 'measurement'])
  await new Promise((resolve) => a.on('ready', resolve))
  return { a, handle }
}

beforeEach(() => {
  freshIndexedDb()
  attunes = []
  handles = []
  errors = []
  sent = []
  uncaught = []
  window.addEventListener('error', onError)
  process.on('unhandledRejection', onRejection)
})
afterEach(async () => {
  window.removeEventListener('error', onError)
  process.off('unhandledRejection', onRejection)
  for (const h of handles) h.stop()
  await Promise.all(attunes.map((a) => a.destroy()))
  localStorage.clear()
})

const event = { id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', name: 'kept', props: {}, ts: Date.now() }
const cyclic: Record<string, unknown> = { events: [], dropped: {} }
cyclic.self = cyclic

describe('the stored outbox', () => {
  it.each([
    ['a string', 'x'],
    ['null', null],
    ['a number', 5],
    ['an array', [event]],
    ['an object without events', { dropped: {} }],
    ['events that are not an array', { events: 'x', dropped: {} }],
    ['events that are an object', { events: { 0: event }, dropped: {} }],
    ['events that list null', { events: [null], dropped: {} }],
    ['events that list a string', { events: ['x'], dropped: {} }],
    ['an event without a name', { events: [{ id: event.id, props: {}, ts: 1 }], dropped: {} }],
    ['an event whose id is a number', { events: [{ ...event, id: 1 }], dropped: {} }],
    ['drop counts that are absent', { events: [event] }],
    ['drop counts that are a string', { events: [event], dropped: 'ab' }],
    ['a drop count that is not a number', { events: [], dropped: { overflow: '3' } }],
    ['props holding a BigInt', { events: [{ ...event, props: { n: 1n } }], dropped: {} }],
    ['a cycle', cyclic],
  ])('that cannot be read (%s) is discarded and reported once; new events are queued and sent, and nothing throws into the page', async (_n, record) => {
    await seed(record)
    const { a, handle } = await start()
    a.track('after')
    // A browser runs microtasks between listeners: the write of `after` has begun.
    await Promise.resolve()
    window.dispatchEvent(new Event('pagehide'))
    a.track('later')
    await handle.flush()
    await vi.waitFor(() => expect(sent).toEqual(expect.arrayContaining(['after', 'later'])))
    expect(errors.filter((e) => e.code === 'storage').map((e) => e.message)).toEqual(['Discarded an unreadable stored outbox.'])
    const stored = await createKeyValue('attune-shop-1').get('outbox')
    expect(isOutbox(stored)).toBe(true)
    expect(uncaught).toEqual([])
  })

  it('that attune wrote is read as it is: what an earlier page left waiting is sent, and nothing is reported', async () => {
    await seed({ events: [event], dropped: { overflow: 2 } })
    const { handle } = await start()
    await handle.flush()
    expect(sent).toEqual(['kept'])
    expect(errors).toEqual([])
  })
})
