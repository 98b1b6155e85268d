import type { Context } from 'hono'
import type { AppEnv } from '../types'
import { getConnInfo } from '@hono/node-server/conninfo'

/**
 * The client's IP: the first `X-Forwarded-For` hop when the proxy in front is trusted, else the
 * socket's peer. In-process requests (`app.request`, tests) have no socket and share one key.
 */
export const clientIp = (c: Context<AppEnv>, trustProxy: boolean): string => {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim()
    if (forwarded) return forwarded
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'in-process'
  }
}
