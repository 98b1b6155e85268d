/**
 * The decision engine side by side with its peers, in one process and one run: attune's `decide()`
 * (the built `dist/decide/index.js`), GrowthBook's `evalFeature` and Optimizely's `decide`, each on
 * the same rules for one slot: 5 variants, 3 audiences (conditions on profile counters and
 * affinities, traits, page and UTM) and 1 experiment (50 % of traffic, two arms, 50/50).
 *
 * Targets (issues 6 and 9): attune ≥ 1,000,000 decisions/s in Node and ≥ 3× GrowthBook.
 *
 * Every library decides for the same 1,000 shoppers, cycled in the same order; each is prepared
 * as its documentation prescribes for a known user (attune: a context object; GrowthBook: an
 * instance with `features` and `attributes`; Optimizely: a user context on a client made from a
 * static datafile, no event processor, so nothing leaves the machine). Preparing those is not
 * timed, except in the row that says so. Before timing, the outcomes are checked to agree.
 */
import { GrowthBook, GrowthBookClient } from '@growthbook/growthbook'
import { createInstance, createStaticProjectConfigManager } from '@optimizely/optimizely-sdk'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { decide } from '../dist/decide/index.js'
import { collectGarbage, nowNs, report, round } from './lib/measure.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const versionOf = (name) => JSON.parse(readFileSync(join(BENCH, 'node_modules', name, 'package.json'), 'utf8')).version

const SHOPPERS = 1_000
const SLOT = 'hero'
/** Warm-up per subject, then ROUNDS timed rounds of about ROUND_MS each, the subjects taking turns. */
const WARMUP_MS = 1_500
const ROUNDS = 5
const ROUND_MS = 1_000
const TARGET_RATE = 1_000_000
const TARGET_RATIO = 3

// mulberry32: a deterministic PRNG, so every run decides for the same shoppers.
let seed = 7
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (list) => list[Math.floor(random() * list.length)]

/** The rules, once per library. `traffic` is the experiment's share of visitors. */
const VARIANTS = ['control', 'treatment', 'runner', 'spring', 'vip']
const ARMS = ['control', 'treatment']
const TIERS = ['gold', 'platinum']
const PATHS = ['/', '/sale']

const attuneConfig = (traffic) => ({
  audiences: [
    {
      id: 'returning-runners',
      condition: { all: [{ fact: 'profile.counters.visits', op: 'gte', value: 2 }, { fact: 'profile.affinities.category:running', op: 'gt', value: 1 }] },
    },
    { id: 'spring-newsletter', condition: { all: [{ fact: 'utm.utm_source', op: 'eq', value: 'newsletter' }, { fact: 'page.path', op: 'in', value: PATHS }] } },
    { id: 'gold', condition: { any: [{ fact: 'profile.traits.tier', op: 'in', value: TIERS }, { fact: 'profile.counters.orders', op: 'gte', value: 10 }] } },
  ],
  variants: {
    [SLOT]: [{ id: 'control' }, { id: 'treatment' }, { id: 'runner', audience: 'returning-runners' }, { id: 'spring', audience: 'spring-newsletter' }, { id: 'vip', audience: 'gold' }],
  },
  experiments: [{ key: 'hero-test', slot: SLOT, variants: ARMS, traffic }],
})

// GrowthBook: experiment rule first (coverage = traffic, falls through when the visitor is not
// covered), then one force rule per audience, in attune's order. Conditions read the same nested
// attributes (`profile.counters.visits`…) that attune's facts hold.
const growthbookFeatures = (traffic) => ({
  [SLOT]: {
    defaultValue: null,
    rules: [
      { key: 'hero-test', variations: ARMS, weights: [0.5, 0.5], coverage: traffic, hashAttribute: 'id' },
      { condition: { 'profile.counters.visits': { $gte: 2 }, 'profile.affinities.category:running': { $gt: 1 } }, force: 'runner' },
      { condition: { 'utm.utm_source': 'newsletter', 'page.path': { $in: PATHS } }, force: 'spring' },
      { condition: { $or: [{ 'profile.traits.tier': { $in: TIERS } }, { 'profile.counters.orders': { $gte: 10 } }] }, force: 'vip' },
    ],
  },
})

