import type { ConsentAdapter, ConsentState, Purpose } from '../consent'
import { internals } from '../internals'
import type { BannerConsent } from '../lib/applyBanner'
import type { Report } from '../lib/errors'

/** Options of the {@link tcf} adapter. */
export interface TcfOptions {
  /** The site's vendor id in the IAB Global Vendor List. Every purpose also needs consent for it. */
  vendorId: number
  /**
   * TCF purposes that `measurement` needs (purpose 1 is always required). Default `[1, 8]`
   * ("measure content performance"); add `9` where the site also runs market research.
   */
  measurementPurposes?: readonly number[]
  /**
   * Accept legitimate interest instead of consent for purposes 2, 7, 8, 9 and 10, where the
   * site declared it in the GVL. Default `false`: consent for every purpose. Purposes 1, 3–6
   * need consent whatever this says (TCF v2.2 policy), so vendor consent is always needed.
   */
  allowLegitimateInterest?: boolean
  /** What to do when the CMP says GDPR does not apply: grant all three (default) or deny them. */
  gdprAppliesFalse?: 'grant' | 'deny'
  /** How long to wait for the CMP to answer before reporting it missing. Default 3000 ms. */
  timeoutMs?: number
}

/** The part of the TCF v2.2 `TCData` this adapter reads. Anything else the CMP sends is ignored. */
interface TCData {
  tcString?: unknown
  listenerId?: unknown
  eventStatus?: unknown
  cmpStatus?: unknown
  gdprApplies?: unknown
  purpose?: Signals
  vendor?: Signals
  /** Purpose → vendor → 0 (not allowed), 1 (consent required) or 2 (legitimate interest required). */
  publisher?: { restrictions?: Record<number, Record<number, unknown> | undefined> }
}

/** Per purpose or per vendor id: consent given, legitimate interest not objected to. */
interface Signals {
  consents?: Record<number, unknown>
  legitimateInterests?: Record<number, unknown>
}

type TcfApi = (command: string, version: 2, callback: (data: unknown, success: boolean) => void, parameter?: unknown) => void

const ORDER: readonly Purpose[] = ['personalization', 'measurement', 'sync']
// TCF v2.2 policy: only these purposes may rest on legitimate interest.
const MAY_USE_LI = [2, 7, 8, 9, 10]

/** The latest TC string the {@link tcf} adapter saw for this instance; `attune/sync` sends it with its requests. */
export const tcString = (attune: object): string | undefined => internals.get(attune)?.proof.tcf

/**
 * Follows an IAB TCF v2.2 CMP through `__tcfapi('addEventListener', 2, …)`: on `tcloaded` and
 * `useractioncomplete` it grants what the TC data allows and denies (or, when all is lost after
 * a grant, withdraws) the rest; on `cmpuishown` (the banner asking) it only takes back what the
 * data no longer allows. personalization ← purposes 1, 5, 6; measurement ← 1 +
 * `measurementPurposes`; sync ← 1, 5; each also needs consent for `vendorId`, or, where
 * `allowLegitimateInterest` lets a purpose rest on it, legitimate interest for the purpose and
 * the vendor alike; publisher restrictions on `vendorId` come first. The call a CMP makes at
 * once while it is still loading is no answer. A CMP that errs, throws, answers nonsense or
 * stays silent for `timeoutMs` denies everything and is reported through `on('error')`; a late
 * answer is still followed.
 * @see https://github.com/InteractiveAdvertisingBureau/GDPR-Transparency-and-Consent-Framework/blob/master/TCFv2/IAB%20Tech%20Lab%20-%20CMP%20API%20v2.md
 */
