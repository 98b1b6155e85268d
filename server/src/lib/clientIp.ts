import type { Context } from 'hono'
import type { AppEnv } from '../types'
import { getConnInfo } from '@hono/node-server/conninfo'

/**
 * The client's IP: the last `X-Forwarded-For` hop when the proxy in front is trusted, else the
 * socket's peer. The last, because a proxy appends the address it saw to whatever the client
 * sent: every hop before it is the client's to choose (and would let it pick its own rate-limit
 * bucket). In-process requests (`app.request`, tests) have no socket and share one key.
 */
export const clientIp = (c: Context<AppEnv>, trustProxy: boolean): string => {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',').pop()?.trim()
    if (forwarded) return forwarded
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown'
  } catch {
    return 'in-process'
  }
}
