/**
 * The decision engine's data: site config as the server serves it, the facts conditions read, and
 * the decisions they produce. Every field name is a wire name, so none is ever minified or renamed.
 */
import type { ContentNode } from '../dom/nodes'
import type { Edit } from '../dom/swap'
import type { JsonValue, ProfileView } from '../profile/model'

/** Comparison operators of a fact condition. */
export type Op = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'nin' | 'contains' | 'exists'

/** True when every condition holds; true when empty. */
export interface AllCondition {
  /** The conditions that must all hold. */
  all: Condition[]
}

/** True when at least one condition holds; false when empty. */
export interface AnyCondition {
  /** The conditions of which one must hold. */
  any: Condition[]
}

/** True when the condition does not hold. */
export interface NotCondition {
  /** The condition negated. */
  not: Condition
}

/** Compares one fact with a value. */
export interface FactCondition {
  /**
   * Dotted path into {@link Facts}: `profile.<field>.<key>` or `<root>.<key>`. Only those first
   * dots split, so keys may hold `:` and `.`: `profile.affinities.category:running`, `page.path`.
   */
  fact: string
  /**
   * `eq`/`ne`: strict equality. `gt`/`gte`/`lt`/`lte`: both numbers or both strings, else false.
   * `in`/`nin`: the fact (or, for an array fact, any of its items) is one of `value` (an array).
   * `contains`: a string fact holds the `value` string, or an array fact holds `value` (as an item
   * or as an item's `id`, so `profile.viewed contains sku-1` works). `exists`: the fact is
   * defined, or with `value: false` undefined.
   */
  op: Op
  /** What the fact is compared with; a primitive, or an array of primitives for `in`/`nin`. */
  value?: JsonValue
}

/** A rule over facts, as JSON. */
export type Condition = AllCondition | AnyCondition | NotCondition | FactCondition

/** A named group of shoppers. */
export interface Audience {
  /** Unique id, `[\w-]{1,64}`; humanised by `explain` ("returning-runners" → "returning runners"). */
  id: string
  /** Who belongs. */
  condition: Condition
}

/** One content option for a slot, from a page `<template>` or the site config. */
export interface Variant {
  /** Unique within its slot, `[\w-]{1,64}`. */
  id: string
  /** Affinity keys this content suits, `dimension:value` (`category:running`). */
  tags?: string[]
  /** Audience id: the variant is shown to that audience (decision step 3). */
  audience?: string
  /** Share in experiments without their own `weights`; default 1. */
  weight?: number
  /**
   * What the variant shows, as declarative nodes replacing the slot's children. A page
   * `<template data-attune-variant>` with the same id supplies it otherwise.
   */
  content?: ContentNode[]
  /** Changes to the text or allow-listed attributes of elements already in the slot. */
  edits?: Edit[]
}

/** Published results of one bandit arm. */
export interface ArmStats {
  /** Conversions. */
  successes: number
  /** Exposures; at least `successes`. */
  trials: number
}

/** An A/B/n test on one slot. */
export interface Experiment {
  /** Unique id, `[\w-]{1,64}`; seeds the hashes and keys the sticky assignment. */
  key: string
  /** The slot tested. */
  slot: string
  /** Variant ids of that slot; the first is the control. */
  variants: string[]
  /** Share of visitors in the experiment, 0..1; default 1. */
  traffic?: number
  /** Share of those kept on default content as a holdout, 0..1; default 0. */
  holdout?: number
  /** Relative shares, one per variant; default each variant's `weight`. */
  weights?: number[]
  /** When present, new visitors are assigned by Thompson sampling over these stats. */
  bandit?: {
    /** Variant id → its results so far; missing arms count as no data. */
    stats: Record<string, ArmStats>
  }
}

/** What the server publishes for a site (`GET /v1/sites/:site/config`). */
export interface SiteConfig {
  /** Audiences referred to by variants. */
  audiences?: Audience[]
  /** Experiments, at most one deciding per slot: the first whose traffic takes the visitor. */
  experiments?: Experiment[]
  /** Slot → its variants, in order of preference for audience and affinity ties. */
  variants?: Record<string, Variant[]>
  /** A variant's summed tag affinities must exceed this to be chosen by affinity; default 1. */
  affinityThreshold?: number
  /** Honour `?attune_force=slot:variant` (QA); default false. */
  allowForce?: boolean
  /** Event names that count as conversions. */
  goals?: string[]
}

/**
 * What conditions can read. Roots other than `profile` are flat maps from the page: `page`
 * (`path`, `url`…), `utm` (`utm_source`…), `device` (`mobile`…), `time` (`hour`, `weekday`…).
 */
export interface Facts {
  /** The derived profile. */
  profile: ProfileView
  /** The current page. */
  page?: object
  /** Campaign of the visit. */
  utm?: object
  /** The device and browser. */
  device?: object
  /** Local time. */
  time?: object
}

/** Why a slot shows what it shows. */
export type Reason =
  | { kind: 'forced' }
  | { kind: 'experiment'; key: string; sticky: boolean; bandit?: boolean }
  | { kind: 'holdout'; key: string }
  | { kind: 'audience'; audience: string }
  | { kind: 'affinity'; tag: string; score: number }
  | { kind: 'default'; why: 'no-variants' | 'no-match' | 'not-in-traffic' | 'invalid-config' | 'no-consent' | 'not-ready' | 'failed' }

/** The outcome for one slot. */
export interface Decision {
  /** The slot decided. */
  slot: string
  /** The variant id to show; undefined keeps the page's default content. */
  variant: string | undefined
  /**
   * Why. For experiments, `sticky` says the assignment came from the profile and `bandit` that
   * the experiment allocates by Thompson sampling.
   */
  reason: Reason
  /** The experiment key, when an experiment decided (holdouts included), for exposures. */
  experiment?: string
  /**
   * A new assignment the caller must store in the profile before deciding this slot again:
   * bandit assignments are random, so only the stored one keeps the visitor where they were.
   */
  assign?: { key: string; variant: string }
}

/** Everything `decide` reads. Time and randomness come from here, never from globals. */
export interface DecideContext {
  /** The site config; checked once per object by `checkConfig`, so do not mutate it later. */
  config: SiteConfig
  /** What conditions read. */
  facts: Facts
  /** The visitor id that experiment buckets hash. */
  visitor: string
  /** Slot → variant id from `?attune_force`; honoured only with `allowForce` and an existing variant. */
  force?: Record<string, string>
  /** Uniform in [0, 1); used only by Thompson sampling. */
  random: () => number
  /** Receives config and condition problems (debug output). */
  warn?: (message: string) => void
}

/** A decision with the sentence that explains it to the shopper (`explain(slot)`). */
export interface Explanation extends Decision {
  /** One short sentence, e.g. "Shown because you viewed running products recently". */
  text: string
}
