/**
 * `attune/vitals` end to end, in real Chromium against the reference server: page views with a
 * decided slot produce a real LCP, a layout shift and a slow click; web-vitals reports them as
 * the page closes, attune/sync sends them tagged with the variant shown, and the admin vitals
 * endpoint answers their p75 per slot variant.
 */
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve as serveHttp, type ServerType } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { Attune } from '../../src/createAttune'
import type { WebVital } from '../../src/vitals'
import { createServer, type AttuneServer } from '../../server/src/index'
import { launch, serve, type Route, type TestServer } from './harness'

declare global {
  interface Window {
    __a: Attune
    __ready?: boolean
    __late: () => Promise<void>
    __errors?: string[]
    __vitals?: WebVital[]
  }
}

const SITE = 'shop-1'
const ADMIN_KEY = 'admin-key-0123456789'
const WEB_VITALS = resolve(fileURLToPath(new URL('../../node_modules/web-vitals', import.meta.url)))

/** `/node_modules/web-vitals/*`, for the page's import map (the harness serves idb-keyval itself). */
const webVitals: Route = (req, res) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  if (!path.startsWith('/node_modules/web-vitals/')) return false
  const file = join(WEB_VITALS, path.slice('/node_modules/web-vitals/'.length))
  if (!file.startsWith(WEB_VITALS + sep)) return res.writeHead(404).end(), true
  readFile(file).then(
    (body) => res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' }).end(body),
    () => res.writeHead(404).end(),
  )
  return true
}

let browser: Browser
let web: TestServer
let api: AttuneServer
let http: ServerType
let apiUrl: string

beforeAll(async () => {
  web = await serve([webVitals])
  api = await createServer({
    db: 'memory://',
    secret: 'test-secret-0123456789abcdef0123456789',
    adminKey: ADMIN_KEY,
    sites: { [SITE]: { origins: [web.url] } },
    rateLimits: { ip: false, visitor: false },
  })
  http = await new Promise<ServerType>((done) => {
    const server: ServerType = serveHttp({ fetch: api.fetch, port: 0, hostname: '127.0.0.1' }, () => done(server))
  })
  apiUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
  await web?.close()
  if (http) {
    await new Promise<void>((done) => {
      http.close(() => done())
      if ('closeAllConnections' in http) http.closeAllConnections()
    })
  }
  await api?.close()
})

/** A `web_vital` event as the server stored it. */
interface Stored {
  visitor: string
  props: WebVital
}

const storedVitals = (): Promise<Stored[]> =>
  api.db.query<Stored>(`SELECT visitor::text AS visitor, props FROM events WHERE site = $1 AND name = 'web_vital' ORDER BY ts, event_id`, [SITE])

/** p75 by linear interpolation between closest ranks (PostgreSQL's percentile_cont), computed here. */
const p75 = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const at = 0.75 * (sorted.length - 1)
  const low = Math.floor(at)
  const a = sorted[low] as number
  const b = sorted[Math.min(low + 1, sorted.length - 1)] as number
  return a + (b - a) * (at - low)
}

/**
 * One page view in a fresh browser profile: load, let late content shift the page once the slot
 * is shown, click the slow button, and close the page (web-vitals reports as the page is hidden).
 * Returns what the page tracked and the slot's text as the shopper saw it.
 */
const pageView = async (query: string): Promise<{ hero: string; errors: string[]; pageErrors: Error[] }> => {
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1000, height: 700 } })
  try {
    const page: Page = await context.newPage()
    const pageErrors: Error[] = []
    page.on('pageerror', (error) => pageErrors.push(error))
    await page.goto(`${web.url}/pages/vitals.html?${new URLSearchParams({ api: apiUrl })}${query}`)
    await page.waitForFunction(() => window.__ready === true && document.querySelector('[data-attune-slot="hero"][data-attune-shown]'), undefined, {
      timeout: 10_000,
      polling: 50,
    })
    const hero = (await page.textContent('[data-attune-slot="hero"] h2')) ?? ''
    await page.evaluate(() => window.__late())
    await page.click('#add')
    await page.waitForFunction(() => document.getElementById('add')?.textContent === 'Added')
    // Let the click's frame be presented, so its Event Timing entry exists.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))))
    const errors = await page.evaluate(() => window.__errors ?? [])
    await page.close()
    return { hero, errors, pageErrors }
  } finally {
    await context.close()
  }
}

