import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../../src/index'
import type { ConsentProof } from '../../../src/consent'
import { tcf } from '../../../src/consent/tcf'
import { sync, type SyncHandle } from '../../../src/sync/index'
import { freshIndexedDb } from '../fresh'

const ENDPOINT = 'https://p.example.com'
const KEY = 'attune:consent:shop-1'
const VENDOR = 1234
const TC_STRING = 'CQB0XQAQB0XQAAGABCENBJFgAP_gAAAAAAAAAAAAAAAA.YAAAAAAAAAAA'
const GRANTED_AT = Date.UTC(2025, 0, 2, 10, 0, 0)
const LATER = GRANTED_AT + 86_400_000

interface Call {
  url: string
  method: string
  body: { consent?: ConsentProof } | undefined
}

declare global {
  interface Window {
    __tcfapi?: unknown
  }
}

let calls: Call[]
let attunes: Attune[]
let handles: SyncHandle[]
let errors: AttuneError[]

/** The server: 200 with a token to everything, and no profile to merge. */
const fakeFetch = vi.fn(async (url: string, init: RequestInit = {}) => {
  calls.push({ url, method: init.method ?? 'GET', body: init.body ? JSON.parse(init.body as string) : undefined })
  return new Response(JSON.stringify({ accepted: 1, duplicates: 0, token: 'tok-1' }), { status: 200 })
})

const make = (options: { default?: Array<'personalization' | 'measurement' | 'sync'>; storage?: 'indexeddb' | 'memory' } = {}) => {
  const a = createAttune({ site: 'shop-1', storage: options.storage ?? 'memory', consent: { default: options.default ?? [] } })
  attunes.push(a)
  a.on('error', (e) => errors.push(e))
  const handle = sync(a, { endpoint: ENDPOINT, fetch: fakeFetch as unknown as typeof fetch })
  handles.push(handle)
  return { a, handle }
}
const ready = (a: Attune) => new Promise((resolve) => a.on('ready', resolve))

/** The `consent` of the next collect and of the next profile PUT, after tracking one event. */
const proofsSent = async (a: Attune, handle: SyncHandle): Promise<{ collect: unknown; put: unknown }> => {
  const from = calls.length
  const views = a.profile.get().counters.product_views ?? 0
  a.track('product_viewed', { product_id: 'sku-1', category: 'running' })
  await handle.flush()
  // The profile write of the event lands first, then the push carries it.
  await vi.waitFor(() => expect(a.profile.get().counters.product_views).toBe(views + 1))
  await handle.sync()
  const mine = calls.slice(from)
  const collect = mine.find((c) => c.url.endsWith('/v1/collect'))
  const put = mine.find((c) => c.method === 'PUT')
  return { collect: collect && collect.body?.consent, put: put && put.body?.consent }
}

/** A TCF v2.2 CMP that has its TC data ready: answers addEventListener at once. */
const installCmp = (tcString: string) => {
  let listener: ((data: unknown, success: boolean) => void) | undefined
  const data = (s: string) => ({
    tcString: s,
    listenerId: 7,
    eventStatus: 'tcloaded',
    cmpStatus: 'loaded',
    gdprApplies: true,
    purpose: { consents: Object.fromEntries([1, 5, 6, 8].map((n) => [n, true])), legitimateInterests: {} },
    vendor: { consents: { [VENDOR]: true }, legitimateInterests: {} },
  })
  window.__tcfapi = (command: string, _version: number, callback: (data: unknown, success: boolean) => void) => {
    if (command === 'addEventListener') {
      listener = callback
      callback(data(tcString), true)
    } else if (command === 'removeEventListener') (callback as (ok: boolean) => void)(true)
  }
  return { change: (s: string) => listener?.({ ...data(s), eventStatus: 'useractioncomplete' }, true) }
}

beforeEach(() => {
  freshIndexedDb()
  calls = []
  attunes = []
  handles = []
  errors = []
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(GRANTED_AT)
})
afterEach(async () => {
  for (const h of handles) h.stop()
  await Promise.all(attunes.map((a) => a.destroy()))
  vi.useRealTimers()
  delete window.__tcfapi
  localStorage.clear()
})

