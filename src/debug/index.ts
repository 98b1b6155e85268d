/**
 * `attune/debug`: the QA overlay for site staff (not in the default script-tag build). It shows,
 * on the page itself, every slot's candidate variants, the chosen one, why, and the facts the
 * decision read — but only once the attune server has accepted a signed, expiring preview token
 * minted with its admin API. Importing this module does nothing.
 */
export { debug, previewTokenIn } from './debug'
export type { DebugOptions } from './debug'
export { traceSlot } from './traceSlot'
export type { Candidate, FactUsed, SlotTrace, TraceInput } from './traceSlot'
export type { Preview } from './verifyPreview'
