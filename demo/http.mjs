// What the demo's small page servers (the shop, the SPA, the agent console) share.

/** Answers `status` with `body`, never cached, never sniffed. */
export const send = (res, status, type, body, headers = {}) => {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers })
  res.end(body)
}

/**
 * The URL and decoded path of a GET or HEAD request; anything else is answered here (405, or 400
 * for a path that does not decode) and gets `undefined`.
 */
export const readGet = (req, res, base = 'http://localhost') => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return void send(res, 405, 'text/plain', 'method not allowed', { allow: 'GET, HEAD' })
  try {
    const url = new URL(req.url ?? '/', base)
    return { url, path: decodeURIComponent(url.pathname) }
  } catch {
    return void send(res, 400, 'text/plain', 'bad request')
  }
}
