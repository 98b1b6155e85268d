import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { Hono } from 'hono'
import type { AppEnv, Deps } from '../types'
import { fail } from '../lib/fail'

/**
 * The dashboard's policy: its own files only, no inline script or style (uPlot sets element
 * styles through the CSSOM, which `style-src` does not govern), data only from this origin, and
 * never inside a frame (the page takes an admin key).
 */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

/** A file the dashboard serves: where it lives and how it is typed. */
interface Asset {
  file: () => string
  type: string
}

const own = (name: string) => () => fileURLToPath(new URL(`../../dashboard/${name}`, import.meta.url))
// Resolved from the server package's own dependencies, so it works in the repository and once installed from npm.
const uplot = (name: string) => () => createRequire(import.meta.url).resolve(`uplot/dist/${name}`)

const HTML = 'text/html; charset=utf-8'
const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'

/** URL path → file: a fixed list, so no request can name anything else on disk. */
const ASSETS: Record<string, Asset> = {
  '/dashboard': { file: own('index.html'), type: HTML },
  '/dashboard/': { file: own('index.html'), type: HTML },
  '/dashboard/dashboard.js': { file: own('dashboard.js'), type: JS },
  '/dashboard/dashboard.css': { file: own('dashboard.css'), type: CSS },
  '/dashboard/uPlot.esm.js': { file: uplot('uPlot.esm.js'), type: JS },
  '/dashboard/uPlot.min.css': { file: uplot('uPlot.min.css'), type: CSS },
}

/** A file read once, with its strong ETag. */
interface Loaded {
  body: Uint8Array<ArrayBuffer>
  etag: string
}

/** Does `If-None-Match` (a list, possibly weak, possibly `*`) name this ETag? */
const matches = (header: string | undefined, etag: string): boolean =>
  header !== undefined && header.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t === etag || t === `W/${etag}`
  })

/**
 * `GET /dashboard`: the insights dashboard, a static page (HTML, one ES module, one stylesheet,
 * uPlot) that signs in with the admin key and reads the `/v1/admin/…` insights routes itself. The
 * page needs no key to load; it shows data only once the key typed into its form is accepted.
 * Served under a strict CSP, `nosniff`, no referrer, and revalidated by ETag (`no-cache`), so an
 * upgraded server is seen at the next load.
 */
export const dashboardRoute = (deps: Deps) => {
  // Read lazily and once: nothing touches the disk until the first request.
  const cache = new Map<string, Promise<Loaded>>()
  const load = (path: string, asset: Asset): Promise<Loaded> => {
    let loaded = cache.get(path)
    if (!loaded) {
      loaded = readFile(asset.file()).then((file) => ({
        body: new Uint8Array(file),
        etag: `"${createHash('sha256').update(file).digest('base64url').slice(0, 27)}"`,
      }))
      // A file missing now (a broken install) may be there later: do not keep the failure.
      loaded.catch(() => cache.delete(path))
      cache.set(path, loaded)
    }
    return loaded
  }

  return new Hono<AppEnv>().on(['GET', 'HEAD'], ['/dashboard', '/dashboard/*'], async (c) => {
    const asset = ASSETS[c.req.path]
    if (!asset) return fail(c, deps.metrics, 404, 'not_found', 'no_route')
    const { body, etag } = await load(c.req.path, asset)
    c.header('Content-Security-Policy', DASHBOARD_CSP)
    c.header('X-Content-Type-Options', 'nosniff')
    c.header('Referrer-Policy', 'no-referrer')
    c.header('Cache-Control', 'no-cache')
    c.header('ETag', etag)
    if (matches(c.req.header('if-none-match'), etag)) return c.body(null, 304)
    const headers = { 'Content-Type': asset.type, 'Content-Length': String(body.byteLength) }
    return c.req.method === 'HEAD' ? c.body(null, 200, headers) : c.body(body, 200, headers)
  })
}
