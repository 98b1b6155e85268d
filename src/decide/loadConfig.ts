import type { Report } from '../lib/errors'
import type { KeyValue } from '../storage/createKeyValue'
import { checkConfig } from './checkConfig'
import type { SiteConfig } from './model'

/** The cached copy of a site config, kept in the instance's IndexedDB store. Persisted names: never minified. */
interface Cached {
  etag: string | null
  config: SiteConfig
}

/** What {@link loadConfig} needs. */
export interface ConfigSource {
  endpoint: string
  site: string
  fetch: typeof fetch
  /** Where the last config is kept between pages; none fetches on every page. */
  kv: KeyValue | undefined
  report: Report
}

/**
 * `config` when `checkConfig` accepts it; else undefined, and why is reported (code `config`).
 * Every config passes here before anything reads it (the page's templates are merged into it,
 * see dom/templates.ts), whether it came from the server, the kept copy or the page's code.
 */
export const usable = (config: unknown, report: Report): SiteConfig | undefined => {
  const why = config === undefined ? config : checkConfig(config)
  if (typeof why != 'string') return why
  report('config', `Ignored a malformed site config (${why}).`)
  return undefined
}

/**
 * The site config for this page, stale-while-revalidate: the copy kept from an earlier page when
 * there is one, so decisions wait for no network, while the server is asked in the background
 * (`If-None-Match`) for the next page's; the first page waits for the server. A config that fails
 * `checkConfig` is never used nor kept: an unreadable copy is asked for afresh, and a refused
 * answer leaves the kept copy in place. Resolves with undefined when there is no config to be
 * had; never rejects. Call only with `personalization` consent: the copy is kept in attune's
 * database, which withdrawal deletes.
 */
export const loadConfig = ({ endpoint, site, fetch, kv, report }: ConfigSource): Promise<SiteConfig | undefined> => {
  // A kept copy that fails the check goes with its ETag, so the server sends the config afresh.
  const cached = kv?.get<Cached>('config').then((old) => (usable(old?.config, report) ? old : undefined), () => undefined) ?? Promise.resolve(undefined)
  const fresh = cached.then(async (old) => {
    try {
      const response = await fetch(`${endpoint}/v1/sites/${encodeURIComponent(site)}/config`, {
        credentials: 'omit',
        headers: old?.etag ? { 'If-None-Match': old.etag } : {},
      })
      if (response.status == 304) return old?.config
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      // A refused answer is not kept: the kept copy, if any, stays in use.
      const config = usable(await response.json(), report)
      if (config) await kv?.update<Cached>('config', () => ({ etag: response.headers.get('ETag'), config })).catch(() => {})
      return config ?? old?.config
    } catch (error) {
      report('network', 'Could not load the site config; slots keep their default content unless a kept copy exists.', error)
      return old?.config
    }
  })
  return cached.then((old) => old?.config ?? fresh)
}
