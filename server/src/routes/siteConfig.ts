import * as v from 'valibot'
import { createHash } from 'node:crypto'
import { Hono } from 'hono'
import type { AppEnv, Deps } from '../types'
import { gate } from '../lib/gate'
import { parse, SiteId } from './fields'

/** The path parameters of `GET /v1/sites/:site/config`. */
export const SiteConfigParams = v.strictObject({ site: SiteId })

/** A strong ETag of the config's JSON text. */
export const etagOf = (text: string): string => `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`

/** Does `If-None-Match` (a list, possibly weak, possibly `*`) name this ETag? */
const matches = (header: string | undefined, etag: string): boolean =>
  header !== undefined && header.split(',').some((tag) => {
    const t = tag.trim()
    return t === '*' || t === etag || t === `W/${etag}`
  })

/**
 * `GET /v1/sites/:site/config`: the site's public config (audiences, experiments, variants,
 * goals), with `bandit.stats` of bandit experiments computed from the rollups. Cacheable by
 * browsers and CDNs for a minute, revalidated with its ETag.
 */
export const siteConfigRoute = (deps: Deps) =>
  new Hono<AppEnv>().get('/v1/sites/:site/config', async (c) => {
    const parsed = parse(c, deps, SiteConfigParams, c.req.param())
    if ('response' in parsed) return parsed.response
    const site = await gate(c, deps, parsed.value.site)
    if (site instanceof Response) return site
    // Bandit experiments carry their stats from the rollups (refreshed at most once a minute);
    // the ETag is of the body as published.
    const text = JSON.stringify(await deps.bandits.publish(site.site, site.config))
    const etag = etagOf(text)
    c.header('ETag', etag)
    c.header('Cache-Control', 'public, max-age=60, stale-while-revalidate=600')
    if (matches(c.req.header('if-none-match'), etag)) return c.body(null, 304)
    return c.body(text, 200, { 'Content-Type': 'application/json; charset=UTF-8' })
  })
