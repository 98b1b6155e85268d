import type { DecideContext, Decision, Reason, Variant } from './model'
import { bucket } from './hash'
import { checkConfig } from './checkConfig'
import { evalCondition } from './evalCondition'
import { own } from './factOf'
import { thompson } from './thompson'

type Why = Extract<Reason, { kind: 'default' }>['why']

/** Configs `checkConfig` accepted. A config arrives once and is read on every decision. */
const valid = /* @__PURE__ */ new WeakSet<object>()

const standard = (slot: string, why: Why): Decision => ({ slot, variant: undefined, reason: { kind: 'default', why } })

const run = (slot: string, { config, facts, visitor, force, random }: DecideContext, warn: (m: string) => void): Decision => {
  // Plain reads below where a config id meets a map from elsewhere: an inherited `constructor` or
  // `__proto__` is never an array, a number or one of the experiment's variant ids.
  const variants = config.variants?.[slot] as Variant[] | undefined
  if (!Array.isArray(variants) || !variants.length) return standard(slot, 'no-variants')
  const { experiments: assigned, affinities } = facts.profile ?? {}

  const forced = config.allowForce && own(force, slot)
  if (forced && variants.some((v) => v.id === forced)) return { slot, variant: forced as string, reason: { kind: 'forced' } }

  let why: Why = 'no-match'
  for (const e of config.experiments ?? []) {
    if (e.slot !== slot) continue
    const { key, variants: arms, traffic = 1, holdout = 0, weights, bandit } = e
    // The profile's assignment comes first: it follows the shopper to other devices (where the
    // visitor id differs) and outlives later changes to traffic and holdout.
    let variant = assigned?.[key]
    const sticky = arms.includes(variant as string)
    if (!sticky) {
      // The hashes are skipped when they cannot matter: bucket() is always below 1 and never below 0.
      if (traffic < 1 && bucket(key, visitor, ':traffic') >= traffic) {
        why = 'not-in-traffic'
        continue
      }
      if (holdout > 0 && bucket(key, visitor, ':holdout') < holdout) {
        return { slot, variant: undefined, reason: { kind: 'holdout', key }, experiment: key }
      }
      if (bandit) variant = thompson(bandit.stats, arms, random)
      else {
        const w = weights ?? arms.map((a) => variants.find((v) => v.id === a)?.weight ?? 1)
        let x = bucket(key, visitor) * w.reduce((sum, n) => sum + n, 0)
        // Zero weights never go below 0 first; rounding cannot leave x ≥ 0 after the last arm.
        variant = arms.find((_, i) => (x -= w[i] as number) < 0)
      }
    }
    const decision: Decision = { slot, variant, reason: { kind: 'experiment', key, sticky, bandit: !!bandit }, experiment: key }
    if (!sticky && variant) decision.assign = { key, variant }
    return decision
  }

  for (const v of variants) {
    const a = v.audience && config.audiences?.find((x) => x.id === v.audience)
    if (a && evalCondition(a.condition, facts, warn)) return { slot, variant: v.id, reason: { kind: 'audience', audience: a.id } }
  }

  let best: Decision | undefined
  let threshold = config.affinityThreshold ?? 1
  for (const v of variants) {
    let score = 0
    let top = -Infinity
    let tag = ''
    for (const t of v.tags ?? []) {
      const s = affinities?.[t]
      if (typeof s == 'number') {
        score += s
        if (s > top) {
          top = s
          tag = t
        }
      }
    }
    if (score > threshold) {
      threshold = score
      best = { slot, variant: v.id, reason: { kind: 'affinity', tag, score } }
    }
  }
  return best ?? standard(slot, why)
}

/**
 * Picks the variant of `slot` for this shopper; the first step that yields one wins (DESIGN.md,
 * "Decisions"): forced for QA → experiment (sticky assignment from the profile, else traffic,
 * holdout, and a new assignment by weight or Thompson sampling) → audience → affinity → default.
 * Pure: time and randomness come from `ctx`. Never throws: a config that `checkConfig` rejects,
 * or facts it cannot read, give default content with reason `invalid-config`, reported to `warn`.
 */
export const decide = (slot: string, ctx: DecideContext): Decision => {
  const warn = (message: string): void => {
    try {
      ctx.warn?.(message)
    } catch {
      // A throwing logger is the host page's bug; it must not cost the shopper their content.
    }
  }
  try {
    const config = ctx.config
    const why = valid.has(config) || checkConfig(config)
    if (typeof why == 'string') warn(why)
    else {
      if (why !== true) valid.add(config)
      return run(slot, ctx, warn)
    }
  } catch (e) {
    warn(`${slot}: ${String(e)}`)
  }
  return standard(slot, 'invalid-config')
}

/** {@link decide} for each slot, in order. */
export const decideAll = (slots: readonly string[], ctx: DecideContext): Decision[] => slots.map((slot) => decide(slot, ctx))
