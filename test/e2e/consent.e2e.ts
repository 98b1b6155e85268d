/**
 * DESIGN.md promise 1, "Nothing before consent", in real Chromium with the script-tag build:
 * before a grant nothing is stored or sent; a grant is remembered; withdrawal reaches every tab.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { Attune } from '../../src/createAttune'
import type { ConsentState } from '../../src/consent'
import { launch, paths, serve, storageSnapshot, waitForLoaded, waitForReady, type TestServer } from './harness'

const CONSENT_KEY = 'attune:consent:shop-1'
const ALL_GRANTED: ConsentState = { personalization: true, measurement: true, sync: true }
const ALL_DENIED: ConsentState = { personalization: false, measurement: false, sync: false }

let browser: Browser
let server: TestServer

beforeAll(async () => {
  server = await serve()
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** A fresh context (no shared storage with other tests) and a page in it, at `path` of the test server. */
const open = async (path: string, context?: BrowserContext): Promise<{ context: BrowserContext; page: Page; errors: Error[] }> => {
  context ??= await browser.newContext()
  const page = await context.newPage()
  const errors: Error[] = []
  page.on('pageerror', (error) => errors.push(error))
  await page.goto(server.url + path)
  await waitForLoaded(page)
  return { context, page, errors }
}

const consentOf = (page: Page): Promise<ConsentState> =>
  page.evaluate(() => window.attune((a: Attune) => a.consent.get()) as ConsentState)

const storedConsent = (page: Page): Promise<string | null> =>
  page.evaluate((key) => localStorage.getItem(key), CONSENT_KEY)

describe('consent in the script-tag build', () => {
  it('nothing is stored or sent before consent', async () => {
    const before = server.requests.length
    const { page, errors } = await open('/pages/consent.html')

    // Five seconds of a shopper browsing: scrolling both ways and adding products to the cart.
    const buttons = page.locator('[data-attune-track]')
    const count = await buttons.count()
    expect(count).toBeGreaterThan(2)
    const end = Date.now() + 5_000
    for (let i = 0; Date.now() < end; i++) {
      await page.mouse.wheel(0, i % 6 < 4 ? 600 : -900)
      await buttons.nth(i % count).click()
      if (i % 4 === 0) await page.evaluate((n) => window.attune('track', 'x', { n }), i)
      await page.waitForTimeout(100)
    }
    for (let n = 0; n < 3; n++) await page.evaluate(() => window.attune('track', 'x'))

    expect(await storageSnapshot(page)).toEqual({
      cookies: [],
      localStorage: [],
      sessionStorage: [],
      indexedDB: [],
      caches: [],
    })
    const sent = paths(server.requests.slice(before)).filter((path) => path !== '/favicon.ico')
    expect(sent).toEqual(['/pages/consent.html', '/dist/attune.min.js'])
    expect(await page.evaluate(() => window.__attuneReady)).not.toBe(true)
    expect(await consentOf(page)).toEqual(ALL_DENIED)
    expect(errors).toEqual([])
  })

  it('granting consent makes attune ready and remembers the grant', async () => {
    const { page, errors } = await open('/pages/consent.html')
    expect(await page.evaluate(() => window.__attuneReady)).not.toBe(true)

    await page.evaluate(() => window.attune('consent', 'grant'))
    await waitForReady(page)
    const raw = await storedConsent(page)
    expect(raw).not.toBeNull()
    const record = JSON.parse(raw as string) as { v: number; purposes: ConsentState }
    expect(record).toMatchObject({ v: 1 })
    expect(record.purposes).toEqual(ALL_GRANTED)

    // The next page view starts from the remembered grant: ready again, with no new call.
    await page.reload()
    await waitForLoaded(page)
    await waitForReady(page)
    expect(await consentOf(page)).toEqual(ALL_GRANTED)
    expect(errors).toEqual([])
  })

  it('works loaded with defer', async () => {
    const { page, errors } = await open('/pages/defer.html')
    expect(await page.evaluate(() => typeof window.attune === 'function' && window.attune.loaded === true)).toBe(true)
    expect(await page.evaluate(() => window.__attuneReady)).not.toBe(true)

    await page.evaluate(() => window.attune('consent', 'grant'))
    // Ready is heard by the callback queued through the stub: the queue was drained.
    await waitForReady(page)
    expect(await consentOf(page)).toEqual(ALL_GRANTED)
    expect(errors).toEqual([])
  })

  it('withdrawal in one tab reaches another tab', async () => {
    const a = await open('/pages/consent.html')
    const b = await open('/pages/consent.html', a.context)

    await a.page.evaluate(() => window.attune('consent', 'grant'))
    await waitForReady(a.page)
    // B hears the grant through the `storage` event.
    await waitForReady(b.page)
    expect(await consentOf(b.page)).toEqual(ALL_GRANTED)

    await a.page.evaluate(() => window.attune('consent', 'withdraw'))
    await b.page.waitForFunction(
      () => {
        const state = window.attune((x: Attune) => x.consent.get()) as ConsentState
        return !state.personalization && !state.measurement && !state.sync
      },
      undefined,
      { timeout: 2_000, polling: 100 },
    )
    expect(await consentOf(b.page)).toEqual(ALL_DENIED)
    expect(await consentOf(a.page)).toEqual(ALL_DENIED)
    expect(await storedConsent(a.page)).toBeNull()
    expect(await storedConsent(b.page)).toBeNull()
    expect([...a.errors, ...b.errors]).toEqual([])
  })
})
