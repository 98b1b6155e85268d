/**
 * The QA overlay (`attune/debug`) in real Chromium, through the script tag, against the real
 * reference server, on a page served with `default-src 'self'; require-trusted-types-for
 * 'script'` (and `connect-src` naming the attune server, as any site using one must): a preview token minted with the admin API opens it from the page's
 * `#attune-preview=` fragment; a tampered or expired token, a bare URL parameter or a fragment
 * naming another host show nothing, load nothing but the tag's own sibling file, and leave the
 * page and its storage as they were.
 */
import { serve as serveApi } from '@hono/node-server'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AxeResults } from 'axe-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type AttuneServer } from '../../server/src/index'
import { launch, serve, storageSnapshot, waitForLoaded, waitForReady, type Route, type TestServer } from './harness'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
/** The strict policy, with the attune server as the one other origin the page may connect to. */
const csp = (): string => `default-src 'self'; connect-src 'self' ${apiUrl}; require-trusted-types-for 'script'; report-uri /csp-report`
const ADMIN_KEY = 'e2e-admin-key-0123456789'

let browser: Browser
let site: TestServer
let api: AttuneServer
let apiUrl: string
let closeApi: () => void
/** Added to the server's clock: tests move it forward to expire tokens. */
let skew = 0
const contexts: BrowserContext[] = []
/** CSP reports Chromium sent, as `directive: blocked`. */
const reports: string[] = []

/** The page: the tag with the API as its endpoint; two slots, one decided by affinity, one by audience. */
const html = (): string => `<!doctype html>
<html lang="en" class="attune-loading">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>QA overlay — Example Sports</title>
    <link rel="stylesheet" href="/dist/attune.css">
    <script src="/pages/debug.js"></script>
    <script async src="/dist/attune.min.js" data-attune-site="shop-1" data-attune-endpoint="${apiUrl}"></script>
  </head>
  <body>
    <main>
      <h1>Example Sports</h1>
      <section data-attune-slot="hero"><h2>Summer sale</h2><p>Everything for the summer.</p></section>
      <template data-attune-variant="hero" data-attune-id="running" data-attune-tags="category:running"><h2>New running shoes</h2><p>Light, fast, yours.</p></template>
      <template data-attune-variant="hero" data-attune-id="yoga" data-attune-tags="category:yoga"><h2>Yoga week</h2><p>Mats and more.</p></template>
      <section data-attune-slot="banner"><p>Free returns for 30 days.</p></section>
    </main>
  </body>
</html>
`

const routes: Route = (req, res, body) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  if (path === '/csp-report') {
    const report = (JSON.parse(body) as { 'csp-report': { 'effective-directive': string; 'blocked-uri': string } })['csp-report']
    reports.push(`${report['effective-directive']}: ${report['blocked-uri']}`)
    res.writeHead(204).end()
    return true
  }
  if (path !== '/dbg.html') return false
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': csp() }).end(html())
  return true
}

beforeAll(async () => {
  site = await serve([routes])
  api = await createServer({
    db: 'memory://',
    secret: 'e2e-secret-0123456789abcdef0123456789',
    adminKey: ADMIN_KEY,
    sites: {
      'shop-1': {
        origins: [site.url],
        config: {
          audiences: [{ id: 'newsletter', condition: { fact: 'utm.utm_source', op: 'eq', value: 'newsletter' } }],
          variants: { banner: [{ id: 'spring', audience: 'newsletter', content: [{ tag: 'p', children: ['Spring offers for our newsletter readers.'] }] }] },
        },
      },
    },
    rateLimits: { ip: false, visitor: false },
    now: () => Date.now() + skew,
  })
  const listening = serveApi({ fetch: api.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise((done) => listening.once('listening', done))
  apiUrl = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`
  closeApi = () => listening.close()
  browser = await launch()
})

afterEach(async () => {
  skew = 0
  for (const context of contexts.splice(0)) await context.close()
})

afterAll(async () => {
  await browser?.close()
  closeApi?.()
  await api?.close()
  await site?.close()
})

/** A preview token from the admin API. */
const mint = async (ttlSeconds = 600): Promise<string> => {
  const res = await fetch(`${apiUrl}/v1/admin/sites/shop-1/preview-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ttlSeconds, note: 'e2e: spring campaign QA' }),
  })
  expect(res.status).toBe(201)
  return ((await res.json()) as { token: string }).token
}

