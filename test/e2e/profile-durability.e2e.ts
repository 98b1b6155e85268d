/**
 * Nothing lost (DESIGN.md promise 4) for the on-device profile, in real Chromium with the script
 * tag, its page chunk and attune-ui.min.js on the page: product views tracked through
 * `attune('track', …)` and read from product pages' JSON-LD are all in the profile after the page
 * reloads, navigates away, or its tab is closed — the moment attune has them stored — many times
 * over, and with two tabs writing at once.
 *
 * "Stored" is decided by IndexedDB itself: a read asked for right after the track calls runs after
 * every write attune asked for before it (transactions on one store run in the order they were
 * made). attune asks for its write in the very task of the track call, and a write still waiting
 * for its read of the stored profile takes whatever was tracked meanwhile: so that read sees every
 * view, and the page leaves from its callback. A store that held views back in memory until an
 * earlier write finished fails here (that is how a page left at that moment lost them).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { Attune } from '../../src/createAttune'
import type { ProfileView } from '../../src/profile/model'
import { launch, serve, waitForLoaded, type TestServer } from './harness'

declare global {
  interface Window {
    /** What attune accepted on this page view, as `name:product id` (the page's `on('track')`). */
    __accepted: string[]
    /** Messages of the errors attune reported on this page view (the page's `on('error')`). */
    __errors?: string[]
    /** Set just before the page is left, so that the next page view can be told apart. */
    __leaving?: boolean
  }
}

const PAGE = '/pages/durable.html'
const DATABASE = 'attune-shop-durable'
/** Page views per test. */
const LOOPS = 30
/** Each test leaves and loads the page LOOPS times, on a machine that may be busy. */
const TIMEOUT = 240_000

let browser: Browser
let server: TestServer
const contexts: BrowserContext[] = []

beforeAll(async () => {
  server = await serve()
  browser = await launch()
})
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

const newContext = async (): Promise<BrowserContext> => {
  const context = await browser.newContext()
  contexts.push(context)
  return context
}

/** Waits for the page view after the one marked `__leaving`, until attune is ready on it. */
const readyAgain = (page: Page): Promise<unknown> =>
  page.waitForFunction(() => !window.__leaving && window.__attuneReady === true, undefined, { timeout: 30_000, polling: 20 })

/** A new tab of `context` on `path`, attune ready (consent is remembered in the context). */
const openTab = async (context: BrowserContext, path = PAGE): Promise<Page> => {
  const page = await context.newPage()
  await page.goto(server.url + path)
  await readyAgain(page)
  return page
}

/** A tab in a fresh context with everything granted, attune ready. */
const grantedTab = async (path = PAGE): Promise<Page> => {
  const page = await (await newContext()).newPage()
  await page.goto(server.url + path)
  await waitForLoaded(page)
  await page.evaluate(() => window.attune('consent', 'grant'))
  await readyAgain(page)
  return page
}

/** The profile as the page reads it (`attune.profile.get()`). */
const viewOf = (page: Page): Promise<ProfileView> => page.evaluate(() => window.attune((a: Attune) => a.profile.get()) as ProfileView)

/** How the page is left once IndexedDB has the views: `stay` lets the test close the tab itself. */
type Leave = { reload: true } | { href: string } | { stay: true }

/**
 * Tracks product views `ids` — the first alone, the others while attune's write of it waits for
 * IndexedDB — then reads the stored profile with a connection of the page's own, asked for after
 * them, and leaves the page from that read's callback. Returns, and keeps in sessionStorage for
 * the next page view of the tab, the ids that read did not find (`extra` ids, already tracked, are
 * looked for too).
 */
const trackThenLeave = async (page: Page, ids: string[], leave: Leave, extra: string[] = []): Promise<string[]> => {
  const run = page.evaluate(
    async ([ids, extra, leave, name]) => {
      const reader = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open(name)
        open.onsuccess = () => resolve(open.result)
        open.onerror = () => reject(open.error)
      })
      // Microtasks only: no IndexedDB event can arrive in between, so attune's first write has
      // been asked for and has not read the profile yet when the other views are tracked.
      const microtasks = async (): Promise<void> => {
        for (let i = 0; i < 20; i++) await null
      }
      const [first, ...rest] = ids
      window.attune('track', 'product_viewed', { product_id: first, category: 'Running' })
      await microtasks()
      for (const id of rest) window.attune('track', 'product_viewed', { product_id: id, category: 'Running' })
      await microtasks()
      return new Promise<string[]>((resolve, reject) => {
        const read = reader.transaction('kv').objectStore('kv').get('profile')
        read.onerror = () => reject(read.error)
        read.onsuccess = () => {
          const devices = Object.values((read.result as { devices?: Record<string, { viewed: Array<{ id: string }> }> } | undefined)?.devices ?? {})
          const stored = new Set(devices.flatMap((d) => d.viewed.map((v) => v.id)))
          const missing = [...extra, ...ids].filter((id) => !stored.has(id))
          sessionStorage.setItem('missing', JSON.stringify(missing))
          reader.close()
          // Left in the read's own callback: nothing of this page view runs after it.
          if ('reload' in leave || 'href' in leave) window.__leaving = true
          if ('reload' in leave) location.reload()
          if ('href' in leave) location.href = leave.href
          resolve(missing)
        }
      })
    },
    [ids, extra, leave, DATABASE] as const,
  )
  if ('stay' in leave) return run
  // The navigation may tear the evaluation down before its answer arrives: the answer is kept.
  await run.catch((error: Error) => {
    if (!/context was destroyed|navigat|Target closed/i.test(error.message)) throw error
  })
  await readyAgain(page)
  return page.evaluate(() => JSON.parse(sessionStorage.getItem('missing') ?? '"not read"') as string[])
}

