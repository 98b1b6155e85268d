// `npm run demo`: the reference server on embedded PGlite with the demo shop's site config, the
// shop (demo/shop, rendered from its catalogue) using it through the script tag, and the same shop
// as a React single-page app (demo/spa, bundled here with esbuild from attune's npm entry points),
// all on localhost, and the agent console of the shop's customer service (demo/agent); prints their
// URLs. Ctrl-C stops them.
//
// PORT (8080), API_PORT (8787), SPA_PORT (8081) and AGENT_PORT (8082; these two on any free port
// when only PORT is set) move them;
// ATTUNE_DATA_DIR (.attune-data, or memory://) is the server's database. The shop's backend part —
// the site config, the identify signature — uses fixed demo secrets unless ATTUNE_ADMIN_KEY /
// ATTUNE_SECRET are set. Never use them in production.
import { spawn } from 'node:child_process'
import { createHash, createHmac } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, extname, join, normalize, resolve, sep } from 'node:path'
import { build } from 'esbuild'
import { createAgentServer } from '../demo/agent/server.mjs'
import { readGet, send } from '../demo/http.mjs'
import * as shop from '../demo/shop/render.mjs'

const root = resolve(import.meta.dirname, '..')
const SHOP_PORT = Number(process.env.PORT ?? 8080)
const API_PORT = Number(process.env.API_PORT ?? 8787)
// A caller that moves the shop (a test) gets the SPA on a free port rather than a fixed one it may not own.
const SPA_PORT = Number(process.env.SPA_PORT ?? (process.env.PORT ? 0 : 8081))
const SITE = 'demo-shop'
const shopUrl = `http://localhost:${SHOP_PORT}`
const api = `http://localhost:${API_PORT}`
const ADMIN_KEY = process.env.ATTUNE_ADMIN_KEY || 'attune-demo-admin-key-not-for-production'
const IDENTIFY_SECRET = 'attune-demo-identify-secret-not-for-production'
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
}

if (!existsSync(join(root, 'dist/attune.min.js'))) {
  console.error('demo: dist/attune.min.js is missing; run `npm run demo` (it builds first) or `npm run build`.')
  process.exit(1)
}

// URL prefix → folder it serves files from. The banner is the real vanilla-cookieconsent package.
const cookieconsentDist = dirname(createRequire(import.meta.url).resolve('vanilla-cookieconsent'))
const MOUNTS = [
  ['/dist/', join(root, 'dist')],
  ['/assets/', join(root, 'demo/shop/assets')],
  ['/vendor/cookieconsent/', cookieconsentDist],
]

