import { describe, expect, it } from 'vitest'
import { decide } from '../../../src/decide/decide'
import { bucket } from '../../../src/decide/hash'
import type { DecideContext, Facts, SiteConfig } from '../../../src/decide/model'
import { previewTokenIn, traceSlot } from '../../../src/debug/index'
import type { ProfileView } from '../../../src/profile/model'
import { goodConfig } from '../decide/config'

const profile = (over: Partial<ProfileView> = {}): ProfileView => ({
  counters: {},
  affinities: {},
  viewed: [],
  carted: [],
  traits: {},
  interests: {},
  experiments: {},
  ...over,
})

/** What decide decided for `slot`, with the trace of it from the same inputs. */
const run = (slot: string, config: SiteConfig, facts: Facts, visitor = 'visitor-1', force: Record<string, string> = {}) => {
  const ctx: DecideContext = { config, facts, visitor, force, random: () => 0.5 }
  const decision = decide(slot, ctx)
  return { decision, trace: traceSlot(decision, { config, facts, visitor, force }) }
}

/** A config without the experiment, so audience and affinity steps get their turn. */
const noExperiment = (): SiteConfig => ({ ...goodConfig(), experiments: [] })

describe('traceSlot', () => {
  it('an affinity pick: every candidate with its tag scores, and the affinities read against the threshold', () => {
    const facts = { profile: profile({ affinities: { 'category:yoga': 0.4, 'category:hiking': 2.5, 'brand:acme': 0.25 } }) }
    const { decision, trace } = run('banner', noExperiment(), facts)
    expect(decision.variant).toBe('hiking')
    expect(trace.candidates).toEqual([
      { id: 'yoga', tags: [{ tag: 'category:yoga', score: 0.4 }], score: 0.4, experiments: [], chosen: false },
      { id: 'hiking', tags: [{ tag: 'category:hiking', score: 2.5 }, { tag: 'brand:acme', score: 0.25 }], score: 2.75, experiments: [], chosen: true },
    ])
    expect(trace.facts).toEqual([
      { fact: 'profile.affinities.category:yoga', value: 0.4 },
      { fact: 'profile.affinities.category:hiking', value: 2.5 },
      { fact: 'profile.affinities.brand:acme', value: 0.25 },
      { fact: 'config.affinityThreshold', value: 1, test: "sum of a variant's tag scores > 1", holds: true },
    ])
  })

  it('an audience pick: the audience condition’s facts, their values and whether each test held', () => {
    const facts = { profile: profile({ counters: { visits: 3 }, affinities: { 'category:running': 1.5 } }) }
    const { decision, trace } = run('hero', noExperiment(), facts)
    expect(decision.reason).toEqual({ kind: 'audience', audience: 'returning-runners' })
    expect(trace.facts).toEqual([
      { fact: 'profile.counters.visits', value: 3, test: 'gte 2', holds: true },
      { fact: 'profile.affinities.category:running', value: 1.5, test: 'gt 1', holds: true },
    ])
    const runner = trace.candidates.find((c) => c.id === 'runner')
    expect(runner).toMatchObject({ chosen: true, audience: { id: 'returning-runners', holds: true } })
    expect(trace.candidates.find((c) => c.id === 'spring')?.audience).toEqual({ id: 'newsletter', holds: false })
  })

  it('audience membership is the whole condition’s: an `any` holds with one of its tests failing', () => {
    const facts = { profile: profile({ traits: { tier: 'gold' }, counters: { orders: 1 } }) }
    const { decision, trace } = run('hero', noExperiment(), facts)
    expect(decision.variant).toBe('vip')
    expect(trace.candidates.find((c) => c.id === 'vip')?.audience).toEqual({ id: 'gold', holds: true })
    expect(trace.facts).toEqual([
      { fact: 'profile.traits.tier', value: 'gold', test: 'in ["gold","platinum"]', holds: true },
      { fact: 'profile.counters.orders', value: 1, test: 'lt 10', holds: true },
    ])
  })

  it('a new experiment assignment: the sticky slot was empty, and the buckets that placed the visitor', () => {
    const config = { ...goodConfig(), experiments: [{ key: 'hero-test', slot: 'hero', variants: ['control', 'treatment'], traffic: 1, holdout: 0.1 }] }
    // A visitor outside the holdout: its holdout bucket is at least 0.1.
    const visitor = Array.from({ length: 50 }, (_, i) => `v${i}`).find((v) => bucket('hero-test', v, ':holdout') >= 0.1) as string
    const { decision, trace } = run('hero', config, { profile: profile() }, visitor)
    expect(decision.reason).toEqual({ kind: 'experiment', key: 'hero-test', sticky: false, bandit: false })
    expect(trace.facts).toEqual([
      { fact: 'profile.experiments.hero-test', value: undefined, test: 'is one of the variants (sticky)', holds: false },
      { fact: 'bucket(hero-test:holdout, visitor)', value: bucket('hero-test', visitor, ':holdout'), test: '< holdout 0.1', holds: false },
      { fact: 'bucket(hero-test, visitor)', value: bucket('hero-test', visitor), test: 'weights [1,1]' },
      { fact: 'visitor', value: visitor },
    ])
    expect(trace.candidates.filter((c) => c.experiments.includes('hero-test')).map((c) => c.id)).toEqual(['control', 'treatment'])
  })

  it('a sticky experiment assignment: only the profile’s assignment was read', () => {
    const { decision, trace } = run('hero', goodConfig(), { profile: profile({ experiments: { 'hero-test': 'treatment' } }) })
    expect(decision).toMatchObject({ variant: 'treatment', reason: { kind: 'experiment', sticky: true } })
    expect(trace.facts).toEqual([
      { fact: 'profile.experiments.hero-test', value: 'treatment', test: 'is one of the variants (sticky)', holds: true },
      { fact: 'visitor', value: 'visitor-1' },
    ])
  })

  it('a holdout: the holdout bucket under the holdout share', () => {
    const config = { ...goodConfig(), experiments: [{ key: 'hero-test', slot: 'hero', variants: ['control', 'treatment'], holdout: 0.5 }] }
    const visitor = Array.from({ length: 50 }, (_, i) => `v${i}`).find((v) => bucket('hero-test', v, ':holdout') < 0.5) as string
    const { decision, trace } = run('hero', config, { profile: profile() }, visitor)
    expect(decision.reason.kind).toBe('holdout')
    expect(trace.facts).toContainEqual({ fact: 'bucket(hero-test:holdout, visitor)', value: bucket('hero-test', visitor, ':holdout'), test: '< holdout 0.5', holds: true })
    expect(trace.candidates.every((c) => !c.chosen)).toBe(true)
  })

  it('a forced pick: the ?attune_force pair and the config that allows it', () => {
    const { decision, trace } = run('banner', goodConfig(), { profile: profile() }, 'v', { banner: 'yoga' })
    expect(decision.reason.kind).toBe('forced')
    expect(trace.facts).toEqual([
      { fact: 'url ?attune_force', value: 'banner:yoga', test: 'names an existing variant', holds: true },
      { fact: 'config.allowForce', value: true, test: 'eq true', holds: true },
    ])
  })

  it('nothing matched: every audience test and affinity, each failing', () => {
    const { decision, trace } = run('hero', noExperiment(), { profile: profile({ affinities: { 'category:yoga': 0.2 }, counters: { orders: 0 } }), utm: { utm_source: 'ads' } })
    expect(decision.reason).toEqual({ kind: 'default', why: 'no-match' })
    expect(trace.facts).toContainEqual({ fact: 'utm.utm_source', value: 'ads', test: 'eq "newsletter"', holds: false })
    expect(trace.facts).toContainEqual({ fact: 'profile.affinities.category:yoga', value: 0.2 })
    expect(trace.facts.at(-1)).toEqual({ fact: 'config.affinityThreshold', value: 1, test: "sum of a variant's tag scores > 1", holds: false })
  })

  it('a slot without variants has no candidates and read no facts', () => {
    const { trace } = run('footer', goodConfig(), { profile: profile() })
    expect(trace).toEqual({ candidates: [], facts: [] })
  })

  it('reads config ids as own keys only: a slot named like an Object.prototype member has no candidates', () => {
    const decision = { slot: 'constructor', variant: undefined, reason: { kind: 'default' as const, why: 'no-variants' as const } }
    expect(traceSlot(decision, { config: goodConfig(), facts: { profile: profile() }, visitor: '' })).toEqual({ candidates: [], facts: [] })
  })
})

describe('previewTokenIn', () => {
  it.each([
    ['#attune-preview=ap1.shop-1.123.abc', 'ap1.shop-1.123.abc'],
    ['#tab=2&attune-preview=tok', 'tok'],
    ['#attune-preview=tok&tab=2', 'tok'],
    ['#attune-preview=a%2Eb', 'a.b'],
    ['#attune-preview=', undefined],
    ['#attune-preview', undefined],
    ['#xattune-preview=tok', undefined],
    ['', undefined],
    ['#attune-preview=%E0%A4%A', undefined],
    ['#attune-preview=https://evil.example/x.js', undefined],
    ['#attune-preview=/attune-debug.min.js', undefined],
    ['#attune-preview=%3Cscript%3E', undefined],
    [`#attune-preview=${'a'.repeat(2049)}`, undefined],
  ])('%j → %j', (hash, token) => {
    expect(previewTokenIn(hash)).toBe(token)
  })
})
