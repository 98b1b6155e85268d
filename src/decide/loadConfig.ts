import type { Report } from '../lib/errors'
import type { KeyValue } from '../storage/createKeyValue'
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
 * The site config for this page, stale-while-revalidate: the copy kept from an earlier page when
 * there is one, so decisions wait for no network, while the server is asked in the background
 * (`If-None-Match`) for the next page's; the first page waits for the server. Resolves with
 * undefined when there is no config to be had; never rejects. Call only with `personalization`
 * consent: the copy is kept in attune's database, which withdrawal deletes.
 */
export const loadConfig = ({ endpoint, site, fetch, kv, report }: ConfigSource): Promise<SiteConfig | undefined> => {
  const cached = kv?.get<Cached>('config').catch(() => undefined) ?? Promise.resolve(undefined)
  const fresh = cached.then(async (old) => {
    try {
      const response = await fetch(`${endpoint}/v1/sites/${encodeURIComponent(site)}/config`, {
        credentials: 'omit',
        headers: old?.etag ? { 'If-None-Match': old.etag } : {},
      })
      if (response.status == 304) return old?.config
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      const config = (await response.json()) as SiteConfig
      const entry: Cached = { etag: response.headers.get('ETag'), config }
      await kv?.update('config', () => entry).catch(() => {})
      return config
    } catch (error) {
      report('network', 'Could not load the site config; slots keep their default content unless a kept copy exists.', error)
      return old?.config
    }
  })
  return cached.then((old) => old?.config ?? fresh)
}
