import { METHOD_NAME_ALL } from 'hono/router'
import { TrieRouter } from 'hono/router/trie-router'

/**
 * The methods the app answers on a path, for the `Allow` header of a 405 (RFC 9110 §15.5.6),
 * matched by a router of Hono's own so that a path means here what it means to the app. Call it
 * once every route is mounted. Middleware (`use`, method ALL) is not a route; HEAD goes with GET,
 * as Hono answers it.
 */
export const allowedMethods = (app: { routes: readonly { method: string; path: string }[] }): ((path: string) => string[]) => {
  // Every route under one method, with its own as the value: one match finds them all.
  const router = new TrieRouter<string>()
  for (const route of app.routes) if (route.method !== METHOD_NAME_ALL) router.add(METHOD_NAME_ALL, route.path, route.method)
  return (path) => {
    const methods = new Set(router.match(METHOD_NAME_ALL, path)[0].map(([method]) => method))
    if (methods.has('GET')) methods.add('HEAD')
    return [...methods]
  }
}
