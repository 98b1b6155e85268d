import { describe, expect, it } from 'vitest'
import type { SiteConfig } from '../../../src/decide/model'
import { checkConfig } from '../../../src/decide/checkConfig'
import { goodConfig } from './config'

/** `goodConfig()` changed by `edit`, which may break it in any way. */
const broken = (edit: (c: SiteConfig) => void): unknown => {
  const c = goodConfig()
  edit(c)
  return c
}

/** Writes what the types forbid. */
const set = (o: object | undefined, key: string, value: unknown): void => {
  ;(o as Record<string, unknown>)[key] = value
}

const deep = (levels: number): unknown => {
  let c: unknown = { fact: 'page.path', op: 'exists' }
  for (let i = 1; i < levels; i++) c = { not: c }
  return c
}

describe('checkConfig', () => {
  it('returns a good config as it is', () => {
    const config = goodConfig()
    expect(checkConfig(config)).toBe(config)
  })

  it.each([
    ['an empty config', {}],
    ['a config from JSON', JSON.parse(JSON.stringify(goodConfig()))],
    ['unknown fields, for newer servers', { ...goodConfig(), colour: 'blue', experiments: [{ ...goodConfig().experiments![0]!, future: 1 }] }],
    ['the same object twice (not a cycle)', (() => { const tags = ['category:x']; return { variants: { a: [{ id: 'x', tags }, { id: 'y', tags }] } } })()],
    ['a bandit', broken((c) => (c.experiments![0]!.bandit = { stats: { control: { successes: 1, trials: 9 } } }))],
    ['weights', broken((c) => (c.experiments![0]!.weights = [0, 2]))],
    ['condition nested 16 deep', { audiences: [{ id: 'a', condition: deep(16) }] }],
    ['exists with false', { audiences: [{ id: 'a', condition: { fact: 'x', op: 'exists', value: false } }] }],
  ])('accepts %s', (_name, config) => {
    expect(checkConfig(config)).toBe(config)
  })

  const cyclic = goodConfig()
  set(cyclic, 'self', cyclic)
  const nestedCycle = broken((c) => {
    const a: Record<string, unknown> = {}
    a.b = { c: a }
    set(c, 'extra', a)
  })

  it.each([
    ['null', null, 'config: not an object'],
    ['a string', '{}', 'config: not an object'],
    ['an array', [], 'config: not an object'],
    ['a cycle', cyclic, 'config: cycle'],
    ['a nested cycle', nestedCycle, 'config: cycle'],
    ['__proto__ from JSON', JSON.parse('{"__proto__": {"allowForce": true}}'), 'config: forbidden key __proto__'],
    ['a constructor key', broken((c) => (c.variants!.hero![0] = { id: 'x', constructor: 1 } as never)), 'config: forbidden key constructor'],
    ['a prototype key', { audiences: [], prototype: {} }, 'config: forbidden key prototype'],
    ['more than 20,000 values', { goals: Array.from({ length: 20_000 }, () => 'g') }, 'config: too big'],
    ['a string over 1,000 characters', { goals: ['g'.repeat(1001)] }, 'config: string too long'],
    ['a key over 1,000 characters', { variants: { ['s'.repeat(1001)]: [] } }, 'config: string too long'],
    ['audiences not a list', { audiences: {} }, 'config: bad audiences'],
    ['an audience id with spaces', { audiences: [{ id: 'a b', condition: { all: [] } }] }, 'audience: bad id'],
    ['an audience id over 64 characters', { audiences: [{ id: 'a'.repeat(65), condition: { all: [] } }] }, 'audience: bad id'],
    ['an unknown operator', { audiences: [{ id: 'a', condition: { fact: 'x', op: 'regex', value: '.' } }] }, 'audience a: bad condition'],
    ['a condition without op', { audiences: [{ id: 'a', condition: { fact: 'x' } }] }, 'audience a: bad condition'],
    ['a fact that is not a string', { audiences: [{ id: 'a', condition: { fact: 1, op: 'eq', value: 1 } }] }, 'audience a: bad condition'],
    ['a missing condition', { audiences: [{ id: 'a' }] }, 'audience a: bad condition'],
    ['all not a list', { audiences: [{ id: 'a', condition: { all: {} } }] }, 'audience a: bad all'],
    ['a condition nested 17 deep', { audiences: [{ id: 'a', condition: deep(17) }] }, 'audience a: condition too deep'],
    ['in without a list', { audiences: [{ id: 'a', condition: { fact: 'x', op: 'in', value: 'a' } }] }, 'audience a: bad value'],
    ['in with objects', { audiences: [{ id: 'a', condition: { fact: 'x', op: 'in', value: [{}] } }] }, 'audience a: bad value'],
    ['eq with an object', { audiences: [{ id: 'a', condition: { fact: 'x', op: 'eq', value: { a: 1 } } }] }, 'audience a: bad value'],
    ['exists with a string', { audiences: [{ id: 'a', condition: { fact: 'x', op: 'exists', value: 'no' } }] }, 'audience a: bad value'],
    ['variants not a map', { variants: [] }, 'config: bad variants'],
    ['a slot id with a dot', { variants: { 'a.b': [] } }, 'slot a.b: bad id'],
    ['a slot not a list', { variants: { hero: {} } }, 'slot hero: bad hero'],
    ['a variant id with a slash', { variants: { hero: [{ id: '../x' }] } }, 'slot hero: bad id'],
    ['a variant that is not an object', { variants: { hero: ['x'] } }, 'slot hero: bad id'],
    ['tags that are not strings', { variants: { hero: [{ id: 'x', tags: [1] }] } }, 'slot hero: bad tags'],
    ['an unknown audience', { variants: { hero: [{ id: 'x', audience: 'nobody' }] } }, 'slot hero: unknown audience'],
    ['a negative weight', { variants: { hero: [{ id: 'x', weight: -1 }] } }, 'slot hero: bad weight'],
    ['an experiment without key', broken((c) => set(c.experiments![0], 'key', undefined)), 'experiment: bad key'],
    ['an experiment on an unknown slot', broken((c) => (c.experiments![0]!.slot = 'footer')), 'experiment hero-test: unknown or repeated variant'],
    ['an experiment with an unknown variant', broken((c) => c.experiments![0]!.variants.push('ghost')), 'experiment hero-test: unknown or repeated variant'],
    ['an experiment with a repeated variant', broken((c) => c.experiments![0]!.variants.push('control')), 'experiment hero-test: unknown or repeated variant'],
    ['an experiment without variants', broken((c) => (c.experiments![0]!.variants = [])), 'experiment hero-test: bad weights'],
    ['traffic above 1', broken((c) => (c.experiments![0]!.traffic = 1.5)), 'experiment hero-test: bad traffic'],
    ['traffic as a string', broken((c) => set(c.experiments![0], 'traffic', '0.5')), 'experiment hero-test: bad traffic'],
    ['traffic NaN', broken((c) => (c.experiments![0]!.traffic = NaN)), 'experiment hero-test: bad traffic'],
    ['a negative holdout', broken((c) => (c.experiments![0]!.holdout = -0.1)), 'experiment hero-test: bad holdout'],
    ['weights of the wrong length', broken((c) => (c.experiments![0]!.weights = [1])), 'experiment hero-test: bad weights'],
    ['a negative weight', broken((c) => (c.experiments![0]!.weights = [1, -1])), 'experiment hero-test: bad weights'],
    ['weights that are all 0', broken((c) => (c.experiments![0]!.weights = [0, 0])), 'experiment hero-test: bad weights'],
    ['infinite weights', broken((c) => (c.experiments![0]!.weights = [1, Infinity])), 'experiment hero-test: bad weights'],
    ['a bandit without stats', broken((c) => set(c.experiments![0], 'bandit', {})), 'experiment hero-test: bad bandit'],
    ['stats for an unknown variant', broken((c) => (c.experiments![0]!.bandit = { stats: { ghost: { successes: 0, trials: 0 } } })), 'experiment hero-test stats ghost: bad arm'],
    ['stats without trials', broken((c) => set(c.experiments![0], 'bandit', { stats: { control: { successes: 0 } } })), 'experiment hero-test stats control: bad arm'],
    ['more successes than trials', broken((c) => (c.experiments![0]!.bandit = { stats: { control: { successes: 5, trials: 4 } } })), 'experiment hero-test stats control: bad successes'],
    ['a negative affinityThreshold', broken((c) => (c.affinityThreshold = -1)), 'config: bad affinityThreshold'],
    ['allowForce as a string', broken((c) => set(c, 'allowForce', 'yes')), 'config: bad allowForce'],
    ['goals that are not strings', broken((c) => set(c, 'goals', [1])), 'config: bad goals'],
    ['a function', broken((c) => set(c, 'goals', () => [])), 'config: bad goals'],
  ])('rejects %s', (_name, config, reason) => {
    expect(checkConfig(config)).toBe(reason)
  })

  it('reports a getter that throws instead of throwing', () => {
    const config = {
      get audiences(): never {
        throw new Error('boom')
      },
    }
    expect(checkConfig(config)).toBe('config: Error: boom')
  })
})