/** A fresh browser profile and page, with every request it makes recorded. */
const open = async (): Promise<{ page: Page; requests: string[]; pageErrors: Error[] }> => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  contexts.push(context)
  const page = await context.newPage()
  const requests: string[] = []
  const pageErrors: Error[] = []
  page.on('request', (r) => requests.push(r.url()))
  page.on('pageerror', (e) => pageErrors.push(e))
  return { page, requests, pageErrors }
}

const read = <T>(page: Page, name: string): Promise<T> => page.evaluate((n) => (window as unknown as Record<string, T>)[n] as T, name)

/** The page's markup as it stands, and what its origin stores. */
const state = async (page: Page) => ({
  dom: await page.evaluate(() => document.documentElement.outerHTML),
  storage: await storageSnapshot(page),
})

/** Waits for the tag's preview check to be answered with `status`. */
const checked = (page: Page, status: number) =>
  page.waitForResponse((r) => r.url() === `${apiUrl}/v1/sites/shop-1/preview` && r.request().method() === 'GET' && r.status() === status, { timeout: 15_000 })

/** What the overlay shows, read through its shadow root. */
const overlay = (page: Page) =>
  page.evaluate(() => {
    const root = document.querySelector('attune-debug')?.shadowRoot
    if (!root) return undefined
    const text = (n: Element | null | undefined) => (n?.textContent ?? '').replace(/\s+/g, ' ').trim()
    return {
      tags: Array.from(root.querySelectorAll('.tag')).map(text),
      slots: Array.from(root.querySelectorAll('section')).map((s) => ({
        heading: text(s.querySelector('h3')),
        fields: Object.fromEntries(Array.from(s.querySelectorAll('dt')).map((dt) => [text(dt), text(dt.nextElementSibling)])),
        candidates: Array.from(s.querySelectorAll('li')).map(text),
        facts: Array.from(s.querySelectorAll('tbody tr')).map((tr) => Array.from(tr.querySelectorAll('td')).map(text)),
      })),
      // Where each outline is drawn, against where its slot is.
      boxes: Array.from(root.querySelectorAll('.outline')).map((o) => {
        const r = o.getBoundingClientRect()
        return [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)]
      }),
      slotBoxes: Array.from(document.querySelectorAll('[data-attune-slot]')).map((el) => {
        const r = el.getBoundingClientRect()
        return [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)]
      }),
    }
  })

