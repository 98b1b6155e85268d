/**
 * Issue 7, TCF v2.2 in real Chromium: the page runs the real `@iabtcf/cmpapi`, the test encodes
 * TC strings with the real `@iabtcf/core` (against a small GVL of our own,
 * test/fixtures/gvl.json: nothing is fetched), and attune follows with `tcf()` from the npm
 * build, syncing with the real reference server. The matrix: banner up, purpose 1 refused,
 * vendor refused, the README mapping, later withdrawn; `stop()`; the TC string on requests.
 */
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { serve as serveHttp, type ServerType } from '@hono/node-server'
import { GVL, TCModel, TCString } from '@iabtcf/core'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import { rollup } from 'rollup'
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { Attune } from '../../src/createAttune'
import type { ConsentState } from '../../src/consent'
import type { SyncHandle } from '../../src/sync'
import { createServer, type AttuneServer } from '../../server/src/index'
import { launch, serve, storageSnapshot, type TestServer } from './harness'

/** What tcf.html records of every `__tcfapi` call: the command, its parameter, each answer. */
interface TcfCall {
  command: string
  parameter?: unknown
  answers: Array<{ eventStatus?: string; listenerId?: number; data?: unknown; success: boolean }>
}

declare global {
  interface Window {
    __a: Attune
    __s: SyncHandle
    __stopTcf: () => void
    __cmp: { update(tcString: string | null, uiVisible?: boolean): void }
    __tcfCalls: TcfCall[]
    __ready?: boolean
    __errors?: string[]
  }
}

const SITE = 'shop-1'
const VENDOR = 1234
const OTHER_VENDOR = 99
const DATABASE = `attune-${SITE}`
const CONSENT_KEY = `attune:consent:${SITE}`
const NONE: ConsentState = { personalization: false, measurement: false, sync: false }
const ALL: ConsentState = { personalization: true, measurement: true, sync: true }
const EVERY_PURPOSE = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]

const gvl = new GVL(JSON.parse(readFileSync(new URL('../fixtures/gvl.json', import.meta.url), 'utf8')))

/** A TC string as a CMP writes it once the shopper answered: these purposes, these vendors consented. */
const tcString = (purposes: readonly number[], vendors: readonly number[] = [VENDOR, OTHER_VENDOR]): string => {
  const model = new TCModel(gvl)
  model.cmpId = 10
  model.cmpVersion = 1
  model.isServiceSpecific = true
  model.purposeConsents.set([...purposes])
  model.vendorConsents.set([...vendors])
  return TCString.encode(model)
}

/** One request the attune server received, as it arrived. */
interface ApiRequest {
  method: string
  path: string
  body: { consent?: { sync?: number; tcf?: string } } | undefined
}

let browser: Browser
let web: TestServer
let api: AttuneServer
let http: ServerType
let apiUrl: string
let received: ApiRequest[] = []
const contexts: BrowserContext[] = []

beforeAll(async () => {
  // The real CmpApi for the page, bundled from node_modules (its @iabtcf/core included).
  const bundle = await rollup({
    input: 'cmpapi',
    plugins: [
      { name: 'entry', resolveId: (id) => (id === 'cmpapi' ? id : null), load: (id) => (id === 'cmpapi' ? "export { CmpApi } from '@iabtcf/cmpapi'" : null) },
      nodeResolve({ browser: true }),
    ],
    // @iabtcf's own modules import each other in circles; harmless, and not ours to fix.
    onwarn: (warning, warn) => warning.code !== 'CIRCULAR_DEPENDENCY' && warn(warning),
  })
  const cmpapi = (await bundle.generate({ format: 'es' })).output[0].code
  await bundle.close()
  web = await serve([
    (req, res) => {
      if (req.url !== '/vendor/cmpapi.js') return false
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(cmpapi)
      return true
    },
  ])
  api = await createServer({
    db: 'memory://',
    secret: 'test-secret-0123456789abcdef0123456789',
    sites: { [SITE]: { origins: [web.url] } },
    rateLimits: { ip: false, visitor: false },
  })
  http = await new Promise<ServerType>((done) => {
    const server: ServerType = serveHttp(
      {
        fetch: async (request: Request, env: unknown) => {
          const text = request.method === 'OPTIONS' ? '' : await request.clone().text()
          let body: ApiRequest['body']
          try {
            body = text ? (JSON.parse(text) as ApiRequest['body']) : undefined
          } catch {
            // Not JSON: recorded without a body.
          }
          if (request.method !== 'OPTIONS') received.push({ method: request.method, path: new URL(request.url).pathname, body })
          return api.fetch(request, env as never)
        },
        port: 0,
        hostname: '127.0.0.1',
      },
      () => done(server),
    )
  })
  apiUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  browser = await launch()
})

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close()
  received = []
  // Each test reads the server's tables as its own.
  await api.db.query('TRUNCATE events, profile_entries, identities, visitors')
})

