/**
 * Issue 8, the React single-page shop (demo/spa) in real Chromium: `node scripts/demo.mjs` (the
 * reference server on PGlite in a temporary directory, the SPA bundled from attune's npm entry
 * points) driven as a shopper would. A first visit stores and sends nothing until the real
 * vanilla-cookieconsent banner is answered; client-side navigation is tracked once per route;
 * `useDecision('home-hero')` shows the running hero with its reason, and after a reload shows it
 * with no flash of the default hero and no layout shift. Signed in (the header's "Sign in", which
 * attune/sync's identify follows) in a second browser, the shopper's profile follows them there;
 * "Delete my data" on the "Your data" route wipes the browser and the server erases the user. The
 * shopper who rejects sees the default content only, and attune keeps nothing. A screenshot of
 * each step goes to test/e2e/artifacts/spa/.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startDemo, type Demo } from './demo'
import { launch, storageSnapshot } from './harness'

/** The home hero in one animation frame, kept when its visibility or content changed. */
interface HeroFrame {
  /** Computed `visibility` of the slot is `visible`. */
  visible: boolean
  /** `data-content` of the hero: `default` or the variant id; null before React rendered it. */
  content: string | null
}

declare global {
  interface Window {
    __spaFrames?: HeroFrame[]
    __spaShifts?: number[]
    /** Set by the test after the first load: still there means no page load since. */
    __spaLoaded?: boolean
  }
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const ARTIFACTS = join(ROOT, 'test/e2e/artifacts/spa')
const SITE = 'demo-shop'
const ADMIN_KEY = 'spa-e2e-admin-key'
const USER = 'trail-runner-42'
const LINKED = 'Signed in: your profile now follows you to your other devices.'
const HERO = '[data-attune-slot="home-hero"]'
const STANDARD = 'This is our standard content.'
const RUNNING_WHY = 'Shown because you viewed running products recently.'
const RUNNING = ['northpeak-ridgeline-trail-shoe', 'swiftline-tempo-road-shoe', 'swiftline-racer-carbon']

let demo: Demo
let spa: string
let api: string
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true })
  demo = await startDemo(ADMIN_KEY)
  ;({ spa, api } = demo)
  browser = await launch()
})

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close()
})

afterAll(async () => {
  await browser?.close()
  await demo?.stop()
})

/**
 * Runs in every document before the app: a requestAnimationFrame loop recording the home hero
 * whenever its visibility or content changes, and a buffered layout-shift observer (CLS).
 */
const recorder = (): void => {
  const frames: HeroFrame[] = (window.__spaFrames = [])
  const shifts: number[] = (window.__spaShifts = [])
  new PerformanceObserver((list) => {
    for (const e of list.getEntries() as Array<PerformanceEntry & { value: number; hadRecentInput: boolean }>) {
      if (!e.hadRecentInput) shifts.push(e.value)
    }
  }).observe({ type: 'layout-shift', buffered: true })
  let last = ''
  const tick = (): void => {
    const hero = document.querySelector('[data-attune-slot="home-hero"]')
    if (hero) {
      const frame: HeroFrame = {
        visible: getComputedStyle(hero).visibility === 'visible',
        content: hero.querySelector('.hero-body')?.getAttribute('data-content') ?? null,
      }
      const key = `${frame.visible}|${frame.content}`
      if (key !== last) frames.push(frame)
      last = key
    }
    requestAnimationFrame(tick)
  }
  requestAnimationFrame(tick)
}

/** A fresh browser profile on the SPA's home page, recording the hero and every request to the attune server. */
const visit = async (): Promise<{ page: Page; toServer: string[]; errors: string[] }> => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } })
  contexts.push(context)
  await context.addInitScript(recorder)
  const page = await context.newPage()
  const toServer: string[] = []
  const errors: string[] = []
  page.on('request', (request) => {
    if (request.url().startsWith(api)) toServer.push(`${request.method()} ${new URL(request.url()).pathname}`)
  })
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text())
  })
  await page.goto(`${spa}/`)
  await page.evaluate(() => (window.__spaLoaded = true))
  return { page, toServer, errors }
}

const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage })

/** The consent banner, as the shopper sees it. */
const banner = (page: Page) => page.locator('#cc-main .cm')

