/**
 * The decision engine: pure functions from site config and facts to a variant per slot, with the
 * reason kept for `explain`. No DOM, storage, network, clock or `Math.random`: callers pass those in.
 */
export type {
  AllCondition,
  AnyCondition,
  ArmStats,
  Audience,
  Condition,
  DecideContext,
  Decision,
  Experiment,
  FactCondition,
  Facts,
  NotCondition,
  Op,
  Reason,
  SiteConfig,
  Variant,
} from './model'
export { decide, decideAll } from './decide'
export { explain } from './explain'
export { checkConfig } from './checkConfig'
export { evalCondition } from './evalCondition'
export { factOf } from './factOf'
export { bucket, hash } from './hash'
export { sampleBeta, thompson } from './thompson'
