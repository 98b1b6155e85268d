// `npm run demo`: serves the demo shop and the built SDK on localhost and prints the URL.
// (A static server until the reference server exists; it only ever listens on loopback.)
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize, resolve } from 'node:path'

const root = resolve(import.meta.dirname, '..')
const PORT = Number(process.env.PORT ?? 8080)
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.json': 'application/json', '.svg': 'image/svg+xml' }
// URL prefix → folder it serves from.
const MOUNTS = [['/dist/', 'dist'], ['/', 'demo/static']]

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)
  const [prefix, dir] = MOUNTS.find(([p]) => path.startsWith(p))
  const file = normalize(join(root, dir, path.slice(prefix.length) || 'index.html'))
  if (!file.startsWith(join(root, dir))) return void res.writeHead(403).end()
  try {
    const body = await readFile(file)
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body)
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
  }
})

server.listen(PORT, '127.0.0.1', () => {
  console.log(`attune demo shop: http://localhost:${PORT}/`)
  console.log('Ctrl-C to stop.')
})