/** Waits until the hero shows its final content (marked shown, `<html>` no longer loading); returns that content. */
const heroShown = async (page: Page): Promise<string | null> => {
  await page.waitForFunction(
    () => !document.documentElement.classList.contains('attune-loading') && document.querySelector('[data-attune-slot="home-hero"]')?.hasAttribute('data-attune-shown'),
    undefined,
    { timeout: 10_000, polling: 'raf' },
  )
  return page.locator(`${HERO} .hero-body`).getAttribute('data-content')
}

/** The hero's "Why am I seeing this?", opened. */
const why = async (page: Page): Promise<string | null> => {
  await page.locator('[data-why="home-hero"] summary').click()
  return page.locator('[data-why="home-hero"] [data-why-text]').textContent()
}

/** What attune keeps on the device: its localStorage keys and IndexedDB databases. */
const attuneData = async (page: Page) => {
  const { localStorage, indexedDB } = await storageSnapshot(page)
  return { localStorage: localStorage.filter((key) => key.startsWith('attune')), indexedDB }
}

/** Clicks an in-app link and waits for the route it leads to. */
const follow = async (page: Page, link: ReturnType<Page['locator']>, path: string): Promise<void> => {
  await link.click()
  await page.waitForURL(`${spa}${path}`)
}

/**
 * Reloads until the hero is shown, and resolves with what the recorder saw. Once visible, the hero
 * must never change (promise 2). A hero shown with its default content after `revealTimeoutMs`
 * (1 s) is what attune promises when it cannot decide in time — a machine busy with other work —
 * so then the page is loaded again, at most twice, and said so.
 */
const reload = async (page: Page): Promise<{ frames: HeroFrame[]; shifts: number[] }> => {
  for (let attempt = 1; ; attempt++) {
    await page.reload()
    await heroShown(page)
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))))
    const got = await page.evaluate(() => ({ frames: window.__spaFrames ?? [], shifts: window.__spaShifts ?? [] }))
    const visible = got.frames.filter((f) => f.visible)
    expect(visible.length, JSON.stringify(got.frames)).toBeGreaterThan(0)
    expect(new Set(visible.map((f) => f.content)), JSON.stringify(got.frames)).toEqual(new Set([visible[0]!.content]))
    if (visible[0]!.content !== 'default' || attempt == 3) return got
    console.log(`the hero was shown with its default content at the reveal timeout (attempt ${attempt}); loading the page again`)
  }
}

/** This browser's visitor for the attune server, as attune keeps it. */
const visitorOf = (page: Page): Promise<{ id: string; token?: string }> =>
  page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? 'null'), `attune:visitor:${SITE}`)

/** Clicks the header's "Sign in as trail-runner-42"; resolves with the status of attune's `POST /v1/identify`, once the app says how it went. */
const signIn = async (page: Page): Promise<number> => {
  const identified = page.waitForResponse((r) => r.url() === `${api}/v1/identify` && r.request().method() === 'POST', { timeout: 15_000 })
  await page.locator('.tools-nav [data-sign-in]').click()
  const status = (await identified).status()
  await expect.poll(() => page.locator('[data-account-note]').textContent(), { timeout: 15_000 }).toBe(LINKED)
  expect(await page.locator('.tools-nav [data-account]').textContent()).toBe(`Signed in as ${USER}`)
  return status
}

