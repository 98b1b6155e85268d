/**
 * The insights dashboard (`GET /dashboard`, issue #11 part C) in real Chromium against a real
 * attune server on PGlite: a site seeded through `POST /v1/collect` with an experiment's
 * exposures and conversions, funnel steps, campaigns and web vitals, and a second site with
 * nothing. Signing in (a refused key, then the right one, by keyboard), the numbers the page
 * shows against those the test sent, a drawn chart, the funnel's `by` selector driven by arrow
 * keys, "not enough data yet" and no NaN on the empty site, zero axe-core violations, zero CSP
 * violations. Screenshots go to test/e2e/artifacts/dashboard-*.png.
 */
import { readFile, mkdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve as serveHttp, type ServerType } from '@hono/node-server'
import type { AxeResults } from 'axe-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type AttuneServer } from '../../server/src/index'
import { createUuidv7 } from '../../src/lib/uuidv7'
import { launch } from './harness'

declare global {
  interface Window {
    /** `securitypolicyviolation` events the page saw, as `directive: blocked URI`. */
    __cspViolations?: string[]
  }
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const ARTIFACTS = join(ROOT, 'test/e2e/artifacts')
const SITE = 'shop-1'
const EMPTY = 'shop-empty'
/** A site whose split is far from the configured 50/50: a sample ratio mismatch. */
const SKEWED = 'shop-skewed'
const SKEW = { standard: 150, running: 60 }
const ADMIN_KEY = 'dashboard-e2e-admin-key-0123456789'
const EXPERIMENT = 'hero-test'
const GOAL = 'order_completed'
const STEPS = ['product_viewed', 'product_added', 'checkout_started', 'order_completed']
const HOUR = 3600_000
/** The dashboard's first series colour (#0072b2), to find the chart's own pixels. */
const SERIES_RGB = [0, 114, 178]

/** One seeded shopper: what they saw and did, from which the expected figures are computed. */
interface Shopper {
  variant: 'standard' | 'running'
  /** Their entry channel as the contract defines it: utm_source, else referrer host, else `direct`. */
  channel: 'newsletter' | 'search.example' | 'direct'
  /** How many funnel steps they did, in order (1–4; 4 = ordered, a conversion). */
  steps: number
  /** Web vitals of their page view, when they sent some. */
  vitals?: { LCP: number; CLS: number; INP: number }
}

const CHANNELS = ['newsletter', 'search.example', 'direct'] as const

/** 120 shoppers on control (every 10th orders), 130 on `running` (every 5th orders): both ≥ 100 exposed. */
const SHOPPERS: Shopper[] = [
  ...Array.from({ length: 120 }, (_, i): Shopper => ({
    variant: 'standard',
    channel: CHANNELS[i % 3] as Shopper['channel'],
    steps: i % 10 === 0 ? 4 : ([1, 1, 2, 3] as const)[i % 4] as number,
    vitals: i < 6 ? { LCP: 1000 + 250 * i, CLS: 0.01 * i, INP: 40 + 20 * i } : undefined,
  })),
  ...Array.from({ length: 130 }, (_, i): Shopper => ({
    variant: 'running',
    channel: CHANNELS[i % 3] as Shopper['channel'],
    steps: i % 5 === 0 ? 4 : ([1, 2, 2, 3] as const)[i % 4] as number,
    vitals: i < 5 ? { LCP: 1800 + 300 * i, CLS: 0.02 * i + 0.05, INP: 90 + 35 * i } : undefined,
  })),
]

/** p75 as PostgreSQL's `percentile_cont(0.75)` computes it (linear between closest ranks). */
const p75 = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const at = 0.75 * (sorted.length - 1)
  const low = Math.floor(at)
  const a = sorted[low] as number
  const b = sorted[Math.min(low + 1, sorted.length - 1)] as number
  return a + (b - a) * (at - low)
}

const uuidv7 = createUuidv7()

