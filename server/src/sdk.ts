/**
 * The SDK's pure functions and types, imported rather than rewritten (STYLE.md §14): the server
 * merges and validates profiles exactly as the browser does.
 */
export { checkConfig } from '../../src/decide/checkConfig'
export { merge } from '../../src/profile/merge'
export { migrate } from '../../src/profile/migrate'
export { FORBIDDEN_KEYS } from '../../src/lib/toJson'
export type { DeviceEntry, Profile } from '../../src/profile/model'
export type { Experiment, SiteConfig } from '../../src/decide/model'
