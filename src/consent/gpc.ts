import { gpcOn, type ConsentAdapter, type Purpose } from '../consent'

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
 * Honours Global Privacy Control (`navigator.globalPrivacyControl`) for the purposes you name.
 * The signal is fixed for the life of a page, so there is nothing to listen to: `stop` is a no-op.
 * @see https://privacycg.github.io/gpc-spec/
 */
export const gpc: ConsentAdapter<GpcOptions> = (attune, options) => {
  if (gpcOn()) attune.consent.deny(options?.purposes ?? ['measurement', 'sync'])
  return () => {}
}