// A strict CSP: scripts only from here plus attune's queue stub and paint snippet by their hashes; no inline styles.
const hashOf = (script) => `'sha256-${createHash('sha256').update(script).digest('base64')}'`
const CSP = [
  "default-src 'self'",
  `script-src 'self' ${hashOf(shop.QUEUE_STUB)} ${hashOf(shop.paintSnippet())}`,
  "style-src 'self'",
  "img-src 'self'",
  `connect-src 'self' ${api}`,
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')


/**
 * `GET /api/sign-in?user=…`, on the shop and the SPA alike: the shop's backend signs a signed-in
 * user's id for attune's identify (README, "The server"): HMAC-SHA256 with the site's identify
 * secret. Demo users sign in by name, with no password.
 */
const signIn = (res, params) => {
  const userId = params.get('user') ?? ''
  if (!/^[\w.@-]{1,200}$/.test(userId)) return send(res, 400, TYPES['.json'], JSON.stringify({ error: 'user must be 1–200 letters, digits, _ . @ -' }))
  const signature = createHmac('sha256', IDENTIFY_SECRET).update(userId).digest('hex')
  return send(res, 200, TYPES['.json'], JSON.stringify({ userId, signature }))
}

/**
 * The SPA, bundled in memory as an npm user's bundler would: `attune`, `attune/react`… resolve
 * through this package's "exports" to dist/, React in production mode. Served at `/app.js` and
 * `/app.css` (which carries attune/attune.css), with their source maps.
 */
const bundleSpa = async () => {
  const result = await build({
    entryPoints: { app: join(root, 'demo/spa/src/main.tsx') },
    outdir: join(root, 'demo/spa/out'),
    write: false,
    bundle: true,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    minify: true,
    sourcemap: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  })
  return new Map(result.outputFiles.map((file) => ['/' + file.path.split(sep).pop(), file.contents]))
}
let spaFiles
try {
  spaFiles = await bundleSpa()
} catch (error) {
  console.error(`demo SPA: the bundle failed (${error.message.split('\n')[0]})`)
  process.exit(1)
}
const spaIndex = await readFile(join(root, 'demo/spa/index.html'), 'utf8')
// The SPA has no inline script: neither hash.
const SPA_CSP = CSP.replace(/ 'sha256-[^']+'/g, '')

const spa = createServer((req, res) => {
  const request = readGet(req, res)
  if (!request) return
  const { url, path } = request
  if (path === '/api/sign-in') return signIn(res, url.searchParams)
  const file = spaFiles.get(path)
  if (file) return send(res, 200, TYPES[extname(path)], file)
  const image = /^\/img\/([\w-]+)\.svg$/.exec(path)
  if (image) {
    const svg = shop.image(image[1])
    return svg ? send(res, 200, TYPES['.svg'], svg) : send(res, 404, 'text/plain', 'not found')
  }
  if (extname(path)) return send(res, 404, 'text/plain', 'not found')
  // Every route is the app, which renders the page itself; a path it has no page for is a 404 all the same.
  const known = path === '/' || path === '/preferences' || /^\/(c|p)\/[\w-]+$/.test(path)
  send(res, known ? 200 : 404, TYPES['.html'], spaIndex.replaceAll('{{API}}', api), { 'content-security-policy': SPA_CSP })
})
try {
  await new Promise((done, fail) => {
    spa.once('error', fail)
    spa.listen(SPA_PORT, '127.0.0.1', done)
  })
} catch (error) {
  console.error(`demo SPA: cannot listen on port ${SPA_PORT} (${error.message}); set SPA_PORT to another port.`)
  process.exit(1)
}
const spaPort = spa.address().port
const spaUrl = `http://localhost:${spaPort}`

// The agent console on an origin of its own: its proxy adds the admin key, and no shop page can reach it.
const agent = createAgentServer({ api: `http://127.0.0.1:${API_PORT}`, adminKey: ADMIN_KEY, site: SITE, shop: shopUrl, catalog: shop.catalog, image: shop.image })
try {
  await new Promise((done, fail) => {
    agent.once('error', fail)
    agent.listen(Number(process.env.AGENT_PORT ?? (process.env.PORT ? 0 : 8082)), '127.0.0.1', done)
  })
} catch (error) {
  console.error(`demo agent console: cannot listen (${error.message}); set AGENT_PORT to another port.`)
  process.exit(1)
}
const agentUrl = `http://localhost:${agent.address().port}`

const server = spawn(process.execPath, [join(root, 'server/bin/attune-server.mjs')], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PORT: String(API_PORT),
    HOST: '127.0.0.1',
    // A fixed secret, so the demo's visitor tokens survive a restart.
    ATTUNE_SECRET: process.env.ATTUNE_SECRET ?? 'attune-demo-secret-not-for-production-0000',
    ATTUNE_ADMIN_KEY: ADMIN_KEY,
    ATTUNE_DATA_DIR: process.env.ATTUNE_DATA_DIR ?? join(root, '.attune-data'),
    ATTUNE_SITES: JSON.stringify({
      [SITE]: { origins: [shopUrl, `http://127.0.0.1:${SHOP_PORT}`, spaUrl, `http://127.0.0.1:${spaPort}`], identifySecret: IDENTIFY_SECRET },
    }),
  },
})
let stopping = false
let serving = false
// Whatever ends this process ends the server too.
process.on('exit', () => server.kill('SIGTERM'))
server.on('exit', (code) => {
  if (stopping) process.exit(0)
  if (!serving) {
    console.error(`attune-server exited (${code}); stopping the demo.`)
    process.exit(code ?? 1)
  }
  // Once the shop is up it stays up: its pages say the service is unreachable and keep working.
  console.error(`attune-server exited (${code}); the shop keeps running without it. Ctrl-C to stop.`)
})
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopping = true
    pages.close()
    spa.close()
    agent.close()
    if (server.exitCode !== null || server.signalCode !== null) process.exit(0)
    server.kill('SIGTERM')
  })
}