describe('the consent proof on sync requests', () => {
  it('collect and profile PUT carry consent.sync: when the shopper granted sync', async () => {
    const { a, handle } = make()
    a.consent.grant()
    await ready(a)
    vi.setSystemTime(LATER)
    expect(await proofsSent(a, handle)).toEqual({ collect: { sync: GRANTED_AT }, put: { sync: GRANTED_AT } })
    expect(errors).toEqual([])
  })

  it('a site default is no proof: nothing until the shopper grants sync themselves', async () => {
    const { a, handle } = make({ default: ['personalization', 'measurement', 'sync'] })
    await ready(a)
    expect(await proofsSent(a, handle)).toEqual({ collect: {}, put: {} })
    vi.setSystemTime(LATER)
    a.consent.grant('sync')
    expect(await proofsSent(a, handle)).toEqual({ collect: { sync: LATER }, put: { sync: LATER } })
  })

  it('without sync consent there is no proof of it, and denying sync takes it back', async () => {
    const { a, handle } = make()
    a.consent.grant(['personalization', 'measurement'])
    await ready(a)
    a.track('x')
    await handle.flush()
    expect(calls.at(-1)?.body?.consent).toEqual({})

    a.consent.grant('sync')
    a.consent.deny('sync')
    a.track('y')
    await handle.flush()
    expect(calls.at(-1)?.body?.consent).toEqual({})
    expect(JSON.parse(localStorage.getItem(KEY) ?? '{}')).not.toHaveProperty('syncAt')
  })

  it('a grant remembered from an earlier page keeps its time; a site default in that record does not count', async () => {
    const first = make({ storage: 'indexeddb' })
    first.a.consent.grant()
    await ready(first.a)
    expect(JSON.parse(localStorage.getItem(KEY) ?? '{}')).toMatchObject({ syncAt: GRANTED_AT })
    await first.a.destroy()
    first.handle.stop()

    vi.setSystemTime(LATER)
    const next = make({ storage: 'indexeddb' })
    await ready(next.a)
    expect(await proofsSent(next.a, next.handle)).toEqual({ collect: { sync: GRANTED_AT }, put: { sync: GRANTED_AT } })

    // A record whose sync came from a site default (no syncAt): no proof.
    localStorage.setItem(KEY, JSON.stringify({ v: 1, purposes: { personalization: true, measurement: true, sync: true }, at: LATER }))
    const defaulted = make({ storage: 'indexeddb' })
    await ready(defaulted.a)
    expect(await proofsSent(defaulted.a, defaulted.handle)).toEqual({ collect: {}, put: {} })
  })

  it("another tab's grant brings its time along", async () => {
    const { a, handle } = make({ storage: 'indexeddb' })
    a.consent.grant(['personalization', 'measurement'])
    await ready(a)
    const record = JSON.stringify({ v: 1, purposes: { personalization: true, measurement: true, sync: true }, at: LATER, syncAt: LATER })
    window.dispatchEvent(new StorageEvent('storage', { key: KEY, newValue: record, storageArea: localStorage }))
    expect(a.consent.get().sync).toBe(true)
    expect(await proofsSent(a, handle)).toEqual({ collect: { sync: LATER }, put: { sync: LATER } })
  })

  it('with the tcf adapter, requests carry its latest TC string, and none after stop()', async () => {
    const cmp = installCmp(TC_STRING)
    const { a, handle } = make()
    const stop = tcf(a, { vendorId: VENDOR })
    await ready(a)
    expect(await proofsSent(a, handle)).toEqual({ collect: { sync: GRANTED_AT, tcf: TC_STRING }, put: { sync: GRANTED_AT, tcf: TC_STRING } })

    cmp.change('CQnewer')
    expect(await proofsSent(a, handle)).toMatchObject({ collect: { tcf: 'CQnewer' }, put: { tcf: 'CQnewer' } })

    stop()
    const after = await proofsSent(a, handle)
    expect(after.collect).not.toHaveProperty('tcf')
    expect(after.put).not.toHaveProperty('tcf')
  })

  it('a TC string the server would refuse (not base64url) is not sent, so no batch is lost over it', async () => {
    installCmp('CQB0 <script>')
    const { a, handle } = make()
    tcf(a, { vendorId: VENDOR })
    await ready(a)
    const sent = await proofsSent(a, handle)
    expect(sent.collect).toEqual({ sync: GRANTED_AT })
  })
})