// Optimizely: a flag with an A/B test rule (traffic allocation 0–traffic, split evenly) and a
// targeted delivery per audience, then "everyone else" off. Its attributes are flat, so the
// shopper's facts are flattened for it; `in` is an `or` of `exact` matches.
const optimizelyDatafile = (traffic) => {
  const attribute = (key) => ({ id: `attr-${key}`, key })
  const match = (name, match, value) => ({ type: 'custom_attribute', name, match, value })
  const variation = (key, featureEnabled = true) => ({ id: `var-${key}`, key, featureEnabled, variables: [] })
  const audiences = [
    { id: 'aud-1', name: 'returning-runners', conditions: ['and', match('visits', 'ge', 2), match('category:running', 'gt', 1)] },
    { id: 'aud-2', name: 'spring-newsletter', conditions: ['and', match('utm_source', 'exact', 'newsletter'), ['or', ...PATHS.map((p) => match('page_path', 'exact', p))]] },
    { id: 'aud-3', name: 'gold', conditions: ['or', ...TIERS.map((t) => match('tier', 'exact', t)), match('orders', 'ge', 10)] },
  ]
  const delivery = (n, variant) => ({
    id: `rule-${n}`,
    key: `deliver-${variant}`,
    status: 'Running',
    layerId: 'rollout-1',
    audienceIds: [`aud-${n}`],
    audienceConditions: ['or', `aud-${n}`],
    variations: [variation(variant)],
    trafficAllocation: [{ entityId: `var-${variant}`, endOfRange: 10_000 }],
    forcedVariations: {},
  })
  const end = Math.round(traffic * 10_000)
  return {
    version: '4',
    projectId: 'bench',
    accountId: 'bench',
    revision: '1',
    sdkKey: 'bench',
    environmentKey: 'production',
    anonymizeIP: true,
    botFiltering: false,
    sendFlagDecisions: false,
    attributes: ['visits', 'category:running', 'utm_source', 'page_path', 'tier', 'orders'].map(attribute),
    audiences: [],
    typedAudiences: audiences,
    events: [],
    groups: [],
    integrations: [],
    experiments: [
      {
        id: 'exp-1',
        key: 'hero-test',
        status: 'Running',
        layerId: 'layer-1',
        audienceIds: [],
        audienceConditions: [],
        variations: ARMS.map((arm) => variation(arm)),
        trafficAllocation: [
          { entityId: 'var-control', endOfRange: Math.round(end / 2) },
          { entityId: 'var-treatment', endOfRange: end },
        ],
        forcedVariations: {},
      },
    ],
    rollouts: [
      {
        id: 'rollout-1',
        experiments: [
          delivery(1, 'runner'),
          delivery(2, 'spring'),
          delivery(3, 'vip'),
          {
            ...delivery(4, 'off'),
            key: 'everyone-else',
            audienceIds: [],
            audienceConditions: [],
            variations: [variation('off', false)],
          },
        ],
      },
    ],
    featureFlags: [{ id: 'flag-1', key: SLOT, rolloutId: 'rollout-1', experimentIds: ['exp-1'], variables: [] }],
  }
}

/** Shoppers with varied profiles, pages and campaigns: some in each audience, some in several, some in none. */
const shoppers = Array.from({ length: SHOPPERS }, (_, i) => {
  const visits = Math.floor(random() * 6)
  const running = Math.round(random() * 300) / 100
  const orders = Math.floor(random() * 14)
  const tier = pick([undefined, undefined, 'silver', 'gold', 'platinum'])
  const facts = {
    profile: {
      counters: { visits, orders, product_views: visits * 3 },
      affinities: { 'category:running': running, 'category:yoga': Math.round(random() * 300) / 100, 'brand:acme': 0.5 },
      viewed: [],
      carted: [],
      traits: tier ? { tier } : {},
      interests: {},
      experiments: {},
    },
    page: { path: pick(['/', '/sale', '/product/sku-1', '/category/running']), url: 'https://shop.example/' },
    utm: pick([{}, { utm_source: 'newsletter', utm_medium: 'email' }, { utm_source: 'google', utm_medium: 'cpc' }]),
  }
  const flat = { visits, orders, 'category:running': running, page_path: facts.page.path, ...(tier && { tier }), ...(facts.utm.utm_source && { utm_source: facts.utm.utm_source }) }
  const visitor = `0190a4b2-7c1e-7d3f-${String(1000 + (i % 9000)).padStart(4, '0')}-${((i * 2654435761) >>> 0).toString(16).padStart(12, '0')}`
  return { visitor, facts, flat }
})
// As read back from storage, which is where visitor ids come from on every page view but the
// first: JSON gives flat strings, where the template above built ropes that hash more slowly.
for (const shopper of shoppers) shopper.visitor = JSON.parse(JSON.stringify(shopper.visitor))

