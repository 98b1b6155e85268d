/** Where a visit came from, as sent with events. Field names are wire names: never minified. */
export interface Campaign {
  /** `utm_source` of the landing URL, e.g. `newsletter`. */
  utm_source?: string
  /** `utm_medium` of the landing URL, e.g. `email`. */
  utm_medium?: string
  /** `utm_campaign` of the landing URL. */
  utm_campaign?: string
  /** `utm_term` of the landing URL (paid search keyword). */
  utm_term?: string
  /** `utm_content` of the landing URL (which ad or link). */
  utm_content?: string
  /**
   * Which ad network's click id the landing URL carried (`gclid` first when it carried several).
   * Only the kind is kept: the value is a cross-site tracking identifier.
   */
  click_id_type?: 'gclid' | 'fbclid' | 'msclkid'
  /** Host name of the referring page, when it is another host. */
  referrer_host?: string
  /** Path of the landing URL, without query or fragment. */
  landing_path?: string
}

const KEYS = ['source', 'medium', 'campaign', 'term', 'content'] as const
const CLICK_IDS = ['gclid', 'fbclid', 'msclkid'] as const

const parse = (url: string): URL | undefined => {
  try {
    return new URL(url)
  } catch {
    return undefined
  }
}

/**
 * Reads the campaign of a visit from its landing URL and referrer (`location.href` and
 * `document.referrer`). Values are trimmed, cut to 200 characters, and left out when empty.
 * Only the referrer's host is kept, because referrer paths and queries can carry personal data
 * (search terms, e-mail links); a referrer on the landing URL's own host is not a source and is
 * dropped. Never throws: a malformed URL or referrer only yields fewer fields.
 */
export const campaignFrom = (url: string, referrer: string): Campaign => {
  const campaign: Campaign = {}
  const here = parse(url)
  const from = parse(referrer)?.hostname
  if (here) {
    for (const key of KEYS) {
      const value = here.searchParams.get(`utm_${key}`)?.trim().slice(0, 200)
      if (value) campaign[`utm_${key}`] = value
    }
    const click = CLICK_IDS.find((id) => here.searchParams.get(id))
    if (click) campaign.click_id_type = click
    campaign.landing_path = here.pathname.slice(0, 200)
  }
  // `about:blank` and `file:` referrers have an empty host name.
  if (from && from != here?.hostname) campaign.referrer_host = from
  return campaign
}
