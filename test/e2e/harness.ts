/**
 * Helpers for the e2e tests: find and launch the system Chromium, serve the built SDK and the
 * test pages from a local server that records every request, and snapshot a page's storage.
 */
import { accessSync, constants } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import type { AttuneCommand } from '../../src/script-tag'

declare global {
  interface Window {
    /** The queue stub before attune loads, the command function after. */
    attune: AttuneCommand
    /** Set by the test pages' `attune('ready', …)` callback. */
    __attuneReady?: boolean
  }
}

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

/** URL prefix → directory it serves. */
const STATIC: Record<string, string> = {
  '/dist/': join(ROOT, 'dist'),
  '/pages/': join(ROOT, 'test/e2e/pages'),
  // The one bare import of the ESM builds (`dist/index.js`, `dist/sync/index.js`): pages map it here.
  '/node_modules/idb-keyval/': join(ROOT, 'node_modules/idb-keyval'),
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/**
 * The Chromium to test with: `CHROMIUM_PATH`, else `/usr/bin/chromium`, else
 * `/usr/bin/chromium-browser` (the order of scripts/ensure-chromium.mjs). Throws when there is
 * none: the e2e tests fail rather than skip.
 */
export const chromiumPath = (): string => {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']
  const found = candidates.find((path): path is string => !!path && isExecutable(path))
  if (found) return found
  throw new Error(
    'No Chromium for the e2e tests (looked at CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser). ' +
      'Run `node scripts/ensure-chromium.mjs` as root, or `sudo apt-get install -y chromium`, or set CHROMIUM_PATH.',
  )
}

/** Launches headless Chromium that stays off the network (no Google background traffic). */
export const launch = (): Promise<Browser> =>
  chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  })

/** One request the test server received. */
export interface RecordedRequest {
  method: string
  /** As sent: path and query, e.g. `/dist/attune.min.js?v=1`. */
  url: string
  /** The path alone, e.g. `/dist/attune.min.js`. */
  path: string
  headers: IncomingHttpHeaders
  /** The body as text; filled in once it has arrived (`''` until then and for none). */
  body: string
}

/**
 * An extra route for a test: handle the request and return true, or return false to pass it on.
 * `body` is the request body as text (already read).
 */
export type Route = (req: IncomingMessage, res: ServerResponse, body: string) => boolean

export interface TestServer {
  /** `http://127.0.0.1:PORT` */
  url: string
  /** Every request received so far, in order of arrival. */
  requests: RecordedRequest[]
  close(): Promise<void>
}

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((done, fail) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')))
    req.on('error', fail)
  })

/**
 * A page as served: `{{ORIGIN}}` becomes the server's origin and `{{ATTUNE_PAINT}}` the paint
 * snippet (`dist/attune-paint.min.js`), which a site puts inline as a server-side include.
 */
export const expandPage = async (html: string, origin: string): Promise<string> =>
  html.replaceAll('{{ORIGIN}}', origin).replaceAll('{{ATTUNE_PAINT}}', html.includes('{{ATTUNE_PAINT}}') ? (await readFile(join(ROOT, 'dist/attune-paint.min.js'), 'utf8')).trim() : '')

/** The file `path` names under one of the STATIC prefixes, or undefined (never outside it). */
const staticFile = (path: string): string | undefined => {
  for (const [prefix, dir] of Object.entries(STATIC)) {
    if (!path.startsWith(prefix)) continue
    const file = resolve(dir, '.' + path.slice(prefix.length - 1))
    return file.startsWith(dir + sep) ? file : undefined
  }
  return undefined
}

/**
 * Starts a server on 127.0.0.1 (a free port) serving `/dist/*` from `dist/`, `/pages/*` from
 * `test/e2e/pages/` and `/node_modules/idb-keyval/*` (for an import map), `/favicon.ico` as 204,
 * 404 for anything else, never cacheable. `{{ORIGIN}}` in served `.html` files becomes the
 * server's own origin, `{{ATTUNE_PAINT}}` the paint snippet (see expandPage). `routes` are tried first, in order.
 */
export const serve = async (routes: Route[] = []): Promise<TestServer> => {
  const requests: RecordedRequest[] = []
  let origin = ''

  const handle = async (req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> => {
    res.setHeader('Cache-Control', 'no-store')
    record.body = await readBody(req)
    for (const route of routes) if (route(req, res, record.body)) return
    if (record.path === '/favicon.ico') {
      res.writeHead(204).end()
      return
    }
    const file = req.method === 'GET' || req.method === 'HEAD' ? staticFile(record.path) : undefined
    let content: Buffer | undefined
    try {
      if (file) content = await readFile(file)
    } catch {
      // Missing (or a directory): a 404 below.
    }
    if (!file || !content) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found')
      return
    }
    const type = extname(file)
    const body = type === '.html' ? Buffer.from(await expandPage(content.toString('utf8'), origin)) : content
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[type] ?? 'application/octet-stream',
      'Content-Length': body.length,
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  }

  const server = createServer((req, res) => {
    const url = req.url ?? '/'
    let path = new URL(url, 'http://x').pathname
    try {
      path = decodeURIComponent(path)
    } catch {
      // Keep it encoded; it matches nothing and gets a 404.
    }
    // Recorded on arrival, so a request still in flight is already visible to assertions.
    const record: RecordedRequest = { method: req.method ?? '', url, path, headers: req.headers, body: '' }
    requests.push(record)
    handle(req, res, record).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
      res.end(String(error))
    })
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', done)
  })
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: origin,
    requests,
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((error) => (error ? fail(error) : done()))
        server.closeAllConnections()
      }),
  }
}

/** Everything a page could have left on the device, as the page's own origin sees it. */
export interface StorageSnapshot {
  cookies: Awaited<ReturnType<ReturnType<Page['context']>['cookies']>>
  localStorage: string[]
  sessionStorage: string[]
  indexedDB: Array<string | undefined>
  caches: string[]
}

/** Cookies of the page's context, plus the storage keys, IndexedDB names and caches of its origin. */
export const storageSnapshot = async (page: Page): Promise<StorageSnapshot> => {
  const cookies = await page.context().cookies()
  const inPage = await page.evaluate(async () => ({
    localStorage: Object.keys(localStorage),
    sessionStorage: Object.keys(sessionStorage),
    indexedDB: (await indexedDB.databases()).map((d) => d.name),
    caches: await caches.keys(),
  }))
  return { cookies, ...inPage }
}

/** Paths of the recorded requests, for readable assertions. */
export const paths = (requests: readonly RecordedRequest[]): string[] => requests.map((r) => r.path)

/** Waits until the page's `attune('ready', …)` callback has run (set `window.__attuneReady`). */
export const waitForReady = async (page: Page, timeout = 5_000): Promise<void> => {
  await page.waitForFunction(() => window.__attuneReady === true, undefined, { timeout, polling: 100 })
}

/** Waits until the script tag has replaced the queue stub with the real command function. */
export const waitForLoaded = async (page: Page, timeout = 10_000): Promise<void> => {
  await page.waitForFunction(() => typeof window.attune === 'function' && window.attune.loaded === true, undefined, {
    timeout,
    polling: 100,
  })
}