/** The events of one shopper, as the SDK would have sent them over their visit. */
const eventsOf = (s: Shopper, index: number, now: number) => {
  const session = `s-${index}`
  const start = now - ((index % 40) + 1) * HOUR - index * 1000
  let t = start
  const at = () => (t += 1000)
  const campaign =
    s.channel === 'newsletter'
      ? { utm_source: 'newsletter', utm_medium: 'email', landing_path: '/' }
      : s.channel === 'search.example'
        ? { referrer_host: 'search.example', landing_path: '/' }
        : { landing_path: '/' }
  const events: Array<{ id: string; name: string; props: Record<string, unknown>; ts: number; session: string }> = [
    { id: uuidv7(), name: 'session_started', props: campaign, ts: at(), session },
    { id: uuidv7(), name: 'page_viewed', props: { path: '/' }, ts: at(), session },
    {
      id: uuidv7(),
      name: 'exposure',
      props: { slot: 'hero', variant: s.variant, experiment: EXPERIMENT, reason: { kind: 'experiment', key: EXPERIMENT, sticky: false } },
      ts: at(),
      session,
    },
  ]
  for (const step of STEPS.slice(0, s.steps)) {
    const id = uuidv7()
    events.push({ id, name: step, props: { product: 'sku-1' }, ts: at(), session })
    if (step === GOAL) events.push({ id: uuidv7(), name: 'conversion', props: { goal: GOAL, event: id, experiments: { [EXPERIMENT]: s.variant } }, ts: at(), session })
  }
  if (s.vitals) {
    for (const metric of ['LCP', 'CLS', 'INP'] as const) {
      events.push({
        id: uuidv7(),
        name: 'web_vital',
        props: { metric, value: s.vitals[metric], rating: 'good', navigationType: 'navigate', id: `v6-${index}-${metric}`, variants: { hero: s.variant }, attribution: {} },
        ts: at(),
        session,
      })
    }
  }
  return events
}

/** Figures the page must show, computed from SHOPPERS alone. */
const expected = (() => {
  const arms = (['standard', 'running'] as const).map((variant) => {
    const of = SHOPPERS.filter((s) => s.variant === variant)
    return { variant, exposures: of.length, conversions: of.filter((s) => s.steps === 4).length }
  })
  const funnel = (group: (s: Shopper) => string) => {
    const groups = new Map<string, number[]>()
    for (const s of SHOPPERS) {
      const visitors = groups.get(group(s)) ?? STEPS.map(() => 0)
      for (let i = 0; i < s.steps; i++) visitors[i]! += 1
      groups.set(group(s), visitors)
    }
    return groups
  }
  const vitals = (['standard', 'running'] as const).map((variant) => {
    const views = SHOPPERS.filter((s) => s.variant === variant && s.vitals).map((s) => s.vitals!)
    return { variant, LCP: p75(views.map((v) => v.LCP)), CLS: p75(views.map((v) => v.CLS)), INP: p75(views.map((v) => v.INP)), count: views.length }
  })
  return { arms, byChannel: funnel((s) => s.channel), byVariant: funnel((s) => s.variant), vitals }
})()

/** The page's count format (en grouping). */
const n = (x: number): string => new Intl.NumberFormat('en', { maximumFractionDigits: 0 }).format(x)
/** A funnel cell as the page writes it: visitors, and the share lost since the step before. */
const funnelCells = (visitors: number[]): string[] =>
  visitors.map((v, i) => (i === 0 ? n(v) : `${n(v)} (lost ${((1 - v / visitors[i - 1]!) * 100).toFixed(1)} %)`))

let api: AttuneServer
let http: ServerType
let base: string
let browser: Browser
const contexts: BrowserContext[] = []
/** Every `/v1/admin/…` request the server received: its URL and Authorization header. */
const adminCalls: Array<{ url: string; authorization: string | null }> = []

/**
 * The attune server as it is, plus one test-only file: axe-core, served from this origin because
 * the dashboard's CSP refuses inline scripts (so `addScriptTag({ content })` would be blocked).
 */