/** Waits for the server's /healthz (PGlite opens and migrates first). */
const healthy = async () => {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${API_PORT}/healthz`)).ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`attune-server did not answer on ${api}/healthz within 60 s`)
}

/**
 * Puts demo/shop/site-config.json into the server through the admin API, on every start, so the
 * shop always runs the config in the repository. The server checks it with the SDK's own
 * checkConfig and answers 400 with the reason when the browser would refuse it.
 */
const seedConfig = async () => {
  const config = JSON.parse(await readFile(join(root, 'demo/shop/site-config.json'), 'utf8'))
  const response = await fetch(`http://127.0.0.1:${API_PORT}/v1/admin/sites/${SITE}/config`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ config }),
  })
  if (!response.ok) throw new Error(`the server refused demo/shop/site-config.json: ${response.status} ${await response.text()}`)
}

const pages = createServer(async (req, res) => {
  const request = readGet(req, res, shopUrl)
  if (!request) return
  const { url, path } = request
  const html = (body, status = 200) => send(res, status, TYPES['.html'], body, { 'content-security-policy': CSP })

  const mount = MOUNTS.find(([prefix]) => path.startsWith(prefix))
  if (mount) {
    const [prefix, dir] = mount
    const file = normalize(join(dir, path.slice(prefix.length)))
    if (!file.startsWith(dir + sep)) return send(res, 403, 'text/plain', 'forbidden')
    try {
      return send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file))
    } catch {
      return send(res, 404, 'text/plain', 'not found')
    }
  }
  if (path === '/data/catalog.json') return send(res, 200, TYPES['.json'], JSON.stringify(shop.catalog))
  const image = /^\/img\/([\w-]+)\.svg$/.exec(path)
  if (image) {
    const svg = shop.image(image[1])
    return svg ? send(res, 200, TYPES['.svg'], svg) : send(res, 404, 'text/plain', 'not found')
  }
  if (path === '/api/sign-in') return signIn(res, url.searchParams)
  const body = shop.page(path, { api, origin: shopUrl })
  return body ? html(body) : html(shop.notFound({ api }), 404)
})

try {
  await healthy()
  await seedConfig()
} catch (error) {
  console.error(`demo: ${error.message}`)
  process.exit(1)
}
pages.on('error', (error) => {
  console.error(`demo shop: cannot listen on ${shopUrl} (${error.message}); set PORT to another port.`)
  process.exit(1)
})
pages.listen(SHOP_PORT, '127.0.0.1', () => {
  serving = true
  console.log(`attune demo shop: ${shopUrl}/`)
  console.log(`attune demo SPA:  ${spaUrl}/  (React, attune/react; demo/spa)`)
  console.log(`attune server:    ${api}/healthz (site "${SITE}", config from demo/shop/site-config.json)`)
  console.log(`attune agent console: ${agentUrl}/  (customer service: a signed-in shopper's recent research; demo/agent)`)
  console.log(`  try: ${shopUrl}/c/running.html?utm_source=newsletter  (an audience banner)`)
  console.log(`       ${shopUrl}/?attune_force=home-hero:climbing  (QA: force a variant)`)
  console.log(`  admin API: Authorization: Bearer ${ADMIN_KEY}  (demo key, never for production)`)
  console.log('Ctrl-C to stop.')
})