/** Each library prepared for every shopper on the rules with `traffic`; `decide(i)` → variant id or null. */
const prepare = async (traffic) => {
  const config = attuneConfig(traffic)
  const contexts = shoppers.map(({ visitor, facts }) => ({ config, facts, visitor, random }))

  const features = growthbookFeatures(traffic)
  const growthbooks = shoppers.map(({ visitor, facts }) => new GrowthBook({ features, attributes: { id: visitor, ...facts } }))
  const client = new GrowthBookClient().initSync({ payload: { features } })
  const userContexts = shoppers.map(({ visitor, facts }) => ({ attributes: { id: visitor, ...facts } }))

  const optimizely = createInstance({ projectConfigManager: createStaticProjectConfigManager({ datafile: JSON.stringify(optimizelyDatafile(traffic)) }) })
  await optimizely.onReady({ timeout: 5_000 })
  const users = shoppers.map(({ visitor, flat }) => optimizely.createUserContext(visitor, flat))

  return {
    attune: (i) => decide(SLOT, contexts[i]).variant ?? null,
    growthbook: (i) => growthbooks[i].evalFeature(SLOT).value,
    growthbookNew: (i) => new GrowthBook({ features, attributes: userContexts[i].attributes }).evalFeature(SLOT).value,
    growthbookClient: (i) => client.evalFeature(SLOT, userContexts[i]).value,
    optimizely: (i) => {
      const { enabled, variationKey } = users[i].decide(SLOT)
      return enabled ? variationKey : null
    },
    close: () => optimizely.close(),
  }
}

const SUBJECTS = [
  { key: 'attune', subject: 'attune', how: "decide('hero', context)", version: JSON.parse(readFileSync(join(BENCH, '../package.json'), 'utf8')).version },
  { key: 'growthbook', subject: '@growthbook/growthbook', how: "gb.evalFeature('hero'), one GrowthBook({ features, attributes }) per shopper", version: versionOf('@growthbook/growthbook') },
  { key: 'growthbookClient', subject: '@growthbook/growthbook', how: "client.evalFeature('hero', { attributes }), GrowthBookClient (multi-user)", version: versionOf('@growthbook/growthbook') },
  { key: 'growthbookNew', subject: '@growthbook/growthbook', how: "new GrowthBook({ features, attributes }).evalFeature('hero'), constructor timed", version: versionOf('@growthbook/growthbook') },
  { key: 'optimizely', subject: '@optimizely/optimizely-sdk', how: "user.decide('hero'), one user context per shopper, static datafile", version: versionOf('@optimizely/optimizely-sdk') },
]

const results = []
const notes = []
let failed = false

// Equivalence: with the experiment off, every library shows every shopper the same variant; with
// it on (each hashes differently), each puts about half of the shoppers into its two arms.
const outcomes = {}
for (const traffic of [0, 0.5]) {
  const subjects = await prepare(traffic)
  for (const { key } of SUBJECTS) {
    try {
      outcomes[`${key}@${traffic}`] = shoppers.map((_, i) => subjects[key](i))
    } catch (error) {
      outcomes[`${key}@${traffic}`] = error
    }
  }
  await subjects.close()
}
const reference = outcomes['attune@0']
if (!Array.isArray(reference)) throw reference
const shareOf = (list, values) => list.filter((v) => values.includes(v)).length / list.length
const broken = new Map()
for (const { key, subject } of SUBJECTS) {
  const off = outcomes[`${key}@0`]
  const on = outcomes[`${key}@0.5`]
  if (!Array.isArray(off) || !Array.isArray(on)) {
    broken.set(key, String(Array.isArray(off) ? on : off))
    continue
  }
  const differ = off.filter((v, i) => v !== reference[i]).length
  const inExperiment = shareOf(on, ARMS)
  if (differ > 0) broken.set(key, `${differ} of ${SHOPPERS} shoppers got another variant than attune with the experiment off`)
  else if (Math.abs(inExperiment - 0.5) > 0.06) broken.set(key, `${Math.round(inExperiment * 100)} % of shoppers in the experiment, not about 50 %`)
  if (broken.has(key)) console.error(`✗ ${subject}: ${broken.get(key)}`)
}
if (broken.has('attune')) failed = true
const mix = (list) =>
  VARIANTS.map((v) => `${v} ${Math.round(shareOf(list, [v]) * 100)} %`).join(', ') + `, default ${Math.round(shareOf(list, [null]) * 100)} %`
notes.push(
  `Rules: slot \`hero\` with 5 variants; an experiment on \`control\`/\`treatment\` over 50 % of visitors (50/50, hashed on the visitor id; no holdout, no sticky assignment stored), ` +
    'then 3 audiences, first match wins: returning runners (`visits ≥ 2` and `category:running` affinity `> 1`), spring newsletter (`utm_source = newsletter` and page path in `/`, `/sale`), ' +
    'gold (tier in gold, platinum, or `orders ≥ 10`); otherwise default content. ' +
    `${SHOPPERS.toLocaleString('en-US')} generated shoppers, cycled in the same order for every library. Outcomes with attune: ${mix(outcomes['attune@0.5'])}; ` +
    `with the experiment off every library agreed with attune on all ${SHOPPERS.toLocaleString('en-US')} shoppers` +
    (broken.size ? ` except ${[...broken.keys()].join(', ')}` : '') +
    '.',
)