const admin = (path: string): Promise<Response> => fetch(`${api}/v1/admin/sites/${SITE}${path}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })

/** The site's events on the server, in the order they were tracked (admin export). */
const stored = async (): Promise<Array<{ name: string; props: Record<string, unknown> }>> => {
  const response = await fetch(`${api}/v1/admin/sites/demo-shop/export`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
  expect(response.status).toBe(200)
  return (await response.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { name: string; props: Record<string, unknown> })
}

describe('the React SPA demo (demo/spa)', () => {
  it('accept: route changes tracked once each, the running hero with its reason, no flicker or shift on reload; signed in, the profile follows to a second browser; "Delete my data"', async () => {
    const { page, toServer, errors } = await visit()

    // A first visit: the banner asks, attune has stored and sent nothing, the hero shows the default.
    await expect.poll(() => banner(page).isVisible(), { timeout: 10_000 }).toBe(true)
    expect(await heroShown(page)).toBe('default')
    const first = await storageSnapshot(page)
    expect(first).toEqual({ cookies: [], localStorage: [], sessionStorage: [], indexedDB: [], caches: [] })
    expect(toServer).toEqual([])
    await shot(page, '01-first-visit-banner')

    await banner(page).locator('[data-role="all"]').click()
    await expect.poll(() => page.locator('[data-consent-status]').textContent(), { timeout: 10_000 }).toBe('Personalisation is on.')
    await shot(page, '02-accepted')

    // Three running products, through the app's own links: no page load.
    await follow(page, page.locator('.categories-nav a', { hasText: 'Running' }), '/c/running')
    for (const [i, slug] of RUNNING.entries()) {
      if (i > 0) await follow(page, page.locator('.breadcrumb a', { hasText: 'Running' }), '/c/running')
      await follow(page, page.locator(`.card-link[href="/p/${slug}"]`), `/p/${slug}`)
      await expect.poll(() => page.locator('.product h1').isVisible()).toBe(true)
      await shot(page, `0${3 + i}-product-${slug}`)
    }
    await follow(page, page.locator('a.logo'), '/')
    expect(await page.evaluate(() => window.__spaLoaded)).toBe(true)

    // The hero mounted on this route is decided from the profile as it is now.
    expect(await heroShown(page)).toBe('running')
    expect(await why(page)).toBe(RUNNING_WHY)
    await shot(page, '06-home-running-hero')
    // The React slot reports its exposure as the slots attune swaps do: once in view, once per page
    // view, with its decision (the default it showed before consent counts for nothing).
    const heroExposures = async () => (await stored()).filter((e) => e.name === 'exposure' && e.props.slot === 'home-hero').map((e) => e.props.variant)
    await expect.poll(heroExposures, { timeout: 15_000 }).toEqual(['running'])

    // Each route change after the answer is one page view, stored once; each product page one
    // product view. (The landing page view is not among them: while the banner asks, the
    // cookieconsent adapter decides consent denied, which drops what waited in memory.)
    const [a, b, c] = RUNNING.map((slug) => `/p/${slug}`)
    const views = ['/c/running', a, '/c/running', b, '/c/running', c, '/']
    const pageViews = async () => (await stored()).filter((e) => e.name === 'page_viewed').map((e) => e.props.path)
    await expect.poll(pageViews, { timeout: 15_000 }).toEqual(views)
    const events = await stored()
    expect(events.filter((e) => e.name === 'product_viewed').map((e) => [e.props.category, e.props.name])).toEqual([
      ['Running', 'Ridgeline Trail Shoe'],
      ['Running', 'Tempo Road Shoe'],
      ['Running', 'Racer Carbon'],
    ])

    // Reload: the hero is hidden until it shows the running variant, then never changes; nothing shifts.
    const { frames, shifts } = await reload(page)
    const firstVisible = frames.findIndex((f) => f.visible)
    expect(frames.slice(firstVisible), JSON.stringify(frames)).toEqual([{ visible: true, content: 'running' }])
    expect(shifts.reduce((sum, value) => sum + value, 0)).toBe(0)
    expect(await why(page)).toBe(RUNNING_WHY)
    await shot(page, '07-reload-running-hero')

    // Signed in here, then in a second browser that never looked at running gear.
    expect(await signIn(page)).toBe(200)
    const laptop = await visitorOf(page)
    expect(laptop.token).toMatch(/^v1\./)
    await shot(page, '10-signed-in')

    const phone = await visit()
    await expect.poll(() => banner(phone.page).isVisible(), { timeout: 10_000 }).toBe(true)
    await banner(phone.page).locator('[data-role="all"]').click()
    await expect.poll(() => phone.page.locator('[data-consent-status]').textContent(), { timeout: 10_000 }).toBe('Personalisation is on.')
    expect(await heroShown(phone.page)).toBe('default')
    expect(await signIn(phone.page)).toBe(200)
    // identify merged the user's profile in: on the next load the hero is the running one, with no flicker.
    const second = await reload(phone.page)
    expect(second.frames.slice(second.frames.findIndex((f) => f.visible)), JSON.stringify(second.frames)).toEqual([{ visible: true, content: 'running' }])
    expect(await why(phone.page)).toBe(RUNNING_WHY)
    expect(await phone.page.locator('.tools-nav [data-account]').textContent()).toBe(`Signed in as ${USER}`)
    await shot(phone.page, '11-second-browser-running-hero')
    // What it knows came from the first browser: the three running products this one never opened.
    await follow(phone.page, phone.page.locator('.tools-nav a', { hasText: 'Your data' }), '/preferences')
    await expect.poll(() => phone.page.locator('[data-profile] li a').allTextContents(), { timeout: 10_000 }).toEqual(['Racer Carbon', 'Tempo Road Shoe', 'Ridgeline Trail Shoe'])
    const phoneVisitor = await visitorOf(phone.page)
    // The call center's view: one user, both browsers linked.
    const linked = await admin(`/visitors/${laptop.id}`)
    expect(linked.status).toBe(200)
    const record = (await linked.json()) as { userId: string; visitors: string[] }
    expect(record.userId).toBe(USER)
    expect([...record.visitors].sort()).toEqual([laptop.id, phoneVisitor.id].sort())

    // "Your data" in the first browser: what attune knows, a copy of it, then "Delete my data".
    await follow(page, page.locator('.tools-nav a', { hasText: 'Your data' }), '/preferences')
    await expect.poll(() => page.locator('[data-profile]').textContent(), { timeout: 10_000 }).toContain('Running (activity)')
    expect(await attuneData(page)).toMatchObject({ indexedDB: [`attune-${SITE}`] })
    const download = page.waitForEvent('download', { timeout: 10_000 })
    await page.locator('[data-export]').click()
    const file = await download
    expect(file.suggestedFilename()).toBe('trailhead-my-data.json')
    const exported = JSON.parse(await readFile(await file.path(), 'utf8')) as { format: string; site: string; view: { affinities: Record<string, number> } }
    expect(exported).toMatchObject({ format: 'attune-export', site: SITE })
    expect(exported.view.affinities['category:running']).toBeGreaterThan(2)
    await shot(page, '12-your-data', true)

    await page.locator('[data-delete]').click()
    await expect.poll(() => page.locator('[data-control-status]').textContent(), { timeout: 10_000 }).toMatch(/^Deleted\./)
    // The erasure is sent at once; its record in localStorage goes when the server confirmed it.
    await expect.poll(() => attuneData(page), { timeout: 15_000 }).toEqual({ localStorage: [], indexedDB: [] })
    expect(await page.locator('[data-consent-status]').textContent()).toBe('Personalisation is off.')
    expect(await page.locator('[data-profile]').textContent()).toBe('Nothing: personalisation is off, so nothing about you is stored.')
    await shot(page, '13-deleted', true)
    const profile = await fetch(`${api}/v1/profile?site=${SITE}&visitor=${laptop.id}`, { headers: { authorization: `Bearer ${laptop.token}` } })
    expect(profile.status).toBe(404)
    // Erasing a signed-in visitor erases every visitor of the user: the second browser's too.
    expect((await admin(`/visitors/${laptop.id}`)).status).toBe(404)
    expect((await admin(`/visitors/${phoneVisitor.id}`)).status).toBe(404)

    expect(errors).toEqual([])
    // Deleting on the laptop erased every visitor of the signed-in user, the phone's too: the
    // phone's next request then meets 401 (it starts over as a new visitor), which the browser
    // logs on its own. Anything else is an error.
    expect(phone.errors.filter((e) => !/status of 401 \(Unauthorized\)/.test(e))).toEqual([])
  })

  it('reject: the default content only, and attune stores and sends nothing', async () => {
    const { page, toServer, errors } = await visit()
    await expect.poll(() => banner(page).isVisible(), { timeout: 10_000 }).toBe(true)
    await banner(page).locator('[data-role="necessary"]').click()
    await expect.poll(() => banner(page).isVisible()).toBe(false)
    expect(await heroShown(page)).toBe('default')
    await shot(page, '08-rejected')

    await follow(page, page.locator('.categories-nav a', { hasText: 'Running' }), '/c/running')
    await follow(page, page.locator(`.card-link[href="/p/${RUNNING[0]}"]`), `/p/${RUNNING[0]}`)
    await follow(page, page.locator('a.logo'), '/')
    expect(await heroShown(page)).toBe('default')
    expect(await why(page)).toBe(STANDARD)
    expect(await page.locator('[data-consent-status]').textContent()).toBe('Personalisation is off.')
    await shot(page, '09-rejected-home-default')

    await page.reload()
    expect(await heroShown(page)).toBe('default')
    expect(await attuneData(page)).toEqual({ localStorage: [], indexedDB: [] })
    // The banner keeps its own answer in its cookie; attune sets none.
    expect((await storageSnapshot(page)).cookies.map((c) => c.name)).toEqual(['cc_cookie'])
    expect(toServer).toEqual([])
    expect(errors).toEqual([])
  })
})
