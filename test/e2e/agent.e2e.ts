/**
 * Issue 10, the call center in real Chromium: `node scripts/demo.mjs` on free ports, a shopper who
 * accepts, browses running shoes, adds one to the cart, sees the running hero and signs in; then a
 * customer-service agent opens the agent console (demo/agent), types the shopper's user id and sees
 * that research — and the shopper's own export says who looked. The admin key never reaches the
 * agent's browser. Screenshots go to test/e2e/artifacts/agent/.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AxeResults } from 'axe-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemo, type Demo } from './demo'
import { launch } from './harness'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const ARTIFACTS = join(ROOT, 'test/e2e/artifacts/agent')
const SITE = 'demo-shop'
const ADMIN_KEY = 'agent-e2e-admin-key-0123456789'
const USER = 'trail-runner-7'
const AGENT = 'Dana (agent 12)'
const REASON = 'caller asks which shoe to pick'

let demo: Demo
let urls: { shop: string; api: string; agent: string }
let browser: Browser

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true })
  demo = await startDemo(ADMIN_KEY)
  if (!demo.agent) throw new Error(`the demo printed no agent console:\n${demo.output.join('')}`)
  urls = { shop: demo.shop, api: demo.api, agent: demo.agent }
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
  await demo?.stop()
})

/** The `securitypolicyviolation` events a page saw, as `directive: blocked`; recorded from navigation start. */
type Watched = Window & { __csp?: string[]; axe?: { run(context: Document): Promise<AxeResults> } }
const watchCsp = (): void => {
  const seen: string[] = ((window as Watched).__csp = [])
  document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective}: ${e.blockedURI}`))
}

/**
 * axe-core over the page. The console's CSP admits no script but its own, so axe goes in through
 * the DevTools protocol (as a test harness may), not as a page script.
 */
const axeViolations = async (page: Page): Promise<string[]> => {
  await page.evaluate(await readFile(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8'))
  return page.evaluate(async () => {
    const results = await (window as Watched).axe!.run(document)
    return results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`)
  })
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true })

/** The shopper's own export, with the token attune keeps in their browser (no admin key). */
const ownExport = async (page: Page) => {
  const { id, token } = await page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? 'null'), `attune:visitor:${SITE}`)
  const response = await fetch(`${urls.api}/v1/profile/export?site=${SITE}&visitor=${id}`, { headers: { authorization: `Bearer ${token}` } })
  expect(response.status).toBe(200)
  return (await response.json()) as { userId: string | null; events: { name: string; props: Record<string, unknown> }[]; audit: { actor: string; action: string; reason: string | null; subject: string }[] }
}

