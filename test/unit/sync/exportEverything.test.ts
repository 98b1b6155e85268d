import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../../src/index'
import { exportEverything, sync, type ServerExport, type SyncHandle } from '../../../src/sync/index'
import { freshIndexedDb } from '../fresh'

const ENDPOINT = 'https://p.example.com'

/** What the server's export route answers in these tests: an admin read in its audit log. */
const SERVER_EXPORT: ServerExport = {
  site: 'shop-1',
  userId: null,
  exportedAt: 1_700_000_000_000,
  visitors: [],
  identities: [],
  profile: null,
  entries: [],
  audit: [{ subjectKind: 'visitor', subject: 'v', actor: 'agent-7', action: 'read', at: 1_699_999_000_000, reason: 'ticket 42' }],
  events: [],
}

let calls: Array<{ url: string; init: RequestInit }>
/** How the export route answers (a Response, an Error to throw, or 'hang' to never answer). */
let exportAnswer: () => Response | Error | 'hang'
let attunes: Attune[]
let handles: SyncHandle[]
let errors: AttuneError[]

/** A fake server: collect mints a token, the export route answers `exportAnswer`. */
const fakeFetch = vi.fn(async (url: string, init: RequestInit = {}): Promise<Response> => {
  calls.push({ url, init })
  if (url.includes('/v1/profile/export')) {
    const next = exportAnswer()
    if (next === 'hang') {
      return new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
    }
    if (next instanceof Error) throw next
    return next
  }
  if (url.includes('/v1/collect')) return new Response(JSON.stringify({ accepted: 1, duplicates: 0, token: 'tok-1' }))
  return new Response('{}')
})
const exports = () => calls.filter((c) => c.url.includes('/v1/profile/export'))

const instance = (storage: 'indexeddb' | 'memory' = 'memory'): Attune => {
  const a = createAttune({ site: 'shop-1', storage })
  attunes.push(a)
  a.on('error', (e) => errors.push(e))
  return a
}
const connected = (a: Attune): SyncHandle => {
  const handle = sync(a, { endpoint: ENDPOINT, fetch: fakeFetch as unknown as typeof fetch })
  handles.push(handle)
  return handle
}
/** An instance with everything granted that has sent an event, so the server knows it (a token). */
const known = async (): Promise<{ a: Attune; handle: SyncHandle }> => {
  const a = instance()
  const handle = connected(a)
  a.consent.grant()
  await new Promise((resolve) => a.on('ready', resolve))
  a.profile.setInterest('size', '42')
  a.track('product_viewed', { product_id: 'sku-1' })
  await handle.flush()
  return { a, handle }
}

beforeEach(() => {
  freshIndexedDb()
  calls = []
  attunes = []
  handles = []
  errors = []
  exportAnswer = () => new Response(JSON.stringify(SERVER_EXPORT), { headers: { 'content-type': 'application/json' } })
  fakeFetch.mockClear()
})
afterEach(async () => {
  for (const h of handles) h.stop()
  await Promise.all(attunes.map((a) => a.destroy()))
  localStorage.clear()
})

describe('exportEverything (attune/sync)', () => {
  it('adds what the server holds, audit log included, fetched with the visitor’s token and no cookies', async () => {
    const { a } = await known()
    const visitor = (JSON.parse(calls.find((c) => c.url.endsWith('/v1/collect'))!.init.body as string) as { visitor: string }).visitor
    const everything = await exportEverything(a)
    expect(everything).toMatchObject({ format: 'attune-export', site: 'shop-1', view: { interests: { size: '42' } }, server: SERVER_EXPORT })
    expect(everything.server?.audit).toEqual([expect.objectContaining({ actor: 'agent-7', action: 'read' })])
    expect(exports()).toHaveLength(1)
    const [call] = exports()
    expect(call!.url).toBe(`${ENDPOINT}/v1/profile/export?site=shop-1&visitor=${visitor}`)
    expect(call!.init).toMatchObject({ credentials: 'omit', headers: { authorization: 'Bearer tok-1' } })
    expect(errors).toEqual([])
  })

  it('is the local export with server: null when attune/sync is not connected', async () => {
    const a = instance()
    a.consent.grant()
    a.profile.setInterest('size', '42')
    const everything = await exportEverything(a)
    expect(everything).toEqual({ ...(await a.profile.export()), exportedAt: everything.exportedAt, server: null })
    expect(calls).toEqual([])
  })

  it('asks the server nothing before the shopper asks: not on connect, grant, flush or profile sync', async () => {
    const { a, handle } = await known()
    await handle.sync()
    await a.profile.export()
    expect(calls.length).toBeGreaterThan(0)
    expect(exports()).toEqual([])
    await exportEverything(a)
    expect(exports()).toHaveLength(1)
  })

  it('asks nothing, and stores no visitor id, without measurement or sync consent', async () => {
    const a = instance('indexeddb')
    connected(a)
    a.consent.grant('personalization')
    const everything = await exportEverything(a)
    expect(everything.server).toBeNull()
    expect(calls).toEqual([])
    expect(localStorage.getItem('attune:visitor:shop-1')).toBeNull()
  })

  it('asks nothing while the server has no token for this browser (it was sent nothing yet)', async () => {
    const a = instance()
    connected(a)
    a.consent.grant()
    expect((await exportEverything(a)).server).toBeNull()
    expect(exports()).toEqual([])
  })

  it.each([
    ['a 500', () => new Response('{"error":"internal"}', { status: 500 })],
    ['a 404 (the server erased the visitor)', () => new Response('{"error":"not_found","reason":"no_profile"}', { status: 404 })],
    ['a network error', () => new TypeError('Failed to fetch')],
    ['a body that is not JSON', () => new Response('<html>proxy error</html>')],
  ])('keeps the local part, with server: null, when the server answers %s; it reports, never rejects', async (_, answer) => {
    const { a } = await known()
    exportAnswer = answer
    const everything = await exportEverything(a)
    expect(everything).toMatchObject({ format: 'attune-export', view: { interests: { size: '42' } }, server: null })
    expect(errors.map((e) => e.code)).toEqual(['network'])
  })

  it('gives up on a server that does not answer, after `wait` ms', async () => {
    const { a } = await known()
    exportAnswer = () => 'hang'
    const everything = await exportEverything(a, 20)
    expect(everything.server).toBeNull()
    expect(exports()[0]!.init.signal?.aborted).toBe(true)
    expect(errors.map((e) => e.code)).toEqual(['network'])
  })
})