/** Ids `prefix-0`, `prefix-1`, `prefix-2`. */
const three = (prefix: string): string[] => [0, 1, 2].map((k) => `${prefix}-${k}`)

/** What `view` lacks of `ids` (the last 50 products viewed are kept: pass at most that many). */
const lacking = (view: ProfileView, ids: string[]): string[] => ids.filter((id) => !view.viewed.some((v) => v.id === id))

describe('every stored product view is still in the profile on the next page view', () => {
  it('when the page reloads the moment IndexedDB has them, 30 times over', { timeout: TIMEOUT }, async () => {
    const page = await grantedTab()
    const tracked: string[] = []
    for (let i = 0; i < LOOPS; i++) {
      const ids = three(`reload-${i}`)
      tracked.push(...ids)
      expect({ i, missingBeforeLeaving: await trackThenLeave(page, ids, { reload: true }) }).toEqual({ i, missingBeforeLeaving: [] })
      const view = await viewOf(page)
      expect({ i, views: view.counters.product_views, lacking: lacking(view, tracked.slice(-45)) }).toEqual({ i, views: tracked.length, lacking: [] })
    }
    expect(await page.evaluate(() => window.__errors)).toEqual([])
  })

  it('when each product page (JSON-LD) is left for the next the moment IndexedDB has its views', { timeout: TIMEOUT }, async () => {
    const page = await grantedTab(`${PAGE}?sku=sku-0`)
    const accepted = (sku: string): Promise<unknown> =>
      page.waitForFunction((sku) => window.__accepted.includes(`product_viewed:${sku}`), sku, { timeout: 30_000, polling: 20 })
    const tracked: string[] = []
    for (let i = 0; i < LOOPS; i++) {
      // This page's own product, read from its JSON-LD by the page chunk, plus two tracked by the page.
      const sku = `sku-${i}`
      await accepted(sku)
      const ids = [`link-${i}-0`, `link-${i}-1`]
      tracked.push(sku, ...ids)
      const href = `${server.url}${PAGE}?sku=sku-${i + 1}`
      expect({ i, missingBeforeLeaving: await trackThenLeave(page, ids, { href }, [sku]) }).toEqual({ i, missingBeforeLeaving: [] })
      expect(new URL(page.url()).search).toBe(`?sku=sku-${i + 1}`)
    }
    await accepted(`sku-${LOOPS}`)
    const view = await viewOf(page)
    expect(lacking(view, tracked.slice(-45))).toEqual([])
    // Every page's product, two tracked views per page, and the last page's own product.
    expect(view.counters.product_views).toBe(tracked.length + 1)
    expect(await page.evaluate(() => window.__errors)).toEqual([])
  })

  it('when the tab is closed the moment IndexedDB has them and the site is opened again in a new tab', { timeout: TIMEOUT }, async () => {
    let page = await grantedTab()
    const context = page.context()
    const tracked: string[] = []
    for (let i = 0; i < LOOPS; i++) {
      const ids = three(`closed-${i}`)
      tracked.push(...ids)
      expect({ i, missingBeforeClosing: await trackThenLeave(page, ids, { stay: true }) }).toEqual({ i, missingBeforeClosing: [] })
      await page.close()
      page = await openTab(context)
      const view = await viewOf(page)
      expect({ i, views: view.counters.product_views, lacking: lacking(view, tracked.slice(-45)) }).toEqual({ i, views: tracked.length, lacking: [] })
    }
  })

  it('when two tabs write at once and both reload the moment IndexedDB has their views', { timeout: TIMEOUT }, async () => {
    const a = await grantedTab()
    const b = await openTab(a.context())
    const tracked: string[] = []
    for (let i = 0; i < LOOPS / 2; i++) {
      const [inA, inB] = [three(`tab-a-${i}`), three(`tab-b-${i}`)]
      tracked.push(...inA, ...inB)
      const missing = await Promise.all([trackThenLeave(a, inA, { reload: true }), trackThenLeave(b, inB, { reload: true })])
      expect({ i, missingBeforeLeaving: missing }).toEqual({ i, missingBeforeLeaving: [[], []] })
      for (const page of [a, b]) {
        // Each tab read the profile as it loaded: the other tab's write may have come just after.
        await page.waitForFunction((n) => (window.attune((x: Attune) => x.profile.get()) as ProfileView).counters.product_views === n, tracked.length, {
          timeout: 10_000,
          polling: 50,
        })
        expect(lacking(await viewOf(page), tracked.slice(-45))).toEqual([])
      }
    }
  })
})
