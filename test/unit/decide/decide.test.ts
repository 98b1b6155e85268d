import { describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import type { DecideContext, Decision, Experiment, Facts, SiteConfig } from '../../../src/decide/model'
import type { ProfileView } from '../../../src/profile/model'
import { decide, decideAll } from '../../../src/decide/decide'
import { goodConfig } from './config'
import { mulberry32, uuidFrom } from './random'

const view = (profile: Partial<ProfileView> = {}): ProfileView => ({
  counters: {},
  affinities: {},
  viewed: [],
  carted: [],
  traits: {},
  interests: {},
  experiments: {},
  ...profile,
})

const ctx = (over: Partial<DecideContext> = {}, profile: Partial<ProfileView> = {}, rest: Omit<Facts, 'profile'> = {}): DecideContext => ({
  config: goodConfig(),
  facts: { profile: view(profile), ...rest },
  visitor: 'visitor-1',
  random: mulberry32(1),
  ...over,
})

/** A config whose only rule for `hero` is `experiment`. */
const experimentOnly = (experiment: Partial<Experiment>): SiteConfig => ({
  variants: { hero: [{ id: 'control' }, { id: 'treatment' }, { id: 'third', weight: 0 }] },
  experiments: [{ key: 'hero-test', slot: 'hero', variants: ['control', 'treatment'], ...experiment }],
})

const visitors = Array.from({ length: 10_000 }, uuidFrom(mulberry32(2024)))

/** Share of `visitors` for whom `pick` holds. */
const share = (config: SiteConfig, pick: (d: Decision) => boolean): number =>
  visitors.filter((visitor) => pick(decide('hero', ctx({ config, visitor })))).length / visitors.length

describe('decide: no variants', () => {
  it.each(['footer', '__proto__', 'constructor', 'toString'])('keeps default content for slot %j', (slot) => {
    expect(decide(slot, ctx())).toEqual({ slot, variant: undefined, reason: { kind: 'default', why: 'no-variants' } })
  })

  it('keeps default content for a slot with an empty list', () => {
    expect(decide('hero', ctx({ config: { variants: { hero: [] } } })).reason).toEqual({ kind: 'default', why: 'no-variants' })
  })
})

describe('decide: forced', () => {
  it('shows the forced variant when the config allows it, before any experiment', () => {
    const d = decide('hero', ctx({ force: { hero: 'spring' } }, { experiments: { 'hero-test': 'treatment' } }))
    expect(d).toEqual({ slot: 'hero', variant: 'spring', reason: { kind: 'forced' } })
  })

  it('ignores force when the config does not allow it', () => {
    const config = { ...goodConfig(), allowForce: false }
    expect(decide('hero', ctx({ config, force: { hero: 'spring' } })).reason.kind).not.toBe('forced')
    const { allowForce: _, ...unset } = goodConfig()
    expect(decide('hero', ctx({ config: unset, force: { hero: 'spring' } })).reason.kind).not.toBe('forced')
  })

  it.each(['ghost', '<img src=x onerror=alert(1)>', 'https://evil.example/x', '', 'yoga'])('never forces %j, which is no variant of the slot', (variant) => {
    const d = decide('hero', ctx({ force: { hero: variant } }))
    expect(d.reason.kind).not.toBe('forced')
    expect(d.variant === undefined || goodConfig().variants!.hero!.some((v) => v.id === d.variant)).toBe(true)
  })

  it('ignores a force for another slot and an inherited one', () => {
    expect(decide('hero', ctx({ force: { banner: 'yoga' } })).reason.kind).not.toBe('forced')
    expect(decide('hero', ctx({ force: Object.create({ hero: 'spring' }) as Record<string, string> })).reason.kind).not.toBe('forced')
  })
})

describe('decide: experiment', () => {
  it('uses the sticky assignment from the profile, even outside traffic or in the holdout', () => {
    const config = experimentOnly({ traffic: 0.01, holdout: 0.99 })
    for (const visitor of visitors.slice(0, 500)) {
      const d = decide('hero', ctx({ config, visitor }, { experiments: { 'hero-test': 'treatment' } }))
      expect(d).toEqual({
        slot: 'hero',
        variant: 'treatment',
        reason: { kind: 'experiment', key: 'hero-test', sticky: true, bandit: false },
        experiment: 'hero-test',
      })
    }
  })

  it('re-buckets when the stored variant is not in the experiment', () => {
    const d = decide('hero', ctx({ config: experimentOnly({}) }, { experiments: { 'hero-test': 'third' } }))
    expect(d.reason).toEqual({ kind: 'experiment', key: 'hero-test', sticky: false, bandit: false })
    expect(['control', 'treatment']).toContain(d.variant)
  })

  it('returns a new assignment to store, the same one every time for a visitor', () => {
    const config = experimentOnly({})
    for (const visitor of visitors.slice(0, 200)) {
      const d = decide('hero', ctx({ config, visitor }))
      expect(d.assign).toEqual({ key: 'hero-test', variant: d.variant })
      expect(decide('hero', ctx({ config, visitor }))).toEqual(d)
    }
  })

  it('takes the traffic share of visitors into the experiment', () => {
    expect(share(experimentOnly({ traffic: 0.3 }), (d) => d.reason.kind === 'experiment')).toBeCloseTo(0.3, 1)
    expect(share(experimentOnly({ traffic: 0 }), (d) => d.reason.kind === 'experiment')).toBe(0)
    expect(share(experimentOnly({}), (d) => d.reason.kind === 'experiment')).toBe(1)
  })

  it('says not-in-traffic when nothing else shows a variant to a visitor left out', () => {
    const outside = visitors.map((visitor) => decide('hero', ctx({ config: experimentOnly({ traffic: 0.5 }), visitor }))).find((d) => d.reason.kind !== 'experiment')
    expect(outside).toEqual({ slot: 'hero', variant: undefined, reason: { kind: 'default', why: 'not-in-traffic' } })
  })

  it('keeps the holdout share on default content, within traffic', () => {
    const holdout = (d: Decision): boolean => d.reason.kind === 'holdout'
    expect(share(experimentOnly({ holdout: 0.2 }), holdout)).toBeCloseTo(0.2, 1)
    expect(share(experimentOnly({ traffic: 0.5, holdout: 0.2 }), holdout)).toBeCloseTo(0.1, 1)
    const d = visitors.map((visitor) => decide('hero', ctx({ config: experimentOnly({ holdout: 0.5 }), visitor }))).find(holdout)
    expect(d).toEqual({ slot: 'hero', variant: undefined, reason: { kind: 'holdout', key: 'hero-test' }, experiment: 'hero-test' })
  })

  it('splits evenly without weights', () => {
    expect(share(experimentOnly({}), (d) => d.variant === 'treatment')).toBeCloseTo(0.5, 1)
  })

  it('honours weights', () => {
    expect(share(experimentOnly({ weights: [1, 3] }), (d) => d.variant === 'treatment')).toBeCloseTo(0.75, 1)
    expect(share(experimentOnly({ weights: [0, 1] }), (d) => d.variant === 'treatment')).toBe(1)
  })

  it('falls back to the variants’ own weights', () => {
    const config = experimentOnly({ variants: ['control', 'treatment', 'third'] })
    config.variants!.hero![1]!.weight = 4
    expect(share(config, (d) => d.variant === 'treatment')).toBeCloseTo(0.8, 1)
    expect(share(config, (d) => d.variant === 'third')).toBe(0)
  })

  it('assigns by Thompson sampling from bandit stats, using the given random', () => {
    const bandit = { stats: { control: { successes: 5, trials: 100 }, treatment: { successes: 30, trials: 100 } } }
    const random = mulberry32(9)
    const ds = visitors.slice(0, 1000).map((visitor) => decide('hero', ctx({ config: experimentOnly({ bandit }), visitor, random })))
    expect(ds[0]!.reason).toEqual({ kind: 'experiment', key: 'hero-test', sticky: false, bandit: true })
    expect(ds.every((d) => d.assign?.variant === d.variant)).toBe(true)
    expect(ds.filter((d) => d.variant === 'treatment').length).toBeGreaterThan(950)
  })

  it('ignores experiments on other slots', () => {
    const config = experimentOnly({ slot: 'banner' })
    config.variants!.banner = [{ id: 'control' }, { id: 'treatment' }]
    expect(decide('hero', ctx({ config })).reason).toEqual({ kind: 'default', why: 'no-match' })
  })

  it('lets the next experiment on the slot take a visitor the first one left out', () => {
    const config = experimentOnly({ traffic: 0.5 })
    config.experiments!.push({ key: 'second', slot: 'hero', variants: ['control', 'treatment'] })
    expect(share(config, (d) => d.experiment === 'second')).toBeCloseTo(0.5, 1)
  })
})

describe('decide: audience', () => {
  const config = { ...goodConfig(), experiments: [] }

  it('shows the first variant whose audience matches', () => {
    const d = decide('hero', ctx({ config }, { counters: { visits: 3, orders: 20 }, affinities: { 'category:running': 2 } }))
    expect(d).toEqual({ slot: 'hero', variant: 'runner', reason: { kind: 'audience', audience: 'returning-runners' } })
  })

  it('reads page, utm and device facts', () => {
    const d = decide('hero', ctx({ config }, {}, { utm: { utm_source: 'newsletter' } }))
    expect(d.reason).toEqual({ kind: 'audience', audience: 'newsletter' })
  })

  it('comes after the experiment', () => {
    const d = decide('hero', ctx({}, { experiments: { 'hero-test': 'control' } }, { utm: { utm_source: 'newsletter' } }))
    expect(d.reason.kind).toBe('experiment')
  })
})

describe('decide: affinity', () => {
  const config: SiteConfig = { variants: { banner: goodConfig().variants!.banner! } }

  it('shows the variant whose tags sum highest, naming its strongest tag', () => {
    const d = decide('banner', ctx({ config }, { affinities: { 'category:yoga': 1.5, 'category:hiking': 1, 'brand:acme': 0.9 } }))
    expect(d).toEqual({ slot: 'banner', variant: 'hiking', reason: { kind: 'affinity', tag: 'category:hiking', score: 1.9 } })
  })

  it('needs a score above the threshold', () => {
    expect(decide('banner', ctx({ config }, { affinities: { 'category:yoga': 1 } })).reason).toEqual({ kind: 'default', why: 'no-match' })
    expect(decide('banner', ctx({ config }, { affinities: { 'category:yoga': 1.01 } })).variant).toBe('yoga')
    const strict = { ...config, affinityThreshold: 5 }
    expect(decide('banner', ctx({ config: strict }, { affinities: { 'category:yoga': 4 } })).variant).toBeUndefined()
  })

  it('prefers the earlier variant on a tie', () => {
    expect(decide('banner', ctx({ config }, { affinities: { 'category:yoga': 2, 'category:hiking': 2 } })).variant).toBe('yoga')
  })

  it('comes after audiences', () => {
    const d = decide('hero', ctx({ config: { ...goodConfig(), experiments: [] } }, { affinities: { 'category:yoga': 9 } }, { utm: { utm_source: 'newsletter' } }))
    expect(d.variant).toBe('spring')
  })
})

describe('decide: default and bad input', () => {
  it('keeps default content when nothing matches', () => {
    expect(decide('banner', ctx())).toEqual({ slot: 'banner', variant: undefined, reason: { kind: 'default', why: 'no-match' } })
  })

  it.each([
    ['null', null],
    ['an unknown operator', { ...goodConfig(), audiences: [{ id: 'a', condition: { fact: 'x', op: 'like' } }] }],
    ['traffic out of range', experimentOnly({ traffic: 2 })],
    ['an experiment on an unknown variant', experimentOnly({ variants: ['control', 'ghost'] })],
  ])('keeps default content and warns for a config with %s', (_name, config) => {
    const warn = vi.fn()
    expect(decide('hero', ctx({ config: config as SiteConfig, warn }))).toEqual({ slot: 'hero', variant: undefined, reason: { kind: 'default', why: 'invalid-config' } })
    expect(warn).toHaveBeenCalledOnce()
  })

  it('survives facts it cannot read', () => {
    const warn = vi.fn()
    expect(decide('hero', { ...ctx({ warn }), facts: null as never }).reason).toEqual({ kind: 'default', why: 'invalid-config' })
    expect(warn).toHaveBeenCalledOnce()
  })

  it('survives a warn that throws', () => {
    const warn = (): never => {
      throw new Error('logger down')
    }
    expect(decide('hero', ctx({ config: null as never, warn })).reason.kind).toBe('default')
  })

  it('never throws and always returns a decision for the slot, whatever the input', () => {
    const good = goodConfig()
    const config = fc.oneof(
      fc.anything(),
      fc.constant(good),
      fc.record({ variants: fc.constant(good.variants), experiments: fc.anything(), audiences: fc.anything() }, { requiredKeys: [] }),
      fc.record({ variants: fc.dictionary(fc.constantFrom('hero', '__proto__'), fc.array(fc.record({ id: fc.string(), tags: fc.array(fc.string()), weight: fc.double() }))) }),
    )
    const kinds = ['forced', 'experiment', 'holdout', 'audience', 'affinity', 'default']
    fc.assert(
      fc.property(config, fc.anything(), fc.string(), fc.constantFrom('hero', 'banner', '__proto__', ''), fc.anything(), fc.double(), (config, profile, visitor, slot, force, r) => {
        const d = decide(slot, { config: config as SiteConfig, facts: { profile } as Facts, visitor, force: force as Record<string, string>, random: () => r })
        expect(d.slot).toBe(slot)
        expect(kinds).toContain(d.reason.kind)
      }),
      { numRuns: 1000 },
    )
  })
})

describe('decideAll', () => {
  it('decides each slot in order', () => {
    const ds = decideAll(['hero', 'banner', 'nope'], ctx({}, { experiments: { 'hero-test': 'control' } }))
    expect(ds.map((d) => [d.slot, d.variant])).toEqual([
      ['hero', 'control'],
      ['banner', undefined],
      ['nope', undefined],
    ])
  })
})
