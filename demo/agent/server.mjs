// The demo's agent console (demo/agent): a customer-service page where an agent types a signed-in
// shopper's user id and sees their recent web research on the shop. The page never holds the admin
// key: it calls this server's `/api/users/:userId`, which adds the key and asks the attune server's
// call-center route (`GET /v1/admin/sites/:site/users/:userId`). A real console puts its staff
// sign-in in front of this; the demo has none, so it listens on localhost only.
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { readGet, send as sendAny } from '../http.mjs'

const FILES = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/agent.js': ['agent.js', 'text/javascript; charset=utf-8'],
  '/agent.css': ['agent.css', 'text/css; charset=utf-8'],
}

// As strict as the shop's: scripts and styles from this origin only, nothing inline, no framing.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** The console's answers leak no referrer (its URLs name the shopper looked up). */
const send = (res, status, type, body, headers = {}) => sendAny(res, status, type, body, { 'referrer-policy': 'no-referrer', ...headers })
const json = (res, status, body) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body))

/**
 * The agent console's HTTP server (not listening yet): its page, its catalogue and product
 * pictures (borrowed from the shop), and the proxy to the admin API. `api` is the attune server
 * as this process reaches it, `shop` the shop's URL for links, `image(name)` the shop's pictures.
 */
export const createAgentServer = ({ api, adminKey, site, shop, catalog, image }) =>
  createServer(async (req, res) => {
    const request = readGet(req, res)
    if (!request) return
    const { path } = request
    const file = FILES[path]
    if (file) {
      const body = await readFile(join(import.meta.dirname, file[0]))
      return send(res, 200, file[1], body, file[0].endsWith('.html') ? { 'content-security-policy': CSP } : {})
    }
    if (path === '/catalog.json') return json(res, 200, { shop, products: catalog.products.map(({ id, slug, name }) => ({ id, slug, name })) })
    const picture = /^\/img\/([\w-]+)\.svg$/.exec(path)
    if (picture) {
      const svg = image(picture[1])
      return svg ? send(res, 200, 'image/svg+xml', svg) : send(res, 404, 'text/plain', 'not found')
    }
    const user = /^\/api\/users\/(.+)$/.exec(path)
    if (user) {
      // Only this page may ask: another site's page cannot send the custom header without a CORS
      // preflight, which this server never grants, and browsers mark cross-site fetches.
      const fetchSite = req.headers['sec-fetch-site']
      if (fetchSite && fetchSite !== 'same-origin') return json(res, 403, { error: 'forbidden', reason: 'cross_site' })
      const actor = req.headers['x-attune-actor']
      if (typeof actor !== 'string' || !actor.trim()) return json(res, 400, { error: 'bad_request', reason: 'actor_required', message: 'say who you are: X-Attune-Actor' })
      const headers = { authorization: `Bearer ${adminKey}`, 'x-attune-actor': actor }
      if (typeof req.headers['x-attune-reason'] === 'string') headers['x-attune-reason'] = req.headers['x-attune-reason']
      try {
        // Encoded again whole, "/" and ".." included, so it can only ever name a user (the attune
        // server validates it, and the headers); the page reaches no other admin route through here.
        const answer = await fetch(`${api}/v1/admin/sites/${site}/users/${encodeURIComponent(user[1])}?limit=100`, { headers })
        return send(res, answer.status, 'application/json; charset=utf-8', await answer.text())
      } catch {
        return json(res, 502, { error: 'unavailable', reason: 'attune_server_down', message: 'the attune server does not answer' })
      }
    }
    return send(res, 404, 'text/plain', 'not found')
  })