const handle = async (request: Request): Promise<Response> => {
  const url = new URL(request.url)
  if (url.pathname === '/__test/axe.min.js') {
    return new Response(await readFile(join(ROOT, 'node_modules/axe-core/axe.min.js')), { headers: { 'Content-Type': 'text/javascript; charset=utf-8' } })
  }
  if (url.pathname.startsWith('/v1/admin/')) adminCalls.push({ url: request.url, authorization: request.headers.get('authorization') })
  return api.fetch(request)
}

const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(base + path, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers }, body: JSON.stringify(body) })

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true })
  api = await createServer({
    db: 'memory://',
    secret: 'dashboard-e2e-secret-0123456789abcdef',
    adminKey: ADMIN_KEY,
    sites: { [SITE]: { origins: ['https://shop.example'] }, [EMPTY]: { origins: ['https://empty.example'] }, [SKEWED]: { origins: ['https://skewed.example'] } },
    rateLimits: { ip: false, visitor: false },
  })
  http = await new Promise<ServerType>((done) => {
    const server: ServerType = serveHttp({ fetch: handle, port: 0, hostname: '127.0.0.1' }, () => done(server))
  })
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`

  // Every site runs the same experiment; the empty one has no visitor.
  const config = {
    variants: { hero: [{ id: 'standard' }, { id: 'running' }] },
    experiments: [{ key: EXPERIMENT, slot: 'hero', variants: ['standard', 'running'] }], goals: [GOAL] }
  for (const site of [SITE, EMPTY, SKEWED]) {
    const put = await fetch(`${base}/v1/admin/sites/${site}/config`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ config }),
    })
    expect(put.status, await put.clone().text()).toBe(200)
  }
  const now = Date.now()
  for (const [i, shopper] of SHOPPERS.entries()) {
    const events = eventsOf(shopper, i, now)
    const answer = await post('/v1/collect', { site: SITE, visitor: crypto.randomUUID(), events })
    expect(answer.status).toBe(200)
    expect(await answer.json()).toMatchObject({ accepted: events.length, rejected: 0 })
  }
  for (const [variant, visitors] of Object.entries(SKEW)) {
    for (let i = 0; i < visitors; i++) {
      const events = eventsOf({ variant: variant as Shopper['variant'], channel: 'direct', steps: 1 }, i, now)
      expect((await post('/v1/collect', { site: SKEWED, visitor: crypto.randomUUID(), events })).status).toBe(200)
    }
  }
  adminCalls.length = 0
  browser = await launch()
})

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close()
})

afterAll(async () => {
  await browser?.close()
  await new Promise<void>((done) => (http ? http.close(() => done()) : done()))
  await api?.close()
})

/** A fresh page on the dashboard that records CSP violations and page errors from the start. */
const open = async (): Promise<{ page: Page; errors: string[] }> => {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } })
  contexts.push(context)
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  await page.addInitScript(() => {
    window.__cspViolations = []
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations!.push(`${e.effectiveDirective}: ${e.blockedURI}`))
  })
  await page.goto(`${base}/dashboard`)
  await page.waitForSelector('#site')
  return { page, errors }
}

/** What has focus: its id, name, value, label text and outline. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLInputElement | null
    if (!el || el === document.body) return null
    const style = getComputedStyle(el)
    return {
      id: el.id,
      tag: el.localName,
      name: el.getAttribute('name'),
      value: el.value ?? null,
      text: (el.labels?.[0]?.textContent ?? el.textContent ?? '').replace(/\s+/g, ' ').trim(),
      outline: style.outlineStyle === 'none' ? 'none' : `${style.outlineStyle} ${style.outlineWidth}`,
    }
  })

/** Presses Tab until `match` holds for the focused element; fails naming where Tab went. */
const tabTo = async (page: Page, match: (f: NonNullable<Awaited<ReturnType<typeof focused>>>) => boolean) => {
  const seen: string[] = []
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab')
    const f = await focused(page)
    if (f && match(f)) return f
    seen.push(f ? `${f.tag}#${f.id}[${f.text}]` : '(body)')
  }
  throw new Error(`Tab never reached the control; it went through: ${seen.join(' | ')}`)
}