describe('the agent console of the demo', () => {
  it("a signed-in shopper browses; the agent looks them up and sees that research; the shopper's export shows who looked", async () => {
    // ---- 1. The shopper: accept, browse two running shoes, add one to the cart, see the home hero, sign in.
    const shopper = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await shopper.newPage()
    const shopperErrors: Error[] = []
    page.on('pageerror', (error) => shopperErrors.push(error))
    await page.goto(`${urls.shop}/`)
    await page.locator('#cc-main .cm').getByRole('button', { name: 'Accept all' }).click()
    for (const name of ['Ridgeline Trail Shoe', 'Tempo Road Shoe']) {
      await page.locator('.categories-nav').getByRole('link', { name: 'Running' }).click()
      await page.waitForURL(`${urls.shop}/c/running.html`)
      await page.locator('.card-link', { hasText: name }).click()
      await page.waitForURL(/\/p\/.+\.html$/)
    }
    await page.locator('article.product [data-add-to-cart]').click()
    await page.locator('a.logo').click()
    await page.waitForURL(`${urls.shop}/`)
    await expect.poll(() => page.locator('[data-attune-slot="home-hero"] .hero-running').count(), { timeout: 15_000 }).toBe(1)
    const identified = page.waitForResponse((r) => r.url().startsWith(`${urls.api}/v1/identify`), { timeout: 15_000 })
    await page.evaluate(async (user) => {
      const { userId, signature } = await (await fetch(`/api/sign-in?user=${encodeURIComponent(user)}`)).json()
      window.attune('identify', userId, { signature })
    }, USER)
    expect((await identified).status()).toBe(200)
    // Leaving the page sends what is still waiting; then the server has the whole visit.
    await page.goto(`${urls.shop}/preferences.html`)
    const stored = (e: { name: string }[], name: string) => e.filter((x) => x.name === name).length
    await expect
      .poll(
        async () => {
          const { events } = await ownExport(page)
          return { viewed: stored(events, 'product_viewed') >= 2, carted: stored(events, 'product_added') >= 1, exposure: events.some((e) => e.name === 'exposure' && e.props.slot === 'home-hero') }
        },
        { timeout: 20_000 },
      )
      .toEqual({ viewed: true, carted: true, exposure: true })
    expect((await ownExport(page)).audit).toEqual([])
    expect(shopperErrors).toEqual([])

    // ---- 2. The agent: the console, the user id, the research.
    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const agentPage = await desk.newPage()
    const agentErrors: string[] = []
    agentPage.on('pageerror', (error) => agentErrors.push(error.message))
    agentPage.on('console', (message) => {
      if (message.type() === 'error') agentErrors.push(message.text())
    })
    const sent: { url: string; headers: Record<string, string> }[] = []
    desk.on('request', (request) => sent.push({ url: request.url(), headers: request.headers() }))
    await desk.addInitScript(watchCsp)
    await agentPage.goto(`${urls.agent}/`)
    expect(await agentPage.locator('h1').textContent()).toBe('Agent console')
    await agentPage.getByLabel('Your name').fill(AGENT)
    await agentPage.getByLabel("Shopper's user id").fill(USER)
    await agentPage.getByLabel('Reason').fill(REASON)
    await agentPage.getByRole('button', { name: 'Look up' }).click()
    await expect.poll(() => agentPage.locator('#result').isVisible(), { timeout: 15_000 }).toBe(true)
    expect(await agentPage.getByRole('status').textContent()).toContain(`in the audit log as “${AGENT}”`)
    expect(await agentPage.getByRole('heading', { level: 2 }).textContent()).toBe(`Shopper ${USER}`)

    const viewed = agentPage.getByRole('region', { name: 'Recently viewed' })
    expect(await viewed.getByRole('listitem').allTextContents()).toEqual([expect.stringContaining('Tempo Road Shoe'), expect.stringContaining('Ridgeline Trail Shoe')])
    expect(await viewed.getByRole('link', { name: 'Tempo Road Shoe' }).getAttribute('href')).toBe(`${urls.shop}/p/swiftline-tempo-road-shoe.html`)
    const carted = agentPage.getByRole('region', { name: 'Added to cart' })
    expect(await carted.getByRole('listitem').allTextContents()).toEqual([expect.stringContaining('Tempo Road Shoe')])
    const shown = await agentPage.getByRole('region', { name: 'What they were shown, and why' }).getByRole('listitem').allTextContents()
    expect(shown).toContainEqual(expect.stringMatching(/^home-hero: running\s*because they viewed running products recently/))
    const visits = await agentPage.getByRole('region', { name: 'Visits and campaigns' }).getByRole('listitem').allTextContents()
    expect(visits.length).toBeGreaterThan(0)
    await shot(agentPage, '01-agent-console')

    // The key stays on the demo's server: the agent's browser never sent or received it.
    expect(sent.some((r) => r.url.startsWith(urls.api))).toBe(false)
    expect(sent.every((r) => !JSON.stringify(r.headers).includes(ADMIN_KEY))).toBe(true)
    expect(await agentPage.content()).not.toContain(ADMIN_KEY)
    expect(agentErrors).toEqual([])

    // Accessible, and under its strict CSP nothing was refused — while an inline style would be.
    expect(await axeViolations(agentPage)).toEqual([])
    expect(await agentPage.evaluate(() => (window as Watched).__csp)).toEqual([])
    await agentPage.evaluate(() => document.body.setAttribute('style', 'color: red'))
    await expect.poll(() => agentPage.evaluate(() => (window as Watched).__csp)).toEqual(['style-src-attr: inline'])

    // An unknown user id says so.
    await agentPage.getByLabel("Shopper's user id").fill('nobody-here')
    await agentPage.getByRole('button', { name: 'Look up' }).click()
    await expect.poll(() => agentPage.getByRole('status').textContent(), { timeout: 15_000 }).toBe('No shopper with this user id has signed in on the shop.')
    expect(await agentPage.locator('#result').isVisible()).toBe(false)

    // ---- 3. The shopper's export lists the agent's look-up: who, why, and that it was a read.
    const { audit, userId } = await ownExport(page)
    expect(userId).toBe(USER)
    expect(audit).toEqual([expect.objectContaining({ subject: USER, actor: AGENT, action: 'read', reason: REASON })])
    await shopper.close()
    await desk.close()
  })
})