afterAll(async () => {
  await browser?.close()
  await web?.close()
  if (http) await new Promise<void>((done) => http.close(() => done()))
  await api?.close()
})

/** A fresh browser profile on the TCF page, the CMP loaded and nothing decided yet. */
const open = async (): Promise<{ page: Page; errors: Error[] }> => {
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  const errors: Error[] = []
  page.on('pageerror', (error) => errors.push(error))
  await page.goto(`${web.url}/pages/tcf.html?api=${encodeURIComponent(apiUrl)}`)
  // attune asked the CMP to call it back; the CmpApi holds that until its first update.
  await page.waitForFunction(() => window.__tcfCalls?.some((c) => c.command === 'addEventListener'), undefined, { timeout: 10_000 })
  return { page, errors }
}

/** What attune's listener has been answered so far (event statuses, in order). */
const answers = (page: Page): Promise<TcfCall['answers']> =>
  page.evaluate(() => window.__tcfCalls.find((c) => c.command === 'addEventListener')?.answers ?? [])

/**
 * The CMP publishes a TC string (`uiVisible`: its banner is up), as `cmpApi.update` does; resolves
 * once attune's listener has been called with it, and returns the event status it got.
 */
const publish = async (page: Page, tc: string, uiVisible = false): Promise<string | undefined> => {
  const before = (await answers(page)).length
  await page.evaluate(([s, ui]) => window.__cmp.update(s as string, ui as boolean), [tc, uiVisible] as const)
  await page.waitForFunction((n) => (window.__tcfCalls.find((c) => c.command === 'addEventListener')?.answers.length ?? 0) > n, before, {
    timeout: 10_000,
  })
  return (await answers(page))[before]?.eventStatus
}

const consentOf = (page: Page): Promise<ConsentState> => page.evaluate(() => window.__a.consent.get())
const reported = (page: Page): Promise<string[]> => page.evaluate(() => window.__errors ?? [])
const waitReady = (page: Page) => page.waitForFunction(() => window.__ready === true, undefined, { timeout: 10_000 })
const untouched = { cookies: [], localStorage: [], sessionStorage: [], indexedDB: [], caches: [] }