/** The rows of the table whose caption starts with `caption`, as cell texts. */
const tableRows = (page: Page, caption: string): Promise<string[][]> =>
  page.evaluate((caption) => {
    const table = [...document.querySelectorAll('table')].find((t) => t.caption?.textContent?.startsWith(caption))
    if (!table) return []
    return [...table.tBodies[0]!.rows].map((row) => [...row.cells].map((cell) => (cell.textContent ?? '').replace(/\s+/g, ' ').trim()))
  }, caption)

/** The header cells of that table. */
const tableHead = (page: Page, caption: string): Promise<string[]> =>
  page.evaluate((caption) => {
    const table = [...document.querySelectorAll('table')].find((t) => t.caption?.textContent?.startsWith(caption))
    return [...(table?.tHead?.rows[0]?.cells ?? [])].map((cell) => (cell.textContent ?? '').trim())
  }, caption)

/** Waits until no section is loading. */
const settled = (page: Page): Promise<unknown> =>
  page.waitForFunction(() => {
    const bodies = [...document.querySelectorAll('#insights .body')]
    return bodies.length === 4 && bodies.every((b) => b.getAttribute('aria-busy') === 'false' && b.childElementCount > 0)
  })

/** Pixels of a section's chart canvases close to the series colour (or `rgb`). */
const seriesPixels = (page: Page, sectionId: string, rgb: readonly number[] = SERIES_RGB): Promise<number> =>
  page.evaluate(
    ([sectionId, [r, g, b]]) => {
      let hits = 0
      for (const canvas of document.querySelectorAll<HTMLCanvasElement>(`#${sectionId} canvas`)) {
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! > 200 && Math.abs(data[i]! - r!) < 24 && Math.abs(data[i + 1]! - g!) < 24 && Math.abs(data[i + 2]! - b!) < 24) hits++
        }
      }
      return hits
    },
    [sectionId, rgb] as const,
  )

/** axe-core over the whole page, loaded from this origin (the CSP allows no other script). */
const axe = async (page: Page): Promise<AxeResults['violations']> => {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ url: '/__test/axe.min.js' })
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<AxeResults> } }).axe
    return (await axe.run(document)).violations
  })
}

const summary = (violations: AxeResults['violations']) => violations.map((v) => `${v.id}: ${v.nodes.map((node) => node.target.join(' ')).join(', ')}`)

/** Signs in by keyboard alone: Tab to each field, type, Enter. */
const signInByKeyboard = async (page: Page, site: string, key: string): Promise<void> => {
  expect((await tabTo(page, (f) => f.id === 'site')).outline).not.toBe('none')
  await page.keyboard.type(site)
  expect((await tabTo(page, (f) => f.id === 'key')).outline).not.toBe('none')
  await page.keyboard.type(key)
  await page.keyboard.press('Enter')
}

const bodyText = (page: Page): Promise<string> => page.evaluate(() => document.body.innerText)

