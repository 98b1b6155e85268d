/**
 * Issue 7, vanilla-cookieconsent v3 in real Chromium: the real package's banner on a page, the
 * shopper clicking its buttons, attune following it with `cookieconsent()` from the npm build and
 * the shop's own category names mapped by option.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { Attune } from '../../src/createAttune'
import type { ConsentState } from '../../src/consent'
import { launch, serve, storageSnapshot, type TestServer } from './harness'

declare global {
  interface Window {
    __a: Attune
    __ready?: boolean
    __errors?: string[]
    CookieConsent: { validConsent(): boolean; acceptedCategory(name: string): boolean }
  }
}

const DATABASE = 'attune-shop-1'
const CONSENT_KEY = 'attune:consent:shop-1'
const NONE: ConsentState = { personalization: false, measurement: false, sync: false }
const ALL: ConsentState = { personalization: true, measurement: true, sync: true }
const PACKAGE = fileURLToPath(new URL('../../node_modules/vanilla-cookieconsent/dist/', import.meta.url))

let browser: Browser
let server: TestServer
const contexts: BrowserContext[] = []

beforeAll(async () => {
  // The package's own browser build and stylesheet, as a shop would host them.
  server = await serve([
    (req, res) => {
      const file = { '/vendor/cookieconsent/cookieconsent.umd.js': 'cookieconsent.umd.js', '/vendor/cookieconsent/cookieconsent.css': 'cookieconsent.css' }[
        req.url ?? ''
      ]
      if (!file) return false
      void readFile(join(PACKAGE, file)).then((content) =>
        res.writeHead(200, { 'Content-Type': file.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8' }).end(content),
      )
      return true
    },
  ])
  browser = await launch()
})

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close()
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** A tab on the banner page (a fresh browser profile unless `context` is given), attune loaded. */
const open = async (context?: BrowserContext, file = 'cookieconsent.html'): Promise<{ context: BrowserContext; page: Page; errors: Error[] }> => {
  if (!context) {
    context = await browser.newContext()
    contexts.push(context)
  }
  const page = await context.newPage()
  const errors: Error[] = []
  page.on('pageerror', (error) => errors.push(error))
  await page.goto(`${server.url}/pages/${file}`)
  await page.waitForFunction(() => window.__a !== undefined, undefined, { timeout: 10_000 })
  return { context, page, errors }
}

const consentOf = (page: Page): Promise<ConsentState> => page.evaluate(() => window.__a.consent.get())
const reported = (page: Page): Promise<string[]> => page.evaluate(() => window.__errors ?? [])
const waitConsent = (page: Page, state: ConsentState) =>
  page.waitForFunction((want) => JSON.stringify(window.__a.consent.get()) === JSON.stringify(want), state, { timeout: 10_000 })
/** What attune keeps on the device: its localStorage keys and IndexedDB databases (the banner's own cookie aside). */
const attuneData = async (page: Page) => {
  const { localStorage, indexedDB } = await storageSnapshot(page)
  return { localStorage: localStorage.filter((key) => key.startsWith('attune:')), indexedDB }
}
/** The banner, as the shopper sees it. */
const banner = (page: Page) => page.locator('#cc-main .cm')
const preferences = (page: Page) => page.locator('#cc-main .pm')
/** Switches a category in the preferences modal as a keyboard user does (Space on its checkbox); returns it checked or not. */
const flip = async (page: Page, category: string): Promise<boolean> => {
  const toggle = preferences(page).locator(`input.section__toggle[value="${category}"]`)
  const before = await toggle.isChecked()
  await toggle.focus()
  await page.keyboard.press('Space')
  await expect.poll(() => toggle.isChecked(), { timeout: 10_000 }).toBe(!before)
  return !before
}

