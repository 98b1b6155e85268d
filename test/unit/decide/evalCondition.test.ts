import { describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import type { Condition } from '../../../src/decide/model'
import { evalCondition } from '../../../src/decide/evalCondition'
import { factOf } from '../../../src/decide/factOf'
import { checkConfig } from '../../../src/decide/checkConfig'
import cases from '../../fixtures/conditions.json'

/** The shared cases; the server runs the same file. Names starting `invalid:` must warn. */
interface Case {
  name: string
  condition: Condition
  facts: object
  expected: boolean
}
const table = cases as unknown as Case[]

describe('evalCondition (test/fixtures/conditions.json)', () => {
  it('has at least 60 cases with unique names', () => {
    expect(table.length).toBeGreaterThanOrEqual(60)
    expect(new Set(table.map((c) => c.name)).size).toBe(table.length)
  })

  it.each(table.map((c) => [c.name, c] as const))('%s', (_name, { name, condition, facts, expected }) => {
    const warn = vi.fn()
    expect(evalCondition(condition, facts, warn)).toBe(expected)
    expect(warn).toHaveBeenCalledTimes(name.startsWith('invalid:') ? 1 : 0)
  })

  it.each(table.filter((c) => c.name.startsWith('invalid:')).map((c) => [c.name, c] as const))(
    'checkConfig rejects what warns: %s',
    (_name, { condition }) => {
      expect(checkConfig({ audiences: [{ id: 'a', condition }] })).toMatch(/^audience a: /)
    },
  )

  it('never warns on a condition checkConfig accepts', () => {
    for (const { condition, facts } of table) {
      if (typeof checkConfig({ audiences: [{ id: 'a', condition }] }) == 'string') continue
      const warn = vi.fn()
      evalCondition(condition, facts, warn)
      expect(warn).not.toHaveBeenCalled()
    }
  })

  it('names the problem in the warning', () => {
    const warn = vi.fn()
    evalCondition({ fact: 'page.path', op: 'regex' as never, value: '.*' }, {}, warn)
    expect(warn).toHaveBeenCalledWith('unknown operator regex')
  })

  it('never throws, whatever the condition and facts', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (condition, facts) => {
        expect(typeof evalCondition(condition as Condition, facts)).toBe('boolean')
      }),
      { numRuns: 500 },
    )
  })

  it('survives a getter that throws', () => {
    const facts = {
      get profile(): never {
        throw new Error('boom')
      },
    }
    const warn = vi.fn()
    expect(evalCondition({ fact: 'profile.counters.visits', op: 'exists' }, facts, warn)).toBe(false)
    expect(warn).toHaveBeenCalledWith('Error: boom')
  })
})

describe('factOf', () => {
  const facts = { profile: { affinities: { 'category:running': 2 }, traits: { 'a.b': 1 } }, page: { 'x.y': 'z' } }
  it.each([
    ['profile.affinities.category:running', 2],
    ['profile.traits.a.b', 1],
    ['page.x.y', 'z'],
    ['profile', facts.profile],
    ['profile.traits', facts.profile.traits],
    ['profile.affinities.hasOwnProperty', undefined],
    ['nothing.here', undefined],
    ['', undefined],
  ])('resolves %j', (path, expected) => {
    expect(factOf(facts, path)).toBe(expected)
  })
})