describe('attune/vitals: Core Web Vitals per slot variant, end to end', () => {
  it('sends LCP, CLS and INP of each page view tagged with the variant shown, and the server answers their p75 per variant', async () => {
    const views = [
      { query: '&utm_campaign=sale', variant: 'sale', hero: 'Sale: 20 % off everything' },
      { query: '&utm_campaign=sale', variant: 'sale', hero: 'Sale: 20 % off everything' },
      { query: '', variant: null, hero: 'The new season is here' },
      { query: '', variant: null, hero: 'The new season is here' },
    ] as const
    for (const view of views) {
      const seen = await pageView(view.query)
      expect(seen.hero).toBe(view.hero)
      expect(seen.errors).toEqual([])
      expect(seen.pageErrors).toEqual([])
    }

    // Every page view sent its three metrics as it closed: 4 visitors × LCP, CLS, INP.
    await expect.poll(async () => (await storedVitals()).length, { timeout: 15_000, interval: 100 }).toBe(12)
    const stored = await storedVitals()
    const visitors = [...new Set(stored.map((e) => e.visitor))]
    expect(visitors).toHaveLength(4)
    for (const visitor of visitors) {
      const mine = stored.filter((e) => e.visitor === visitor).map((e) => e.props)
      expect(mine.map((p) => p.metric).sort()).toEqual(['CLS', 'INP', 'LCP'])
      // One page view shows one variant, and every metric of it carries the same tag.
      expect(new Set(mine.map((p) => JSON.stringify(p.variants))).size).toBe(1)
      const [tag] = mine.map((p) => p.variants)
      expect(tag === undefined ? [] : Object.keys(tag)).toEqual(['hero'])
      for (const p of mine) {
        expect(p.navigationType).toBe('navigate')
        expect(p.id).toMatch(/^v\d+-/)
        expect(['good', 'needs-improvement', 'poor']).toContain(p.rating)
      }
      const byMetric = Object.fromEntries(mine.map((p) => [p.metric, p]))
      // LCP: the hero's heading, painted once, with its final content.
      expect(byMetric.LCP?.value).toBeGreaterThan(0)
      expect(byMetric.LCP?.attribution).toMatchObject({ target: expect.stringMatching(/section\.hero>h2$/), slot: 'hero' })
      // CLS: the late notice, outside any slot, pushed the page down.
      expect(byMetric.CLS?.value).toBeGreaterThan(0)
      expect(byMetric.CLS?.attribution).toMatchObject({ largestShiftTarget: expect.any(String), loadState: 'complete' })
      // INP: the click, whose handler ran for 150 ms.
      expect(byMetric.INP?.value).toBeGreaterThanOrEqual(150)
      expect(byMetric.INP?.attribution).toMatchObject({ interactionTarget: '#add', interactionType: 'pointer', processingDuration: expect.any(Number) })
      expect((byMetric.INP?.attribution.processingDuration as number) >= 140).toBe(true)
      // Nothing else: no URL, no text of the page.
      for (const p of mine) expect(JSON.stringify(p.attribution)).not.toMatch(/http|Sale|season|Added/)
    }
    const tags = stored.map((e) => e.props.variants.hero)
    expect(tags.filter((t) => t === 'sale')).toHaveLength(6)
    expect(tags.filter((t) => t === null)).toHaveLength(6)

    // The retailer's view: p75 per slot variant per metric, computed here from what was stored.
    const response = await fetch(`${apiUrl}/v1/admin/sites/${SITE}/vitals?since=${Date.now() - 3600_000}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    expect(response.status).toBe(200)
    const answer = (await response.json()) as { site: string; since: number; slots: Array<{ slot: string; variant: string | null; metric: string; p75: number; count: number }> }
    expect(answer.site).toBe(SITE)
    const expected = []
    for (const variant of [null, 'sale']) {
      for (const metric of ['CLS', 'INP', 'LCP']) {
        const values = stored.filter((e) => e.props.variants.hero === variant && e.props.metric === metric).map((e) => e.props.value)
        expected.push({ slot: 'hero', variant, metric, p75: p75(values), count: 2 })
      }
    }
    expect(answer.slots).toEqual(expected)

    // Without the admin key, nothing.
    expect((await fetch(`${apiUrl}/v1/admin/sites/${SITE}/vitals`)).status).toBe(401)
  })
})