describe('cookieconsent() against the real vanilla-cookieconsent v3', () => {
  it('"Accept all" on the banner grants every purpose; the next page follows the remembered choice', async () => {
    const { page, errors } = await open()
    await expect.poll(() => banner(page).isVisible(), { timeout: 10_000 }).toBe(true)
    expect(await consentOf(page)).toEqual(NONE)
    expect(await attuneData(page)).toEqual({ localStorage: [], indexedDB: [] })

    await banner(page).locator('[data-role="all"]').click()
    await waitConsent(page, ALL)
    await page.waitForFunction(() => window.__ready === true, undefined, { timeout: 10_000 })

    await page.reload()
    await page.waitForFunction(() => window.__ready === true, undefined, { timeout: 10_000 })
    expect(await consentOf(page)).toEqual(ALL)
    expect(await page.evaluate(() => window.CookieConsent.validConsent())).toBe(true)
    expect(await banner(page).isVisible()).toBe(false)
    expect(await reported(page)).toEqual([])
    expect(errors).toEqual([])
  })

  it('"Reject all" on the banner leaves everything denied, and attune stores nothing', async () => {
    const { page, errors } = await open()
    await banner(page).locator('[data-role="necessary"]').click()
    await page.waitForFunction(() => window.CookieConsent.validConsent(), undefined, { timeout: 10_000 })
    expect(await page.evaluate(() => ['functionality', 'statistics'].map((c) => window.CookieConsent.acceptedCategory(c)))).toEqual([false, false])
    expect(await consentOf(page)).toEqual(NONE)
    expect(await attuneData(page)).toEqual({ localStorage: [], indexedDB: [] })
    expect(await page.evaluate(() => window.__ready)).toBeUndefined()
    expect(await reported(page)).toEqual([])
    expect(errors).toEqual([])
  })

  it("the shop's own categories map by option: only \"functionality\" accepted → personalization and sync, not measurement", async () => {
    const { page, errors } = await open()
    await banner(page).locator('[data-role="show"]').click()
    await expect.poll(() => preferences(page).isVisible(), { timeout: 10_000 }).toBe(true)
    expect(await flip(page, 'functionality')).toBe(true)
    await preferences(page).locator('[data-role="save"]').click()
    await waitConsent(page, { personalization: true, measurement: false, sync: true })
    expect(await reported(page)).toEqual([])
    expect(errors).toEqual([])
  })

  it('changing preferences later to refuse everything withdraws: local data wiped, in every tab', async () => {
    const { context, page, errors } = await open()
    await banner(page).locator('[data-role="all"]').click()
    await page.waitForFunction(() => window.__ready === true, undefined, { timeout: 10_000 })
    await page.evaluate(() => window.__a.track('product_viewed', { product_id: 'sku-run-1', category: 'running' }))
    await expect.poll(() => page.evaluate(() => window.__a.profile.get().counters.product_views ?? 0), { timeout: 10_000 }).toBe(1)
    expect(await attuneData(page)).toEqual({ localStorage: [CONSENT_KEY], indexedDB: [DATABASE] })
    const other = await open(context)
    await other.page.waitForFunction(() => window.__ready === true, undefined, { timeout: 10_000 })

    // Later, from the shop's "Cookie settings" link: both categories switched off, saved.
    await page.locator('[data-cc="show-preferencesModal"]').click()
    await expect.poll(() => preferences(page).isVisible(), { timeout: 10_000 }).toBe(true)
    for (const category of ['functionality', 'statistics']) expect(await flip(page, category)).toBe(false)
    await preferences(page).locator('[data-role="save"]').click()

    await waitConsent(page, NONE)
    await waitConsent(other.page, NONE)
    await expect.poll(() => attuneData(page), { timeout: 10_000 }).toEqual({ localStorage: [], indexedDB: [] })
    expect(await page.evaluate(() => window.__a.profile.get().counters.product_views)).toBeUndefined()
    expect(await reported(page)).toEqual([])
    expect([...errors, ...other.errors]).toEqual([])
  })
})

describe('the script tag with data-attune-consent="cookieconsent"', () => {
  /** The files of attune the page asked for, in order. */
  const fetched = () => server.requests.map((r) => r.path).filter((p) => p.startsWith('/dist/'))

  it('loads the adapter beside itself, waits for the banner, and follows its answer with no code', async () => {
    server.requests.length = 0
    const { page, errors } = await open(undefined, 'cookieconsent-tag.html')
    await expect.poll(() => banner(page).isVisible(), { timeout: 10_000 }).toBe(true)
    // Before the answer: the tag and its adapter, nothing else, and nothing stored.
    await expect.poll(fetched, { timeout: 10_000 }).toEqual(['/dist/attune.min.js', '/dist/attune-consent-cookieconsent.min.js'])
    expect(await consentOf(page)).toEqual(NONE)
    expect(await attuneData(page)).toEqual({ localStorage: [], indexedDB: [] })

    // The options of data-attune-consent-options map the shop's categories.
    await banner(page).locator('[data-role="show"]').click()
    await expect.poll(() => preferences(page).isVisible(), { timeout: 10_000 }).toBe(true)
    expect(await flip(page, 'functionality')).toBe(true)
    await preferences(page).locator('[data-role="save"]').click()
    await waitConsent(page, { personalization: true, measurement: false, sync: true })
    await page.waitForFunction(() => window.__ready === true, undefined, { timeout: 10_000 })
    await expect.poll(fetched, { timeout: 10_000 }).toContain('/dist/attune-page.min.js')
    expect(await reported(page)).toEqual([])
    expect(errors).toEqual([])
  })
})
