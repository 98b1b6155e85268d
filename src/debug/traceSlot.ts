import { bucket } from '../decide/hash'
import { MAX_DEPTH, OPS, evalCondition } from '../decide/evalCondition'
import { factOf, own } from '../decide/factOf'
import type { Condition, Decision, Facts, FactCondition, Op, SiteConfig, Variant } from '../decide/model'

/** One fact a decision read: where, what it held, and the test it met or failed. */
export interface FactUsed {
  /** A fact path (`profile.affinities.category:running`, `page.path`), or what else was read (`bucket(…)`). */
  fact: string
  /** What it held when the slot was decided; undefined when absent. */
  value: unknown
  /** The test applied to it, in words: `gte 2`, `< traffic 0.5`; absent when it was only read. */
  test?: string
  /** Whether the test held. */
  holds?: boolean
}

/** One variant of a slot as the decision saw it. */
export interface Candidate {
  /** The variant id. */
  id: string
  /** Its tags, each with the profile's decayed affinity (0 when the profile has none). */
  tags: { tag: string; score: number }[]
  /** The sum of those scores: what the affinity step compares. */
  score: number
  /** Its audience, and whether the shopper is in it. */
  audience?: { id: string; holds: boolean }
  /** Keys of the experiments of the slot that include it. */
  experiments: string[]
  /** It is what the slot shows. */
  chosen: boolean
}

/** Everything the QA overlay shows about one slot's decision, apart from the decision itself. */
export interface SlotTrace {
  /** Every variant of the slot, in config order. */
  candidates: Candidate[]
  /** The facts the deciding step read, with their tests. */
  facts: FactUsed[]
}

/** What {@link traceSlot} reads: the same inputs as `decide`. */
export interface TraceInput {
  config: SiteConfig
  facts: Facts
  /** The visitor id experiment buckets hash. */
  visitor: string
  /** Slot → variant id from `?attune_force`. */
  force?: Record<string, string>
}

/** Every fact test in `condition`, depth-first, as far as `decide` would ever look. */
const leaves = (condition: Condition, depth = 1, out: FactCondition[] = []): FactCondition[] => {
  const node = condition as Partial<{ all: Condition[]; any: Condition[]; not: Condition } & FactCondition>
  if (depth > MAX_DEPTH || !node || typeof node != 'object') return out
  for (const child of [...(Array.isArray(node.all) ? node.all : []), ...(Array.isArray(node.any) ? node.any : []), ...(node.not ? [node.not] : [])]) {
    leaves(child, depth + 1, out)
  }
  if (typeof node.fact == 'string') out.push(node as FactCondition)
  return out
}

/** Is the shopper in audience `id`, as `decide` evaluates it? */
const inAudience = (config: SiteConfig, id: string, facts: Facts): boolean => {
  const audience = config.audiences?.find((a) => a.id === id)
  return !!audience && evalCondition(audience.condition, facts)
}

/** The leaf tests of an audience's condition, each with the fact's value and whether it held. */
const audienceFacts = (config: SiteConfig, id: string, facts: Facts): FactUsed[] => {
  const audience = config.audiences?.find((a) => a.id === id)
  if (!audience) return [{ fact: `audience ${id}`, value: undefined, test: 'defined in the config', holds: false }]
  return leaves(audience.condition).map(({ fact, op, value }) => {
    const test = own(OPS, op) as ((f: unknown, v: unknown) => boolean) | undefined
    const actual = factOf(facts, fact)
    return { fact, value: actual, test: `${op as Op} ${JSON.stringify(value) ?? ''}`.trim(), holds: test ? test(actual, value) : false }
  })
}

/**
 * What the QA overlay (`attune/debug`) shows of how `decision` came about for its slot: each
 * candidate variant with its tags' affinity scores, audience membership and experiments, and the
 * facts the deciding step read — the profile's affinities for an affinity pick, the audience's
 * condition facts for an audience pick, the sticky assignment and hash buckets for an experiment,
 * the `?attune_force` pair for a forced one. Pure: it re-reads what `decide` read, from the same
 * inputs, and never decides. Never throws on a config `decide` accepted.
 */
