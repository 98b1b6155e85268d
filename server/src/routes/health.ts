import { Hono } from 'hono'
import type { AppEnv, Deps } from '../types'

/** `GET /healthz` (503 while draining, so load balancers stop sending) and `GET /metrics`. */
export const healthRoute = (deps: Deps, draining: () => boolean) =>
  new Hono<AppEnv>()
    .get('/healthz', (c) => (draining() ? c.json({ ok: false, draining: true }, 503) : c.json({ ok: true })))
    .get('/metrics', (c) => c.body(deps.metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }))
