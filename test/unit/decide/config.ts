import type { SiteConfig } from '../../../src/decide/model'

/** A config using every feature: 5 variants, 3 audiences and 1 experiment on `hero`. */
export const goodConfig = (): SiteConfig => ({
  audiences: [
    { id: 'returning-runners', condition: { all: [{ fact: 'profile.counters.visits', op: 'gte', value: 2 }, { fact: 'profile.affinities.category:running', op: 'gt', value: 1 }] } },
    { id: 'newsletter', condition: { fact: 'utm.utm_source', op: 'eq', value: 'newsletter' } },
    { id: 'gold', condition: { any: [{ fact: 'profile.traits.tier', op: 'in', value: ['gold', 'platinum'] }, { not: { fact: 'profile.counters.orders', op: 'lt', value: 10 } }] } },
  ],
  variants: {
    hero: [
      { id: 'control' },
      { id: 'treatment' },
      { id: 'runner', tags: ['category:running'], audience: 'returning-runners' },
      { id: 'spring', audience: 'newsletter' },
      { id: 'vip', tags: ['brand:acme', 'category:yoga'], audience: 'gold' },
    ],
    banner: [{ id: 'yoga', tags: ['category:yoga'] }, { id: 'hiking', tags: ['category:hiking', 'brand:acme'] }],
  },
  experiments: [{ key: 'hero-test', slot: 'hero', variants: ['control', 'treatment'], traffic: 0.5, holdout: 0.1 }],
  affinityThreshold: 1,
  allowForce: true,
  goals: ['order_completed', 'Product Added'],
})