describe('tcf() against the real @iabtcf/cmpapi', () => {
  it('the banner is up (cmpuishown): attune stays denied, stores and sends nothing, until the shopper answers', async () => {
    const { page, errors } = await open()
    // A new shopper: the CMP shows its banner with no TC string yet.
    expect(await publish(page, '', true)).toBe('cmpuishown')
    // A returning shopper whose old string granted everything, asked again: still nothing until they answer.
    expect(await publish(page, tcString(EVERY_PURPOSE), true)).toBe('cmpuishown')
    expect(await consentOf(page)).toEqual(NONE)
    expect(await storageSnapshot(page)).toEqual(untouched)
    expect(received).toEqual([])

    expect(await publish(page, tcString(EVERY_PURPOSE))).toBe('useractioncomplete')
    expect(await consentOf(page)).toEqual(ALL)
    await waitReady(page)
    expect(await reported(page)).toEqual([])
    expect(errors).toEqual([])
  })

  // The README's table: personalization ← 1, 5, 6; measurement ← 1, 8; sync ← 1, 5; each with vendor consent.
  it.each([
    { name: 'purpose 1 refused (all the others given)', purposes: EVERY_PURPOSE.filter((p) => p !== 1), vendors: [VENDOR], expected: NONE },
    { name: 'every purpose given but our vendor refused (another consented)', purposes: EVERY_PURPOSE, vendors: [OTHER_VENDOR], expected: NONE },
    { name: 'purposes 1, 5, 6, 8 and the vendor: all granted', purposes: [1, 5, 6, 8], vendors: [VENDOR], expected: ALL },
    { name: 'purposes 1, 5, 6: personalization and sync', purposes: [1, 5, 6], vendors: [VENDOR], expected: { ...NONE, personalization: true, sync: true } },
    { name: 'purposes 1, 5: sync only (personalization also needs 6)', purposes: [1, 5], vendors: [VENDOR], expected: { ...NONE, sync: true } },
    { name: 'purposes 1, 8: measurement only', purposes: [1, 8], vendors: [VENDOR], expected: { ...NONE, measurement: true } },
    { name: 'advertising purposes only (1–4, 7, 9–11): nothing', purposes: [1, 2, 3, 4, 7, 9, 10, 11], vendors: [VENDOR], expected: NONE },
  ])('$name', async ({ purposes, vendors, expected }) => {
    const { page, errors } = await open()
    expect(await publish(page, tcString(purposes, vendors))).toBe('tcloaded')
    expect(await consentOf(page)).toEqual(expected)
    if (expected === NONE) {
      expect(await storageSnapshot(page)).toEqual(untouched)
      expect(received).toEqual([])
    }
    expect(await reported(page)).toEqual([])
    expect(errors).toEqual([])
  })

  it('all granted: events and profile writes carry the TC string, and the server keeps it with the profile', async () => {
    const { page, errors } = await open()
    const tc = tcString([1, 5, 6, 8])
    await publish(page, tc)
    await waitReady(page)
    await page.evaluate(async () => {
      window.__a.track('product_viewed', { product_id: 'sku-run-1', category: 'running' })
      await window.__s.flush()
      await window.__s.sync()
    })
    await expect.poll(() => received.filter((r) => r.method === 'PUT').length, { timeout: 10_000 }).toBeGreaterThan(0)
    const collect = received.find((r) => r.path === '/v1/collect')
    const put = received.find((r) => r.method === 'PUT')
    expect(collect?.body?.consent).toEqual({ sync: expect.any(Number), tcf: tc })
    expect(put?.body?.consent).toEqual({ sync: collect?.body?.consent?.sync, tcf: tc })
    const rows = await api.db.query<{ consent: unknown }>('SELECT consent FROM profile_entries WHERE site = $1', [SITE])
    expect(rows).toEqual([{ consent: { sync: collect?.body?.consent?.sync, tcf: tc } }])
    expect(await reported(page)).toEqual([])
    expect(errors).toEqual([])
  })

  it('withdrawn later (a new TC string without the purposes): withdraw — local data wiped, the server asked to erase', async () => {
    const { page, errors } = await open()
    await publish(page, tcString([1, 5, 6, 8]))
    await waitReady(page)
    await page.evaluate(async () => {
      window.__a.track('product_viewed', { product_id: 'sku-run-1', category: 'running' })
      await window.__s.flush()
    })
    const before = await storageSnapshot(page)
    expect(before.indexedDB).toContain(DATABASE)
    expect(before.localStorage).toContain(CONSENT_KEY)
    const [visitor] = await api.db.query<{ visitor: string }>('SELECT visitor::text FROM visitors WHERE site = $1', [SITE])
    expect(visitor).toBeDefined()

    // The shopper reopens the banner (nothing changes while it is up), then refuses everything.
    expect(await publish(page, tcString([1, 5, 6, 8]), true)).toBe('cmpuishown')
    expect(await consentOf(page)).toEqual(ALL)
    expect(await publish(page, tcString([], [OTHER_VENDOR]))).toBe('useractioncomplete')
    expect(await consentOf(page)).toEqual(NONE)

    await expect.poll(async () => (await storageSnapshot(page)).indexedDB, { timeout: 10_000 }).not.toContain(DATABASE)
    expect((await storageSnapshot(page)).localStorage).not.toContain(CONSENT_KEY)
    await expect.poll(() => received.some((r) => r.method === 'DELETE' && r.path === '/v1/profile'), { timeout: 10_000 }).toBe(true)
    await expect
      .poll(async () => (await api.db.query('SELECT 1 FROM visitors WHERE site = $1 AND visitor = $2', [SITE, visitor?.visitor])).length, { timeout: 10_000 })
      .toBe(0)
    expect(await api.db.query('SELECT 1 FROM events WHERE site = $1', [SITE])).toEqual([])
    expect(await reported(page)).toEqual([])
    expect(errors).toEqual([])
  })

  it("stop() removes attune's listener with its listenerId; later TC strings no longer reach attune", async () => {
    const { page, errors } = await open()
    await publish(page, tcString([1, 5, 6, 8]))
    const [first] = await answers(page)
    expect(first?.listenerId).toEqual(expect.any(Number))

    await page.evaluate(() => window.__stopTcf())
    const removal = await page.evaluate(() => window.__tcfCalls.filter((c) => c.command === 'removeEventListener'))
    // The CmpApi answers `true`: it knew that listener id, and has dropped it.
    expect(removal).toEqual([{ command: 'removeEventListener', parameter: first?.listenerId, answers: [{ data: true, success: true }] }])

    const heard = (await answers(page)).length
    await page.evaluate((s) => window.__cmp.update(s, false), tcString([]))
    // The CmpApi calls its listeners synchronously within update(): nothing more came.
    expect((await answers(page)).length).toBe(heard)
    expect(await consentOf(page)).toEqual(ALL)
    expect(await reported(page)).toEqual([])
    expect(errors).toEqual([])
  })
})
