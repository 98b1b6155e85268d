/**
 * attune: consent-first, on-device, flicker-free one-to-one personalization.
 * The public surface, listed by hand.
 */
export { createAttune } from './createAttune'
export type { Attune, AttuneEvents, AttuneExport } from './createAttune'
export type { AttuneOptions } from './options'
export type { Consent, ConsentState, Purpose } from './consent'
export type { EventProps, TrackedEvent } from './track'
export { AttuneError } from './lib/errors'
export type { AttuneErrorCode } from './lib/errors'
