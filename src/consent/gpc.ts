import { gpcOn, PURPOSES, type Consent, type ConsentAdapter, type Purpose } from '../consent'

/** Options of the {@link gpc} adapter. */
export interface GpcOptions {
  /**
   * Purposes to deny while the browser sends Global Privacy Control. Default:
   * `['measurement', 'sync']`, what `createAttune` already does unless `respectGpc: false`;
   * list `'personalization'` too where the site treats GPC as an opt-out of all three.
   */
  purposes?: readonly Purpose[]
}

/**
 * Honours Global Privacy Control (`navigator.globalPrivacyControl`) for the purposes you name:
 * denies them at once, and keeps them denied whoever grants later — a banner adapter started
 * beside this one, or the site — by granting only the rest. The signal is fixed for the life of
 * a page, so there is nothing to listen to; `stop` lets grants through again.
 * @see https://privacycg.github.io/gpc-spec/
 */
export const gpc: ConsentAdapter<GpcOptions> = (attune, options) => {
  if (!gpcOn()) return () => {}
  const kept = options?.purposes ?? ['measurement', 'sync']
  const consent = attune.consent as Pick<Consent, 'grant' | 'deny'>
  const grant = consent.grant
  const masked: Consent['grant'] = (purposes = PURPOSES) => {
    const list = typeof purposes == 'string' ? [purposes] : purposes
    // Anything else is the gate's to refuse, with its own message.
    if (!Array.isArray(list)) return grant(purposes)
    const rest = list.filter((p) => !kept.includes(p))
    if (rest.length) grant(rest)
  }
  consent.deny(kept)
  consent.grant = masked
  return () => {
    if (consent.grant === masked) consent.grant = grant
  }
}
