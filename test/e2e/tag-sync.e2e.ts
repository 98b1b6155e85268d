/**
 * The script tag with `data-attune-endpoint`, against the real reference server: nothing is
 * requested before consent — not even the sync code — and after it, events reach the server.
 */
import { serve as serveApi } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type AttuneServer } from '../../server/src/index'
import { launch, paths, serve, waitForLoaded, type TestServer } from './harness'

let browser: Browser
let site: TestServer
let api: AttuneServer
let apiUrl: string
let closeApi: () => void

const stored = async (name: string): Promise<number> =>
  ((await api.db.query('SELECT count(*)::int AS n FROM events WHERE name = $1', [name])) as Array<{ n: number }>)[0]!.n

beforeAll(async () => {
  site = await serve()
  api = await createServer({
    db: 'memory://',
    secret: 'e2e-secret-0123456789abcdef0123456789',
    adminKey: 'e2e-admin-key',
    sites: { 'shop-1': { origins: [site.url] } },
    rateLimits: { ip: false, visitor: false },
  })
  const listening = serveApi({ fetch: api.fetch, port: 0, hostname: '127.0.0.1' })
  await new Promise((resolve) => listening.once('listening', resolve))
  apiUrl = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`
  closeApi = () => listening.close()
  browser = await launch()
})

afterAll(async () => {
  await browser?.close()
  closeApi?.()
  await api?.close()
  await site?.close()
})

describe('the script tag with a server', () => {
  it('requests nothing before consent, then loads the sync code and sends the events', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors: Error[] = []
    page.on('pageerror', (error) => errors.push(error))
    const apiRequests: string[] = []
    page.on('request', (request) => {
      if (request.url().startsWith(apiUrl)) apiRequests.push(request.url())
    })
    await page.goto(`${site.url}/pages/tag-sync.html?api=${encodeURIComponent(apiUrl)}`)
    await waitForLoaded(page)
    await page.click('[data-attune-track]')
    // Clicks are tracked by the page chunk, loaded only after consent; a call of the site's own waits in memory.
    await page.evaluate(() => window.attune('track', 'product_added', { product_id: 'sku-1' }))
    await page.waitForTimeout(1_500)
    expect(apiRequests).toEqual([])
    expect(paths(site.requests)).not.toContain('/dist/attune-sync.min.js')
    expect(paths(site.requests)).not.toContain('/dist/attune-page.min.js')

    await page.evaluate(() => window.attune('consent', 'grant'))
    await page.waitForFunction(() => window.__attuneReady === true)
    // The page view comes from the page chunk the grant loads: once it is stored, the chunk tracks clicks too.
    await expect.poll(() => stored('page_viewed'), { timeout: 10_000 }).toBe(1)
    await page.click('[data-attune-track]')
    await expect.poll(() => paths(site.requests).includes('/dist/attune-sync.min.js'), { timeout: 5_000 }).toBe(true)
    // Replayed from before the grant, and tracked after it: both reach the server, once.
    await expect.poll(() => stored('product_added'), { timeout: 10_000 }).toBe(2)
    expect(await stored('page_viewed')).toBe(1)
    expect(errors).toEqual([])
    await context.close()
  })
})
