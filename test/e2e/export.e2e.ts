/**
 * The preference center's "Download my data" on a script-tag site with the real reference
 * server (issue #10): the file holds what the server keeps too, with its audit log — so after a
 * call-center read, the shopper sees who read their profile and when. Nothing asks the server
 * for the export until the shopper clicks; when the server's part cannot be had, the file still
 * comes, with this browser's part, and the status says so.
 */
import { serve as serveApi } from '@hono/node-server'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServer, type AttuneServer } from '../../server/src/index'
import type { EverythingExport } from '../../src/sync/exportEverything'
import { launch, serve, waitForLoaded, type TestServer } from './harness'

const ADMIN_KEY = 'e2e-admin-key'
let browser: Browser
let site: TestServer
let api: AttuneServer
let apiUrl: string
let closeApi: () => void

beforeAll(async () => {
  site = await serve()
  api = await createServer({
    db: 'memory://',
    secret: 'e2e-secret-0123456789abcdef0123456789',
    adminKey: ADMIN_KEY,
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

const status = (page: Page): Promise<string> =>
  page.evaluate(() => document.querySelector('attune-preferences')?.shadowRoot?.querySelector('[role="status"]')?.textContent ?? '')

/** Clicks "Download my data" in the preference center and reads the file. */
const download = async (page: Page): Promise<EverythingExport> => {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.locator('attune-preferences button', { hasText: 'Download my data' }).click()])
  expect(file.suggestedFilename()).toBe('shop-1-my-data.json')
  return JSON.parse(await readFile((await file.path())!, 'utf8')) as EverythingExport
}

describe('"Download my data" with a server (script tag)', () => {
  it('includes the server’s copy with who read it, fetched only on the click; without the server, the local part and a note', async () => {
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors: Error[] = []
    page.on('pageerror', (error) => errors.push(error))
    const exportRequests: string[] = []
    page.on('request', (request) => {
      if (request.url().startsWith(`${apiUrl}/v1/profile/export`) && request.method() === 'GET') exportRequests.push(request.url())
    })
    // The site's first calls, queued through the stub before the tag loads.
    await page.addInitScript(() => {
      const stub = ((...args: unknown[]) => void (stub.q = stub.q ?? []).push(args)) as unknown as typeof window.attune & { q?: unknown[] }
      window.attune = stub
      window.attune('consent', 'grant')
      window.attune('track', 'product_viewed', { product_id: 'sku-1', category: 'Running' })
    })
    await page.goto(`${site.url}/pages/export-tag.html?api=${encodeURIComponent(apiUrl)}`)
    await waitForLoaded(page)
    // The server minted this browser's token on its first events.
    const visitor = await page.waitForFunction(
      () => {
        const v = JSON.parse(localStorage.getItem('attune:visitor:shop-1') ?? 'null') as { id: string; token?: string } | null
        return v?.token ? v.id : undefined
      },
      undefined,
      { timeout: 15_000 },
    )
    const visitorId = (await visitor.jsonValue()) as string

    // A call-center agent reads the shopper's profile.
    const read = await fetch(`${apiUrl}/v1/admin/sites/shop-1/visitors/${visitorId}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'x-attune-actor': 'agent-7', 'x-attune-reason': 'order question' },
    })
    expect(read.status).toBe(200)
    await page.waitForFunction(() => document.querySelector('attune-preferences')?.shadowRoot?.textContent?.includes('Download my data'))
    expect(exportRequests).toEqual([])

    const data = await download(page)
    expect(data).toMatchObject({ format: 'attune-export', site: 'shop-1', view: { counters: { product_views: 1 } } })
    expect(data.server).toMatchObject({ site: 'shop-1', visitors: [expect.objectContaining({ visitor: visitorId })] })
    expect(data.server!.audit).toContainEqual(expect.objectContaining({ subjectKind: 'visitor', subject: visitorId, actor: 'agent-7', action: 'read', reason: 'order question' }))
    expect(data.server!.events.length).toBeGreaterThan(0)
    expect(exportRequests).toHaveLength(1)
    await expect.poll(() => status(page)).toBe('Downloaded shop-1-my-data.json: what this browser keeps, and what the site’s server holds about you, with who read it and when.')

    // The server cannot be reached: the file still comes, with this browser's part.
    await page.route(`${apiUrl}/v1/profile/export**`, (route) => route.abort())
    const local = await download(page)
    expect(local).toMatchObject({ format: 'attune-export', site: 'shop-1', view: { counters: { product_views: 1 } }, server: null })
    await expect.poll(() => status(page)).toBe('Downloaded shop-1-my-data.json with what this browser keeps. The copy on the site’s server could not be included.')
    expect(errors).toEqual([])
    await context.close()
  })
})