/** axe-core over the document, shadow roots included, run through DevTools (the page's policy refuses the script). */
const audit = async (page: Page): Promise<{ violations: string[]; shadowNodes: number }> => {
  const source = await readFile(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8')
  await page.evaluate(source)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<AxeResults> } }).axe
    const results = await axe.run(document)
    const inShadow = [...results.passes, ...results.violations].flatMap((r) => r.nodes).filter((n) => n.target.some((t) => Array.isArray(t)))
    return {
      violations: results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`),
      shadowNodes: inShadow.length,
    }
  })
}

/** Only the page, its own files and (when `api`) the preview check were requested. */
const expectOnly = (requests: string[], files: string[], api: boolean): void => {
  const allowed = new Set([...files.map((f) => `${site.url}${f}`), ...(api ? [`${apiUrl}/v1/sites/shop-1/preview`] : [])])
  expect(requests.filter((u) => !u.startsWith(`${site.url}/dbg.html`) && !allowed.has(u))).toEqual([])
}

const TAG_FILES = ['/dist/attune.css', '/pages/debug.js', '/dist/attune.min.js']

describe('the QA overlay in Chromium, under a strict CSP with Trusted Types', () => {
  it('a valid preview token shows outlines and panels with the chosen variant, its reason and facts; axe finds nothing; closing leaves the page as it was', async () => {
    const { page, pageErrors } = await open()
    // A shopper who looked at running shoes, with consent.
    await page.goto(`${site.url}/dbg.html?visit=1`)
    await waitForLoaded(page)
    await page.evaluate(() => window.attune('consent', 'grant'))
    await waitForReady(page)
    await page.evaluate(() => {
      for (let i = 0; i < 3; i++) window.attune('track', 'product_viewed', { product_id: `sku-${i}`, category: 'running' })
    })
    // Stored: a new page view reads the learned affinity back from IndexedDB.
    await expect
      .poll(
        async () => {
          await page.goto(`${site.url}/dbg.html?visit=${Math.random()}`)
          await waitForReady(page)
          return page.evaluate(() => window.attune((a: { profile: { get(): { affinities: Record<string, number> } } }) => a.profile.get().affinities['category:running'] ?? 0))
        },
        { timeout: 15_000 },
      )
      .toBeGreaterThan(2)

    const token = await mint()
    const answered = checked(page, 200)
    await page.goto(`${site.url}/dbg.html?utm_source=newsletter#attune-preview=${token}`)
    // The check carries the token and nothing about the page or the shopper.
    const sent = (await answered).request().headers()
    expect(sent.authorization).toBe(`Bearer ${token}`)
    expect(sent.referer ?? '').toBe('')
    expect(sent.cookie).toBeUndefined()
    await page.waitForFunction(() => document.querySelector('attune-debug')?.shadowRoot?.querySelectorAll('section dd').length === 6, undefined, { timeout: 10_000 })
    const shown = (await overlay(page))!
    expect(shown.tags).toEqual(['hero → running', 'banner → spring'])
    expect(shown.slots.map((s) => s.heading)).toEqual(['Slot “hero”', 'Slot “banner”'])
    const [hero, banner] = shown.slots
    expect(hero!.fields).toEqual({ Chosen: 'running', Reason: 'Shown because you viewed running products recently', Detail: expect.stringMatching(/^affinity: best tag category:running, summed score \d/) })
    expect(hero!.candidates).toEqual([expect.stringMatching(/^running \(chosen\) — tags: category:running \d/), 'yoga — tags: category:yoga 0 (sum 0); audience: none; experiments: none'])
    expect(hero!.facts[0]).toEqual(['profile.affinities.category:running', expect.stringMatching(/^\d/), ''])
    expect(banner!.fields).toEqual({ Chosen: 'spring', Reason: 'Shown because you match “newsletter”', Detail: 'audience newsletter' })
    expect(banner!.facts).toEqual([['utm.utm_source', '"newsletter"', 'eq "newsletter" ✓ holds']])
    // Each outline is drawn over its slot (placed by a constructed stylesheet, not a style attribute).
    expect(shown.boxes).toEqual(shown.slotBoxes)
    expect(await page.evaluate(() => document.querySelectorAll('[style]').length + (document.querySelector('attune-debug')?.shadowRoot?.querySelectorAll('[style]').length ?? 0))).toBe(0)
    await page.screenshot({ path: join(ROOT, 'test/e2e/artifacts/debug-overlay.png') })

    expect(await read<string[]>(page, '__cspViolations')).toEqual([])
    expect(reports).toEqual([])
    expect(pageErrors).toEqual([])
    expect((await read<string[]>(page, '__errors')).filter((e) => e.startsWith('debug'))).toEqual([])

    const a11y = await audit(page)
    expect(a11y.violations).toEqual([])
    expect(a11y.shadowNodes).toBeGreaterThan(10)

    // Closing takes the overlay away, and nothing else: the page is what it would be without it.
    const without = await page.evaluate(() => {
      const copy = document.documentElement.cloneNode(true) as HTMLElement
      copy.querySelector('attune-debug')?.remove()
      return copy.outerHTML
    })
    await page.evaluate(() => {
      const close = Array.from(document.querySelector('attune-debug')!.shadowRoot!.querySelectorAll('button')).find((b) => b.textContent === 'Close overlay')
      close!.click()
    })
    expect(await page.evaluate(() => document.documentElement.outerHTML)).toBe(without)
  })

  it.each([
    { name: 'a tampered token', fragment: async () => `#attune-preview=${(await mint()).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))}`, status: 401, reason: 'bad_preview_token' },
    {
      name: 'an expired token',
      fragment: async () => {
        const token = await mint(60)
        skew = 120_000
        return `#attune-preview=${token}`
      },
      status: 401,
      reason: 'expired_preview_token',
    },
  ])('$name: only the tag’s own sibling file loads, the server refuses it, nothing is shown, the page and its storage are unchanged', async ({ fragment, status, reason }) => {
    const baseline = await open()
    await baseline.page.goto(`${site.url}/dbg.html?case=1`)
    await waitForLoaded(baseline.page)
    const before = await state(baseline.page)

    const { page, requests, pageErrors } = await open()
    const answered = checked(page, status)
    await page.goto(`${site.url}/dbg.html?case=1${await fragment()}`)
    await waitForLoaded(page)
    await answered
    await page.waitForFunction(() => (window as unknown as { __errors: string[] }).__errors.some((e) => e.startsWith('debug:')), undefined, { timeout: 10_000 })
    expect((await read<string[]>(page, '__errors')).find((e) => e.startsWith('debug:'))).toContain(`(${reason})`)
    expect(await page.evaluate(() => document.querySelector('attune-debug'))).toBeNull()
    expect(await state(page)).toEqual(before)
    expectOnly(requests, [...TAG_FILES, '/dist/attune-debug.min.js'], true)
    expect(requests).toContain(`${site.url}/dist/attune-debug.min.js`)
    expect(await read<string[]>(page, '__cspViolations')).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it('a fragment naming another host: only the tag’s own sibling file loads, finds no token there, asks nothing and shows nothing', async () => {
    const baseline = await open()
    await baseline.page.goto(`${site.url}/dbg.html?case=3`)
    await waitForLoaded(baseline.page)
    const before = await state(baseline.page)

    const { page, requests, pageErrors } = await open()
    await page.goto(`${site.url}/dbg.html?case=3#attune-preview=https://evil.example/attune-debug.min.js`)
    await waitForLoaded(page)
    await page.waitForLoadState('networkidle')
    expect(requests).toContain(`${site.url}/dist/attune-debug.min.js`)
    expectOnly(requests, [...TAG_FILES, '/dist/attune-debug.min.js'], false)
    expect(await page.evaluate(() => document.querySelector('attune-debug'))).toBeNull()
    expect(await state(page)).toEqual(before)
    expect(await read<string[]>(page, '__cspViolations')).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it.each([
    { name: '?attune_debug=1', url: '/dbg.html?attune_debug=1' },
    { name: '?attune-preview= with a valid token in the query', url: 'token-in-query' },
    { name: 'an empty #attune-preview=', url: '/dbg.html?case=2#attune-preview=' },
  ])('$name loads nothing beyond the tag and asks no server', async ({ url }) => {
    const { page, requests, pageErrors } = await open()
    const path = url === 'token-in-query' ? `/dbg.html?attune-preview=${encodeURIComponent(await mint())}` : url
    await page.goto(`${site.url}${path}`)
    await waitForLoaded(page)
    // Give a wrongly loaded chunk the time to show itself: the page's own files are all in by now.
    await page.waitForLoadState('networkidle')
    expect(await page.evaluate(() => document.querySelector('attune-debug'))).toBeNull()
    expectOnly(requests, TAG_FILES, false)
    expect(await storageSnapshot(page)).toEqual({ cookies: [], localStorage: [], sessionStorage: [], indexedDB: [], caches: [] })
    expect(await read<string[]>(page, '__cspViolations')).toEqual([])
    expect(pageErrors).toEqual([])
  })

  it('no CSP report reached the site from any of these pages', () => {
    expect(reports).toEqual([])
  })
})
