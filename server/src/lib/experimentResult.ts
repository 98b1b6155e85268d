import type { Experiment, SiteConfig } from '../sdk'
import type { ArmGoalRow, ArmRow } from '../db/insights'
import type { Comparison } from '../insights/stats'
import type { SrmResult } from '../insights/srm'
import { compareArms, rateOf } from '../insights/stats'
import { srmCheck } from '../insights/srm'

/** The variant id exposures of a holdout (experiment set, variant null) count under. */
export const HOLDOUT = 'default'

/** Exposed visitors every variant needs before results are called conclusive-enough to read. */
export const ENOUGH_EXPOSURES = 100

/** One variant's result on one goal. */
export type GoalVariant = { variant: string; exposures: number; conversions: number } & Comparison

/** `GET /v1/admin/sites/:site/experiments/:key`. */
export interface ExperimentResult {
  key: string
  slot: string | null
  control: string | null
  configured: boolean
  bandit: boolean
  variants: { variant: string; exposures: number }[]
  srm: SrmResult | null
  goals: { goal: string; variants: GoalVariant[] }[]
  enoughData: boolean
}

/**
 * The share of exposed visitors each variant should get under the config: the experiment's
 * weights (or its variants' `weight`, default 1) scaled to 1 − holdout, and the holdout's share
 * as {@link HOLDOUT} when it has one.
 */
export const expectedShares = (config: SiteConfig, e: Experiment): { variant: string; share: number }[] => {
  const slotVariants = config.variants?.[e.slot] ?? []
  const weights = e.weights ?? e.variants.map((id) => slotVariants.find((v) => v.id === id)?.weight ?? 1)
  const total = weights.reduce((sum, w) => sum + w, 0)
  const holdout = Math.min(1, Math.max(0, e.holdout ?? 0))
  const shares = e.variants.map((variant, i) => ({ variant, share: total > 0 ? ((1 - holdout) * (weights[i] ?? 0)) / total : 0 }))
  return holdout > 0 ? [...shares, { variant: HOLDOUT, share: holdout }] : shares
}

/**
 * An experiment's results from its rolled-up counts. Variants: the configured ones in order
 * (control first), the holdout, then any seen in exposures but no longer configured. Goals: the
 * site's goals, then any other goal a member converted on. SRM compares the configured arms
 * with their expected shares; it is null for a bandit (it allocates unevenly on purpose), for an
 * experiment no longer configured, and without exposures. `enoughData`: every variant listed
 * has at least {@link ENOUGH_EXPOSURES} exposed visitors.
 */
export const experimentResult = (
  key: string,
  config: SiteConfig,
  arms: readonly ArmRow[],
  conversions: readonly Omit<ArmGoalRow, 'exposures'>[],
): ExperimentResult => {
  const e = config.experiments?.find((x) => x.key === key)
  const exposuresOf = (variant: string): number => arms.find((a) => a.experiment === key && a.variant === variant)?.exposures ?? 0
  const shares = e ? expectedShares(config, e) : []
  const names = [...shares.map((s) => s.variant)]
  for (const a of arms) if (a.experiment === key && !names.includes(a.variant)) names.push(a.variant)
  const variants = names.map((variant) => ({ variant, exposures: exposuresOf(variant) }))
  const exposed = variants.reduce((sum, v) => sum + v.exposures, 0)
  const srm = e && !e.bandit && exposed > 0 && shares.length > 1 ? srmCheck(shares.map((s) => exposuresOf(s.variant)), shares.map((s) => s.share)) : null
  const control = e?.variants[0] ?? null

  const goals = [...(config.goals ?? [])]
  for (const c of conversions) if (c.experiment === key && !goals.includes(c.goal)) goals.push(c.goal)
  const convertedOf = (variant: string, goal: string): number =>
    Math.min(exposuresOf(variant), conversions.find((c) => c.experiment === key && c.variant === variant && c.goal === goal)?.conversions ?? 0)

  return {
    key,
    slot: e?.slot ?? null,
    control,
    configured: Boolean(e),
    bandit: Boolean(e?.bandit),
    variants,
    srm,
    goals: goals.map((goal) => {
      const base = control === null ? undefined : { exposures: exposuresOf(control), conversions: convertedOf(control, goal) }
      return {
        goal,
        variants: variants.map(({ variant, exposures }) => {
          const arm = { exposures, conversions: convertedOf(variant, goal) }
          const compared: Comparison = base && variant !== control ? compareArms(base, arm) : { rate: rateOf(arm), uplift: null, chanceToBeatControl: null }
          return { variant, ...arm, ...compared }
        }),
      }
    }),
    enoughData: variants.length > 0 && variants.every((v) => v.exposures >= ENOUGH_EXPOSURES),
  }
}