export const tcf: ConsentAdapter<TcfOptions> = (attune, options) => {
  const inner = internals.get(attune)
  const report: Report = (...args) => inner?.report(...args)
  const { vendorId, measurementPurposes = [1, 8], allowLegitimateInterest, gdprAppliesFalse, timeoutMs = 3000 } =
    options ?? ({} as Partial<TcfOptions>)
  // A developer's mistake: said at once, like createAttune's options (STYLE.md §6).
  if (!Number.isInteger(vendorId) || !Array.isArray(measurementPurposes)) throw new TypeError('attune: tcf() needs { vendorId: <IAB vendor id> }.')
  if (typeof window === 'undefined') return () => {}
  const win = window as Window & { __tcfapi?: unknown }

  let live = true
  let listenerId: number | undefined
  let applied: ConsentState | undefined
  let poll: ReturnType<typeof setTimeout> | undefined

  const apply = (next: ConsentState): void => {
    const before = applied
    applied = next
    // The first answer sets every purpose (a remembered grant may be stale); later ones only changes.
    const lost = ORDER.filter((p) => !next[p] && (!before || before[p]))
    const gained = ORDER.filter((p) => next[p] && !before?.[p])
    // `lost` after a first answer means something was granted: losing all of it is a withdrawal.
    if (before && lost.length && !ORDER.some((p) => next[p])) attune.consent.withdraw()
    else if (lost.length) attune.consent.deny(lost)
    if (gained.length) attune.consent.grant(gained)
  }
  const all = (value: boolean): ConsentState => ({ personalization: value, measurement: value, sync: value })
  const fail = (message: string, cause?: unknown): void => {
    clearTimeout(timer)
    report('callback', `__tcfapi: ${message}; denied all.`, cause)
    apply(all(false))
  }
  const remove = (): void => {
    const id = listenerId
    if (id === undefined) return
    listenerId = undefined
    try {
      ;(win.__tcfapi as TcfApi)('removeEventListener', 2, () => {}, id)
    } catch (error) {
      report('callback', '__tcfapi: threw on removeEventListener.', error)
    }
  }

  /** What the TC data allows, by the rules of TCF v2.2: publisher restrictions first, then both signals of the legal basis. */
  const allowed = ({ gdprApplies, purpose, vendor, publisher }: TCData): Record<Purpose, boolean> => {
    if (gdprApplies === false) return all(gdprAppliesFalse !== 'deny')
    const id = vendorId as number
    const ok = (n: number): boolean => {
      const rule = publisher?.restrictions?.[n]?.[id]
      const consented = purpose?.consents?.[n] === true && vendor?.consents?.[id] === true
      const interest =
        allowLegitimateInterest === true && MAY_USE_LI.includes(n) && purpose?.legitimateInterests?.[n] === true && vendor?.legitimateInterests?.[id] === true
      return rule !== 0 && ((consented && rule !== 2) || (interest && rule !== 1))
    }
    // Purpose 1 (storing on the device) rests on consent alone, so vendor consent is always needed.
    const needs = (list: readonly number[]): boolean => [1, ...list].every(ok)
    return { personalization: needs([5, 6]), measurement: needs(measurementPurposes), sync: needs([5]) }
  }

  const onData = (data: unknown, success: boolean): void => {
    // Object() turns null and primitives into something whose fields are all undefined.
    const d = Object(data) as TCData
    if (typeof d.listenerId === 'number') listenerId = d.listenerId
    // A CMP may answer after stop(), before we knew the listener id: remove it now.
    if (!live) return remove()
    // Every listener is called at once on registration, while the CMP may still be loading: no answer yet.
    if (success && d.cmpStatus === 'loading') return
    clearTimeout(timer)
    if (d.cmpStatus === 'error') return fail('cmpStatus is "error"')
    const shown = d.eventStatus === 'cmpuishown'
    if (
      !success ||
      (!shown && d.eventStatus !== 'tcloaded' && d.eventStatus !== 'useractioncomplete') ||
      (d.gdprApplies !== false && !(d.purpose?.consents && d.vendor?.consents))
    ) {
      return fail('unusable TC data', data)
    }
    // Only what the server accepts as a TC string travels: one it refused would cost a batch of events.
    if (inner && typeof d.tcString === 'string' && /^[\w.-]{0,32768}$/.test(d.tcString)) inner.proof.tcf = d.tcString
    const next = allowed(d)
    // The banner is up: what its TC data no longer allows (an expired or new string allows nothing)
    // goes now; nothing is granted before the shopper's answer.
    const held = shown && ((attune.consent as BannerConsent).get?.() ?? applied ?? all(false))
    if (held) for (const p of ORDER) next[p] &&= held[p]
    apply(next)
  }

  const connect = (): void => {
    const api = win.__tcfapi
    // The CMP's stub may be defined after attune starts: look again until the timeout.
    if (typeof api !== 'function') {
      poll = setTimeout(connect, 100)
      return
    }
    try {
      ;(api as TcfApi)('addEventListener', 2, onData)
    } catch (error) {
      fail('threw on addEventListener', error)
    }
  }
  const timer = setTimeout(() => {
    clearTimeout(poll)
    // Fail closed: a consent we cannot confirm is no consent. A CMP that answers later still counts.
    fail(`no answer in ${timeoutMs} ms`)
  }, timeoutMs)
  connect()

  return () => {
    live = false
    clearTimeout(timer)
    clearTimeout(poll)
    if (inner) delete inner.proof.tcf
    remove()
  }
}
