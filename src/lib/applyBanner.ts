import { PURPOSES, type Consent, type Purpose } from '../consent'

/** What a banner adapter may call: the consent API, `get` included when the instance has it. */
export type BannerConsent = Pick<Consent, 'grant' | 'deny' | 'withdraw'> & Partial<Pick<Consent, 'get'>>

/**
 * Applies a banner's answer: the purposes in `yes` granted, the others denied. When the banner
 * grants nothing while attune holds something — perhaps a choice remembered from an earlier
 * page (`had`, when the instance cannot say) — that is a withdrawal: local data wiped, the
 * server asked to erase. Returns whether anything is granted now, the next call's `had`.
 */
export const applyBanner = (consent: BannerConsent, yes: readonly Purpose[], had: boolean): boolean => {
  const no = PURPOSES.filter((p) => !yes.includes(p))
  const held = consent.get ? PURPOSES.some((p) => consent.get?.()[p]) : had
  if (!yes.length && held) consent.withdraw()
  else {
    if (no.length) consent.deny(no)
    if (yes.length) consent.grant([...yes])
  }
  return yes.length > 0
}

/** Whether `x` is a string (a category name's only requirement). */
export const isString = (x: unknown): x is string => typeof x == 'string'

/**
 * A banner adapter's option mapping each purpose to the banner's categories: the defaults with
 * the site's own lists over them, each checked. Throws, naming the option, when a list is not an
 * array of acceptable names (`rule` says what is acceptable, e.g. "be an array of group ids").
 */
export const purposeLists = <T extends string>(
  adapter: string,
  option: string,
  defaults: Record<Purpose, readonly T[]>,
  given: Partial<Record<Purpose, readonly T[]>> | undefined,
  ok: (name: unknown) => boolean,
  rule: string,
): Record<Purpose, readonly T[]> => {
  const lists = { ...defaults, ...given }
  for (const p of PURPOSES) {
    if (!Array.isArray(lists[p]) || !lists[p].every(ok)) throw new TypeError(`${adapter}(): ${option}.${p} must ${rule}.`)
  }
  return lists
}