/** Runs `fn` over the shoppers for about `ms`; returns [decisions, ns, sink]. */
const timed = (fn, ms) => {
  let n = 0
  let sink = 0
  const t0 = nowNs()
  const until = t0 + ms * 1e6
  let t = t0
  // Checked every 1,000 decisions: the clock is read once per thousand, not once per call.
  while (t < until) {
    for (let i = 0; i < SHOPPERS; i++) sink += (fn(i) ?? '').length
    n += SHOPPERS
    t = nowNs()
  }
  return [n, t - t0, sink]
}

const subjects = await prepare(0.5)
const live = SUBJECTS.filter(({ key }) => !broken.has(key) || key === 'attune')
for (const { key } of live) timed(subjects[key], WARMUP_MS)
const runs = Object.fromEntries(live.map(({ key }) => [key, { n: 0, ns: 0, rounds: [] }]))
let sink = 0
for (let round = 0; round < ROUNDS; round++) {
  // Turns rotate, so that none always runs first after a collection.
  for (let k = 0; k < live.length; k++) {
    const { key } = live[(round + k) % live.length]
    collectGarbage()
    const [n, ns, s] = timed(subjects[key], ROUND_MS)
    sink += s
    runs[key].n += n
    runs[key].ns += ns
    runs[key].rounds.push(n / (ns / 1e9))
  }
}
await subjects.close()
if (sink === 0) throw new Error('no decision produced a variant')

const rate = (key) => runs[key].n / (runs[key].ns / 1e9)
const growthbookBest = ['growthbook', 'growthbookClient'].filter((key) => runs[key]).sort((a, b) => rate(b) - rate(a))[0]
for (const { key, subject, how, version } of SUBJECTS) {
  if (!runs[key]) {
    results.push({ metric: `decisions per second: ${how}`, subject: `${subject} ${version}`, value: `failed: ${broken.get(key)}` })
    continue
  }
  const r = rate(key)
  results.push(
    { metric: `mean time per decision: ${how}`, subject: `${subject} ${version}`, value: round(runs[key].ns / runs[key].n), unit: 'ns' },
    {
      metric: `decisions per second: ${how}`,
      subject: `${subject} ${version}`,
      value: Math.round(r),
      unit: '/s',
      ...(key === 'attune' && { target: { op: '>=', value: TARGET_RATE } }),
    },
  )
  if (key === 'attune' && broken.has('attune')) results.at(-1).note = broken.get('attune')
}
if (runs.attune && growthbookBest) {
  const ratio = rate('attune') / rate(growthbookBest)
  results.push({
    metric: `attune decisions/s ÷ GrowthBook's fastest way above (${growthbookBest === 'growthbook' ? 'gb.evalFeature' : 'GrowthBookClient.evalFeature'})`,
    subject: 'attune vs @growthbook/growthbook',
    value: round(ratio),
    unit: '×',
    target: { op: '>=', value: TARGET_RATIO },
  })
}
if (runs.attune && runs.optimizely) {
  results.push({ metric: "attune decisions/s ÷ Optimizely's", subject: 'attune vs @optimizely/optimizely-sdk', value: round(rate('attune') / rate('optimizely')), unit: '×' })
}
const spread = (key) => {
  const rounds = runs[key].rounds.map((x) => Math.round(x / 1000))
  return `${Math.min(...rounds).toLocaleString('en-US')}–${Math.max(...rounds).toLocaleString('en-US')} k/s`
}
notes.push(
  `Timing: per library ${WARMUP_MS.toLocaleString('en-US')} ms of warm-up, then ${ROUNDS} rounds of about ${ROUND_MS.toLocaleString('en-US')} ms, libraries taking turns (the order rotating each round), ` +
    'a garbage collection before each round; the clock is read once per 1,000 decisions, so its cost is negligible. ' +
    `Rate per round, slowest–fastest: ${live.map(({ key }) => `${key} ${spread(key)}`).join('; ')}.`,
  'GrowthBook keeps its default hashing (version 1, one FNV-1a pass, as attune does one FNV-1a pass plus a finaliser); Optimizely hashes with MurmurHash3. ' +
    'Optimizely is `createInstance` with `createStaticProjectConfigManager({ datafile })` and no event processor or ODP manager: it runs entirely offline. ' +
    'Its attributes are flat key/values, so its shoppers carry the same facts flattened.',
)

report({
  name: 'decide',
  title: 'Decisions: attune decide() vs GrowthBook evalFeature vs Optimizely decide',
  description:
    `The built \`dist/decide/index.js\`, @growthbook/growthbook ${versionOf('@growthbook/growthbook')} and @optimizely/optimizely-sdk ${versionOf('@optimizely/optimizely-sdk')}, in one Node process, on equivalent rules.`,
  results,
  notes,
})
if (failed) process.exitCode = 1
