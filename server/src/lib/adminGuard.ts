import type { MiddlewareHandler } from 'hono'
import type { AppEnv, Deps } from '../types'
import { fail } from './fail'
import { safeEqual } from './safeEqual'
import { bearer } from './visitorAuth'

/**
 * The admin key check of every `/v1/admin/*` route (`Authorization: Bearer <ATTUNE_ADMIN_KEY>`),
 * mounted once in front of them all, so no admin route depends on the order routes are mounted in.
 * Without a configured key every admin request is refused.
 */
export const adminGuard =
  (deps: Deps): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const key = bearer(c.req.header('authorization'))
    if (!deps.adminKey) return fail(c, deps.metrics, 401, 'unauthorized', 'admin_disabled')
    if (key === undefined || !safeEqual(key, deps.adminKey)) return fail(c, deps.metrics, 401, 'unauthorized', 'bad_admin_key')
    return next()
  }
