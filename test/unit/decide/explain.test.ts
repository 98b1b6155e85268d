import { describe, expect, it } from 'vitest'
import type { Decision, Reason } from '../../../src/decide/model'
import { explain } from '../../../src/decide/explain'

const about = (reason: Reason): Decision => ({ slot: 'hero', variant: 'x', reason })

describe('explain', () => {
  it.each<[string, Reason, string]>([
    ['forced', { kind: 'forced' }, 'Forced for testing'],
    ['a new experiment assignment', { kind: 'experiment', key: 'hero-test', sticky: false }, 'Shown as part of an experiment to improve this page'],
    ['a sticky bandit assignment', { kind: 'experiment', key: 'b', sticky: true, bandit: true }, 'Shown as part of an experiment to improve this page'],
    ['a holdout', { kind: 'holdout', key: 'hero-test' }, 'This is our standard content'],
    ['an audience', { kind: 'audience', audience: 'returning-runners' }, 'Shown because you match “returning runners”'],
    ['an audience with underscores', { kind: 'audience', audience: 'vip_Customers' }, 'Shown because you match “vip Customers”'],
    ['an audience named by a UUID', { kind: 'audience', audience: '0190a4b2-7c1e-7d3f-9a2b-5c6d7e8f9a0b' }, 'Picked for shoppers like you'],
    ['an affinity', { kind: 'affinity', tag: 'category:running', score: 3 }, 'Shown because you viewed running products recently'],
    ['an affinity with a dashed value', { kind: 'affinity', tag: 'category:trail-running', score: 3 }, 'Shown because you viewed trail running products recently'],
    ['an affinity with accents', { kind: 'affinity', tag: 'brand:Löwa', score: 3 }, 'Shown because you viewed Löwa products recently'],
    ['an affinity tag without a dimension', { kind: 'affinity', tag: 'yoga', score: 3 }, 'Shown because you viewed yoga products recently'],
    ['an affinity on a SKU', { kind: 'affinity', tag: 'product:sku-123', score: 3 }, 'Picked from products you viewed recently'],
    ['an affinity on markup', { kind: 'affinity', tag: 'category:<b>x</b>', score: 3 }, 'Picked from products you viewed recently'],
    ['no variants', { kind: 'default', why: 'no-variants' }, 'This is our standard content'],
    ['no match', { kind: 'default', why: 'no-match' }, 'This is our standard content'],
    ['not in traffic', { kind: 'default', why: 'not-in-traffic' }, 'This is our standard content'],
    ['an invalid config', { kind: 'default', why: 'invalid-config' }, 'This is our standard content'],
  ])('explains %s', (_name, reason, sentence) => {
    expect(explain(about(reason))).toBe(sentence)
  })
})