describe('the insights dashboard at /dashboard', () => {
  it('is served with a strict CSP, nosniff, no referrer and revalidation, uPlot from the server itself', async () => {
    for (const path of ['/dashboard', '/dashboard/dashboard.js', '/dashboard/dashboard.css', '/dashboard/uPlot.esm.js', '/dashboard/uPlot.min.css']) {
      const answer = await fetch(base + path)
      expect(answer.status, path).toBe(200)
      expect(answer.headers.get('content-security-policy'), path).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
      )
      expect(answer.headers.get('x-content-type-options'), path).toBe('nosniff')
      expect(answer.headers.get('referrer-policy'), path).toBe('no-referrer')
      expect(answer.headers.get('cache-control'), path).toBe('no-cache')
      const etag = answer.headers.get('etag')
      expect(etag, path).toMatch(/^"[\w-]+"$/)
      expect((await fetch(base + path, { headers: { 'if-none-match': etag! } })).status, path).toBe(304)
    }
    const html = await (await fetch(`${base}/dashboard`)).text()
    // No inline script or style anywhere, and nothing from another origin.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    expect(html).not.toMatch(/<style|\sstyle=/)
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
    expect((await fetch(`${base}/dashboard/../package.json`)).status).toBe(404)
    expect((await fetch(`${base}/dashboard/secrets.js`)).status).toBe(404)
  })

  it('shows only a sign-in form without a key, and refuses a wrong key with a message and the form again', async () => {
    const { page, errors } = await open()
    expect(await page.isVisible('#sign-in-form')).toBe(true)
    expect(await page.isVisible('#insights')).toBe(false)
    expect(adminCalls).toEqual([])
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-sign-in.png'), fullPage: true })

    await signInByKeyboard(page, SITE, 'not-the-admin-key')
    await page.waitForFunction(() => document.querySelector('#sign-in-error')?.textContent?.includes('That admin key was refused'))
    expect(await page.isVisible('#sign-in-form')).toBe(true)
    expect(await page.isVisible('#insights')).toBe(false)
    expect(await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage } }))).toEqual({ session: {}, local: {} })
    // The refused key went in the header, never in a URL.
    expect(adminCalls.length).toBeGreaterThan(0)
    expect(adminCalls.every((c) => c.authorization === 'Bearer not-the-admin-key' && !c.url.includes('not-the-admin-key'))).toBe(true)
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-refused.png'), fullPage: true })
    expect(await axe(page)).toEqual([])
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([])
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([])
  })

  it('names a site the server does not have, at sign-in and when switching', async () => {
    const { page } = await open()
    await signInByKeyboard(page, 'no-such-shop', ADMIN_KEY)
    await page.waitForFunction(() => document.querySelector('#sign-in-error')?.textContent === 'There is no site “no-such-shop” on this server.')
    expect(await page.isVisible('#insights')).toBe(false)
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([])

    await page.fill('#site', SITE)
    await page.press('#key', 'Enter')
    await settled(page)
    await page.fill('#switch-site', 'no-such-shop')
    await page.press('#switch-site', 'Enter')
    await page.waitForFunction(() => document.querySelector('#status')?.textContent === 'There is no site “no-such-shop” on this server.')
    // The site shown stays, with its data.
    expect(await page.textContent('h1')).toBe(`Insights for ${SITE}`)
    expect(await page.locator('#experiments canvas').count()).toBe(1)
  })

  it('signed in by keyboard, shows what was sent: experiment results, a drawn chart, the funnel and web vitals', async () => {
    adminCalls.length = 0
    const { page, errors } = await open()
    await signInByKeyboard(page, SITE, ADMIN_KEY)
    await settled(page)
    expect(await page.textContent('h1')).toBe(`Insights for ${SITE}`)

    // The key is kept for this tab only and only sent as a header.
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([])
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(ADMIN_KEY)
    expect(page.url()).not.toContain(ADMIN_KEY)
    expect(adminCalls.length).toBeGreaterThanOrEqual(5)
    for (const call of adminCalls) {
      expect(call.authorization).toBe(`Bearer ${ADMIN_KEY}`)
      expect(call.url).not.toContain(ADMIN_KEY)
    }

    // Experiments: exposures per variant, and per goal exposures, conversions and rate as sent.
    const [control, running] = expected.arms as [(typeof expected.arms)[0], (typeof expected.arms)[0]]
    expect(await tableRows(page, `Visitors exposed to ${EXPERIMENT}`)).toEqual([
      ['standard (control)', n(control.exposures)],
      ['running', n(running.exposures)],
    ])
    const results = await tableRows(page, `${EXPERIMENT}: conversions to ${GOAL}`)
    expect(results).toHaveLength(2)
    expect(results[0]).toEqual(['standard (control)', n(control.exposures), n(control.conversions), `${((control.conversions / control.exposures) * 100).toFixed(2)} %`, 'control', 'control'])
    expect(results[1]!.slice(0, 4)).toEqual(['running', n(running.exposures), n(running.conversions), `${((running.conversions / running.exposures) * 100).toFixed(2)} %`])
    // Twice control's rate: a positive uplift with its interval, and a chance to beat control over one half.
    expect(results[1]![4]).toMatch(/^\+\d+\.\d % \(([+−]\d+\.\d|0\.0) % to \+\d+\.\d %\)$/)
    expect(Number(/^(?:> )?(\d+) %$/.exec(results[1]![5]!)?.[1])).toBeGreaterThan(50)
    expect(await page.isVisible('#experiments .warning')).toBe(false)
    // The chart is drawn: its series colour covers pixels of the canvas.
    expect(await page.locator('#experiments canvas').count()).toBe(1)
    expect(await seriesPixels(page, 'experiments')).toBeGreaterThan(30)
    expect(await page.getAttribute('#experiments .chart', 'aria-describedby')).toBe(
      await page.evaluate((goal) => [...document.querySelectorAll('table')].find((t) => t.caption?.textContent?.includes(`conversions to ${goal}`))?.id, GOAL),
    )

    // Funnel, by entry channel (the default).
    const channelCaption = 'Visitors reaching each step in order, by entry channel'
    expect(await tableHead(page, channelCaption)).toEqual(['Entry channel', ...STEPS])
    const channelRows = await tableRows(page, channelCaption)
    expect(new Map(channelRows.map(([group, ...cells]) => [group, cells]))).toEqual(
      new Map([...expected.byChannel].map(([group, visitors]) => [group, funnelCells(visitors)])),
    )
    expect(await seriesPixels(page, 'funnels')).toBeGreaterThan(30)

    // Web vitals per variant: p75 of what was sent.
    const vitals = await tableRows(page, '75th percentile of each Core Web Vital')
    // In the route's order: by slot, then variant.
    expect(vitals).toEqual(
      [...expected.vitals].sort((a, b) => (a.variant < b.variant ? -1 : 1)).map((v) => [`hero: ${v.variant}`, `${n(Math.round(v.LCP))} ms`, `${n(Math.round(v.INP))} ms`, v.CLS.toFixed(3), n(v.count)]),
    )
    expect(await page.locator('#vitals canvas').count()).toBe(1)
    expect(await seriesPixels(page, 'vitals')).toBeGreaterThan(30)

    // Anomalies: the hourly chart of what was sent (a few days of history is too little to judge).
    expect(await page.locator('#anomalies canvas').count()).toBe(1)
    expect(await seriesPixels(page, 'anomalies')).toBeGreaterThan(30)

    expect(await bodyText(page)).not.toMatch(/NaN|undefined|Infinity|\[object/)
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-insights.png'), fullPage: true })
    expect(summary(await axe(page))).toEqual([])
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([])
    expect(errors).toEqual([])
    // And the listener would have told: an inline style attribute is a violation.
    await page.evaluate(() => document.body.append(Object.assign(document.createElement('div'), { hidden: true })))
    await page.evaluate(() => document.body.lastElementChild!.setAttribute('style', 'color: red'))
    await page.waitForFunction(() => window.__cspViolations?.length === 1)
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([expect.stringMatching(/^style-src-attr: inline/)])

    // A reload keeps the session (same tab): no second sign-in.
    await page.reload()
    await settled(page)
    expect(await page.textContent('h1')).toBe(`Insights for ${SITE}`)
  })

  it('the funnel’s "group by" is operated by keyboard: arrows switch to segment, then to experiment variant', async () => {
    const { page, errors } = await open()
    await signInByKeyboard(page, SITE, ADMIN_KEY)
    await settled(page)

    // Focus lands on the heading; Tab goes on to the checked radio of the group.
    expect((await focused(page))?.tag).toBe('h1')
    const radio = await tabTo(page, (f) => f.name === 'by')
    expect(radio.value).toBe('channel')
    expect(radio.outline).not.toBe('none')

    await page.keyboard.press('ArrowDown')
    expect((await focused(page))?.value).toBe('segment')
    await page.waitForFunction(() => document.querySelector('#funnels caption')?.textContent?.includes('new or returning'))
    await settled(page)
    // The table shows exactly what the route answers for by=segment.
    const segments = (await (
      await fetch(`${base}/v1/admin/sites/${SITE}/funnels?steps=${STEPS.join(',')}&by=segment`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    ).json()) as { groups: Array<{ group: string; visitors: number[] }> }
    const segmentRows = await tableRows(page, 'Visitors reaching each step in order, by new or returning visitor')
    expect(segmentRows.map((r) => r[0]).sort()).toEqual(segments.groups.filter((g) => (g.visitors[0] ?? 0) > 0).map((g) => g.group).sort())
    // Every seeded visitor had one visit: all of them are counted, whatever the segment.
    expect(segments.groups.reduce((sum, g) => sum + (g.visitors[0] ?? 0), 0)).toBe(SHOPPERS.length)

    await page.keyboard.press('ArrowDown')
    expect((await focused(page))?.value).toBe('variant')
    await page.waitForFunction(() => document.querySelector('#funnels caption')?.textContent?.includes('experiment variant'))
    await settled(page)
    expect(await page.isVisible('#funnel-experiment')).toBe(true)
    const variantRows = await tableRows(page, 'Visitors reaching each step in order, by experiment variant')
    expect(new Map(variantRows.map(([group, ...cells]) => [group, cells]))).toEqual(
      new Map([...expected.byVariant].map(([group, visitors]) => [group, funnelCells(visitors)])),
    )
    // The experiment picker is next in the tab order.
    expect((await tabTo(page, (f) => f.id === 'funnel-experiment')).value).toBe(EXPERIMENT)
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-funnel-by-variant.png'), fullPage: true })
    expect(summary(await axe(page))).toEqual([])
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([])
    expect(errors).toEqual([])
  })

  it('an empty site says "not enough data yet" in every section, and never NaN', async () => {
    const { page, errors } = await open()
    await signInByKeyboard(page, SITE, ADMIN_KEY)
    await settled(page)
    await page.fill('#switch-site', EMPTY)
    await page.press('#switch-site', 'Enter')
    await page.waitForFunction((site) => document.querySelector('h1')?.textContent === `Insights for ${site}`, EMPTY)
    await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('Insights for'))
    await settled(page)

    for (const id of ['experiments', 'funnels', 'anomalies', 'vitals']) {
      expect(await page.textContent(`#${id} .body`), id).toContain('Not enough data yet')
      expect(await page.locator(`#${id} .error`).count(), id).toBe(0)
    }
    // The configured experiment is listed, without a table of zeros or a chart.
    expect(await page.textContent('#experiments h3')).toBe(`Experiment ${EXPERIMENT}`)
    expect(await page.locator('#insights canvas').count()).toBe(0)
    expect(await bodyText(page)).not.toMatch(/NaN|undefined|Infinity|\[object/)
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-empty.png'), fullPage: true })
    expect(summary(await axe(page))).toEqual([])
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([])
    expect(errors).toEqual([])
  })

  it('warns of a sample ratio mismatch in words, above the counts', async () => {
    const { page, errors } = await open()
    await signInByKeyboard(page, SKEWED, ADMIN_KEY)
    await settled(page)
    const warning = (await page.textContent('#experiments .warning')) ?? ''
    expect(warning).toMatch(/^Warning: sample ratio mismatch\. The split of visitors between variants is not the configured one \(χ² = \d+\.\d, p = \d\.\de-\d+\)/)
    expect(await tableRows(page, `Visitors exposed to ${EXPERIMENT}`)).toEqual([
      ['standard (control)', n(SKEW.standard)],
      ['running', n(SKEW.running)],
    ])
    // 60 visitors on one arm is under 100: no rates yet.
    expect(await page.textContent('#experiments .body')).toContain('Not enough data yet')
    expect(await page.locator('#experiments canvas').count()).toBe(0)
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-srm.png'), fullPage: true })
    expect(summary(await axe(page))).toEqual([])
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([])
    expect(errors).toEqual([])
  })

  it('lists anomalies with severity and direction in words, and marks them on the hourly chart', async () => {
    // Weeks of history cannot be sent through collect (it refuses events older than 7 days), so
    // the real answer of the anomalies route gets two anomalies added, at hours of the real series.
    const series = (await (
      await fetch(`${base}/v1/admin/sites/${SITE}/series?metric=events`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    ).json()) as { points: Array<{ hour: number; value: number }> }
    const busiest = [...series.points].sort((a, b) => b.value - a.value)[0]!
    const quiet = series.points.find((p) => p.value > 0 && p.hour !== busiest.hour)!
    const { page, errors } = await open()
    await page.route('**/v1/admin/sites/*/anomalies*', async (route) => {
      const real = (await (await route.fetch()).json()) as { anomalies: unknown[] }
      const anomalies = [
        { hour: quiet.hour, value: 0.01, expected: 0.08, score: -4.2, severity: 'medium', direction: 'drop', metric: 'conversion_rate', goal: GOAL },
        { hour: busiest.hour, value: busiest.value, expected: 12, score: 9.5, severity: 'high', direction: 'spike', metric: 'events', goal: null },
      ]
      await route.fulfill({ json: { ...real, anomalies: [...real.anomalies, ...anomalies], enoughHistory: true } })
    })
    await signInByKeyboard(page, SITE, ADMIN_KEY)
    await settled(page)
    const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
    const items = await page.$$eval('#anomalies li', (lis) => lis.map((li) => (li.textContent ?? '').replace(/\s+/g, ' ').trim()))
    expect(items).toEqual(
      [
        { hour: busiest.hour, text: `High spike in events at ${utc(busiest.hour)}: ${n(busiest.value)} against about 12 expected` },
        { hour: quiet.hour, text: `Medium drop in conversion rate to ${GOAL} at ${utc(quiet.hour)}: 1.00 % against about 8.00 % expected` },
      ]
        .sort((a, b) => b.hour - a.hour)
        .map((x) => x.text),
    )
    // The events anomaly is a red dot on the chart; the table of busiest hours says which.
    expect(await seriesPixels(page, 'anomalies', [192, 0, 0])).toBeGreaterThan(20)
    expect((await tableRows(page, 'The busiest hours of the chart'))[0]).toEqual([utc(busiest.hour), n(busiest.value), 'yes'])
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-anomalies.png'), fullPage: true })
    expect(summary(await axe(page))).toEqual([])
    expect(await page.evaluate(() => window.__cspViolations)).toEqual([])
    expect(errors).toEqual([])
  })

  it('a route that fails shows a short error in its section, not a blank', async () => {
    const { page } = await open()
    await signInByKeyboard(page, SITE, ADMIN_KEY)
    await settled(page)
    // The vitals route fails: the page says so where the vitals would be, and shows the rest.
    await page.route('**/v1/admin/sites/*/vitals*', (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'internal' }) }),
    )
    await page.reload()
    await settled(page)
    expect(await page.textContent('#vitals .error')).toBe('Could not load the web vitals. The server answered 500 (internal).')
    expect(await page.locator('#experiments .error').count()).toBe(0)
  })

  it('a key refused in the middle of a session signs out with the message', async () => {
    const { page } = await open()
    await signInByKeyboard(page, SITE, ADMIN_KEY)
    await settled(page)
    await page.route('**/v1/admin/sites/*/funnels*', (route) =>
      route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ error: 'unauthorized', reason: 'bad_admin_key' }) }),
    )
    await page.check('input[name="by"][value="segment"]')
    await page.waitForFunction(() => document.querySelector('#sign-in-error')?.textContent?.includes('That admin key was refused'))
    expect(await page.isVisible('#sign-in-form')).toBe(true)
    expect(await page.isVisible('#insights')).toBe(false)
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual([])
  })
})