export const traceSlot = (decision: Decision, { config, facts, visitor, force }: TraceInput): SlotTrace => {
  const { slot, reason } = decision
  const variants = (own(config.variants, slot) as Variant[] | undefined) ?? []
  const affinities = facts.profile?.affinities ?? {}
  const experiments = (config.experiments ?? []).filter((e) => e.slot === slot)
  const candidates: Candidate[] = variants.map((v) => {
    const tags = (v.tags ?? []).map((tag) => ({ tag, score: (own(affinities, tag) as number | undefined) ?? 0 }))
    // Membership is the whole condition's: an `any` holds with some of its leaves false.
    const audience = v.audience ? { id: v.audience, holds: inAudience(config, v.audience, facts) } : undefined
    return {
      id: v.id,
      tags,
      score: tags.reduce((sum, t) => sum + t.score, 0),
      ...(audience && { audience }),
      experiments: experiments.filter((e) => e.variants.includes(v.id)).map((e) => e.key),
      chosen: v.id === decision.variant,
    }
  })

  const threshold = config.affinityThreshold ?? 1
  const affinityFacts = (ids: string[]): FactUsed[] => [
    ...candidates
      .filter((c) => ids.includes(c.id))
      .flatMap((c) => c.tags.map(({ tag }) => ({ fact: `profile.affinities.${tag}`, value: own(affinities, tag) }))),
    { fact: 'config.affinityThreshold', value: threshold, test: `sum of a variant's tag scores > ${threshold}`, holds: candidates.some((c) => ids.includes(c.id) && c.score > threshold) },
  ]

  let used: FactUsed[]
  switch (reason.kind) {
    case 'forced':
      used = [
        { fact: 'url ?attune_force', value: `${slot}:${String(own(force, slot))}`, test: 'names an existing variant', holds: true },
        { fact: 'config.allowForce', value: config.allowForce, test: 'eq true', holds: config.allowForce === true },
      ]
      break
    case 'experiment':
    case 'holdout': {
      const e = experiments.find((x) => x.key === reason.key)
      const assigned = own(facts.profile?.experiments, reason.key)
      used = [{ fact: `profile.experiments.${reason.key}`, value: assigned, test: 'is one of the variants (sticky)', holds: reason.kind == 'experiment' && reason.sticky }]
      if (e && !(reason.kind == 'experiment' && reason.sticky)) {
        const { key, traffic = 1, holdout = 0 } = e
        if (traffic < 1) used.push({ fact: `bucket(${key}:traffic, visitor)`, value: bucket(key, visitor, ':traffic'), test: `< traffic ${traffic}`, holds: true })
        if (holdout > 0) used.push({ fact: `bucket(${key}:holdout, visitor)`, value: bucket(key, visitor, ':holdout'), test: `< holdout ${holdout}`, holds: reason.kind == 'holdout' })
        if (reason.kind == 'experiment') {
          used.push(
            e.bandit
              ? { fact: `bandit stats of ${key}`, value: e.bandit.stats, test: 'Thompson sampling' }
              : { fact: `bucket(${key}, visitor)`, value: bucket(key, visitor), test: `weights ${JSON.stringify(e.weights ?? e.variants.map((a) => variants.find((v) => v.id === a)?.weight ?? 1))}` },
          )
        }
      }
      used.push({ fact: 'visitor', value: visitor })
      break
    }
    case 'audience':
      used = audienceFacts(config, reason.audience, facts)
      break
    case 'affinity':
      used = affinityFacts(candidates.map((c) => c.id))
      break
    default:
      // Nothing matched: what each step looked at, so QA sees how far each variant was from winning.
      used =
        reason.why == 'no-match' || reason.why == 'not-in-traffic'
          ? [...candidates.flatMap((c) => (c.audience ? audienceFacts(config, c.audience.id, facts) : [])), ...affinityFacts(candidates.map((c) => c.id))]
          : []
  }
  return { candidates, facts: used }
}
