// `npm run demo`: the reference server on embedded PGlite, and the demo shop using it through
// the script tag, both on localhost; prints their URLs. Ctrl-C stops both.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { extname, join, normalize, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const SHOP_PORT = Number(process.env.PORT ?? 8080)
const API_PORT = Number(process.env.API_PORT ?? 8787)
const shop = `http://localhost:${SHOP_PORT}`
const api = `http://localhost:${API_PORT}`
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.json': 'application/json', '.svg': 'image/svg+xml' }
// URL prefix → folder it serves from.
const MOUNTS = [['/dist/', 'dist'], ['/', 'demo/static']]

const server = spawn(process.execPath, [join(root, 'server/bin/attune-server.mjs')], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PORT: String(API_PORT),
    // A fixed secret, so the demo's visitor tokens survive a restart. Never use it in production.
    ATTUNE_SECRET: process.env.ATTUNE_SECRET ?? 'attune-demo-secret-not-for-production-0000',
    ATTUNE_DATA_DIR: process.env.ATTUNE_DATA_DIR ?? join(root, '.attune-data'),
    ATTUNE_SITES: JSON.stringify({ 'demo-shop': { origins: [shop, `http://127.0.0.1:${SHOP_PORT}`] } }),
  },
})
// Whatever ends this process ends the server too.
process.on('exit', () => server.kill('SIGTERM'))
server.on('exit', (code) => {
  console.error(`attune-server exited (${code}); stopping the demo.`)
  process.exit(code ?? 1)
})

const pages = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)
  const [prefix, dir] = MOUNTS.find(([p]) => path.startsWith(p))
  const file = normalize(join(root, dir, path.slice(prefix.length) || 'index.html'))
  if (!file.startsWith(join(root, dir))) return void res.writeHead(403).end()
  try {
    let body = await readFile(file)
    // The page names the API server it talks to.
    if (extname(file) === '.html') body = Buffer.from(body.toString().replaceAll('{{API}}', api))
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body)
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
  }
})

pages.on('error', (error) => {
  console.error(`demo shop: cannot listen on ${shop} (${error.message}); set PORT to another port.`)
  server.kill('SIGTERM')
})
pages.listen(SHOP_PORT, '127.0.0.1', () => {
  console.log(`attune demo shop: ${shop}/`)
  console.log(`attune server:    ${api}/healthz`)
  console.log('Ctrl-C to stop.')
})
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    pages.close()
    server.kill('SIGTERM')
  })
}
