import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../../src/index'
import { personalize, type Personalizer } from '../../../src/personalize'
import type { SiteConfig } from '../../../src/decide/model'
import { createKeyValue } from '../../../src/storage/createKeyValue'
import { freshIndexedDb } from '../fresh'

const PAGE = `
<section data-attune-slot="hero"><h2>Welcome</h2></section>
<template data-attune-variant="hero" data-attune-id="running" data-attune-tags="category:running"><h2>Running week</h2></template>
<template data-attune-variant="hero" data-attune-id="hiking" data-attune-tags="category:hiking"><h2>Hiking week</h2></template>
<aside data-attune-slot="banner"><p>Free returns</p></aside>
<template data-attune-variant="banner" data-attune-id="vip" data-attune-audience="big-spenders"><p>VIP early access</p></template>`

let instances: Attune[] = []
let controllers: Personalizer[] = []
let errors: AttuneError[] = []

const attune = (): Attune => {
  const a = createAttune({ site: 'shop-1', storage: 'memory' })
  a.on('error', (e) => errors.push(e))
  instances.push(a)
  return a
}

const ready = (a: Attune): Promise<unknown> => new Promise((resolve) => a.on('ready', resolve))

/** A granted, loaded instance that viewed `n` products of `category`. */
const shopper = async (category = 'running', n = 3): Promise<Attune> => {
  const a = attune()
  a.consent.grant()
  await ready(a)
  for (let i = 0; i < n; i++) a.track('product_viewed', { id: `p${i}`, category })
  return a
}

const start = (a: Attune, options: Parameters<typeof personalize>[1] = {}): Personalizer => {
  const p = personalize(a, { revealTimeoutMs: 60_000, ...options })
  controllers.push(p)
  return p
}

/** Until the controller has loaded and settled (it waits for `ready` and the config). */
const settled = () => vi.waitFor(() => expect(document.documentElement.classList.contains('attune-loading')).toBe(false))
const hero = () => document.querySelector('[data-attune-slot="hero"]')!

beforeEach(() => {
  freshIndexedDb()
  errors = []
  document.body.innerHTML = PAGE
  document.documentElement.className = ''
})
afterEach(async () => {
  for (const p of controllers) p.stop()
  await Promise.all(instances.map((a) => a.destroy()))
  controllers = []
  instances = []
  localStorage.clear()
})

describe('personalize: swaps', () => {
  it('shows the variant whose tags match the profile, explains it, and reverts to the exact original DOM', async () => {
    const before = document.body.innerHTML
    const a = await shopper('running')
    const decisions: unknown[] = []
    a.on('decision', (d) => decisions.push(d))
    const p = start(a)
    const revert = p.apply()
    await settled()
    expect(hero().innerHTML).toBe('<h2>Running week</h2>')
    expect(hero().hasAttribute('data-attune-shown')).toBe(true)
    expect(p.explain('hero')).toMatchObject({ slot: 'hero', variant: 'running', reason: { kind: 'affinity', tag: 'category:running' }, text: 'Shown because you viewed running products recently' })
    expect(decisions).toEqual(expect.arrayContaining([expect.objectContaining({ slot: 'hero', variant: 'running' })]))
    revert()
    expect(document.body.innerHTML).toBe(before)
  })

  it('keeps default content, shown at once, when personalization is refused', async () => {
    const a = attune()
    a.consent.deny()
    document.documentElement.classList.add('attune-loading')
    const before = hero().innerHTML
    start(a).apply()
    expect(document.documentElement.classList.contains('attune-loading')).toBe(false)
    expect(hero().innerHTML).toBe(before)
    expect(hero().hasAttribute('data-attune-shown')).toBe(true)
    expect(start(a).decide('hero')).toMatchObject({ variant: undefined, reason: { kind: 'default', why: 'no-consent' } })
  })

  it('hides slots while consent is undecided, then decides them when it is granted', async () => {
    const a = attune()
    for (let i = 0; i < 3; i++) a.track('product_viewed', { id: `p${i}`, category: 'hiking' })
    start(a).apply()
    expect(document.documentElement.classList.contains('attune-loading')).toBe(true)
    expect(hero().hasAttribute('data-attune-shown')).toBe(false)
    a.consent.grant()
    await settled()
    expect(hero().innerHTML).toBe('<h2>Hiking week</h2>')
  })

  it('shows default content when the reveal timeout passes first, and never swaps it afterwards', async () => {
    const a = attune()
    start(a, { revealTimeoutMs: 0 }).apply()
    await vi.waitFor(() => expect(hero().hasAttribute('data-attune-shown')).toBe(true))
    expect(document.documentElement.classList.contains('attune-loading')).toBe(false)
    a.consent.grant()
    await ready(a)
    for (let i = 0; i < 3; i++) a.track('product_viewed', { id: `p${i}`, category: 'running' })
    await new Promise((r) => setTimeout(r, 20))
    expect(hero().innerHTML).toBe('<h2>Welcome</h2>')
  })

  it('decides slots rendered later in the mutation callback, before the next paint', async () => {
    const a = await shopper('running')
    start(a).apply()
    await settled()
    const late = document.createElement('section')
    late.setAttribute('data-attune-slot', 'hero')
    late.innerHTML = '<h2>Welcome</h2>'
    document.body.append(late)
    // Mutation observers run as a microtask: before the browser renders again.
    await Promise.resolve()
    expect(late.innerHTML).toBe('<h2>Running week</h2>')
  })

  it('puts every slot back when personalization is withdrawn', async () => {
    const a = await shopper('running')
    start(a).apply()
    await settled()
    expect(hero().innerHTML).toBe('<h2>Running week</h2>')
    a.consent.withdraw()
    expect(hero().innerHTML).toBe('<h2>Welcome</h2>')
    expect(hero().hasAttribute('data-attune-shown')).toBe(true)
  })

  it('stop() restores the page exactly', async () => {
    document.documentElement.classList.add('attune-loading')
    const before = document.body.innerHTML
    const a = await shopper('running')
    const p = start(a)
    p.apply()
    await settled()
    p.stop()
    expect(document.body.innerHTML).toBe(before)
    expect(document.documentElement.className).toBe('')
  })
})

describe('personalize: decisions from the config', () => {
  const config: SiteConfig = {
    audiences: [{ id: 'big-spenders', condition: { fact: 'profile.counters.orders', op: 'gte', value: 1 } }],
    variants: { hero: [{ id: 'running' }, { id: 'hiking' }, { id: 'sale', content: [{ tag: 'h2', children: ['Sale'] }] }] },
    experiments: [{ key: 'hero-test', slot: 'hero', variants: ['running', 'sale'], traffic: 1 }],
    allowForce: true,
  }

  it('assigns an experiment variant, keeps it sticky in the profile, and says so', async () => {
    const a = await shopper('hiking')
    const p = start(a, { config })
    p.apply()
    await settled()
    const d = p.decide('hero')
    expect(d).toMatchObject({ reason: { kind: 'experiment', key: 'hero-test' }, experiment: 'hero-test' })
    expect(['running', 'sale']).toContain(d.variant)
    expect(hero().innerHTML).toBe(d.variant == 'sale' ? '<h2>Sale</h2>' : '<h2>Running week</h2>')
    await vi.waitFor(() => expect(a.profile.get().experiments['hero-test']).toBe(d.variant))
  })

  it('marks a goal of the config with a conversion event naming it and the experiments the shopper is in', async () => {
    const a = await shopper('hiking')
    const tracked: Array<{ name: string; id: string; props: object }> = []
    a.on('track', (e) => tracked.push(e))
    const p = start(a, { config: { ...config, goals: ['order_completed'] } })
    p.apply()
    await settled()
    const variant = p.decide('hero').variant
    await vi.waitFor(() => expect(a.profile.get().experiments['hero-test']).toBe(variant))
    a.track('order_completed', { total: 80 })
    a.track('product_viewed', { id: 'x', category: 'hiking' })
    const order = tracked.find((e) => e.name == 'order_completed')!
    expect(tracked.filter((e) => e.name == 'conversion')).toEqual([
      expect.objectContaining({ props: { goal: 'order_completed', event: order.id, experiments: { 'hero-test': variant } } }),
    ])
  })

  it('shows an audience variant to its audience only', async () => {
    const a = await shopper('hiking')
    a.track('order_completed', { total: 120 })
    start(a, { config: { ...config, experiments: [] } }).apply()
    await settled()
    expect(document.querySelector('[data-attune-slot="banner"]')!.innerHTML).toBe('<p>VIP early access</p>')
    expect(hero().innerHTML).toBe('<h2>Hiking week</h2>')
  })

  it('honours ?attune_force only for an existing variant', async () => {
    history.replaceState(null, '', '/?attune_force=hero:sale,banner:nope')
    try {
      const a = await shopper('running')
      const p = start(a, { config })
      p.apply()
      await settled()
      expect(p.decide('hero')).toMatchObject({ variant: 'sale', reason: { kind: 'forced' } })
      expect(p.decide('banner')).toMatchObject({ variant: undefined })
    } finally {
      history.replaceState(null, '', '/')
    }
  })

  it('ignores a malformed config, says why once, and decides from the page’s templates alone', async () => {
    const a = await shopper('running')
    const p = start(a, { config: { audiences: [{ id: 'x', condition: { fact: 'page.path', op: 'regex' as never, value: '.*' } }] } })
    p.apply()
    await settled()
    expect(hero().innerHTML).toBe('<h2>Running week</h2>')
    expect(p.decide('hero').reason).toMatchObject({ kind: 'affinity', tag: 'category:running' })
    expect(errors.filter((e) => e.code === 'config' && /malformed site config \(audience x: bad condition\)/.test(e.message))).toHaveLength(1)
  })

  it('never half-applies a variant whose edit target is missing', async () => {
    const a = await shopper('running')
    const p = start(a, { config: { variants: { hero: [{ id: 'edit', tags: ['category:running'], edits: [{ select: 'h2', text: 'New' }, { select: '.nope', text: 'x' }] }] } } })
    p.apply()
    await settled()
    expect(hero().innerHTML).toBe('<h2>Welcome</h2>')
    expect(p.explain('hero')).toMatchObject({ variant: undefined, reason: { why: 'failed' } })
    expect(errors.some((e) => e.code === 'config' && /no element matches \.nope/.test(e.message))).toBe(true)
  })

  it('leaves out a template naming an unknown audience, and reports it once', async () => {
    const a = await shopper('running')
    start(a, { config: {} }).apply()
    await settled()
    expect(document.querySelector('[data-attune-slot="banner"]')!.innerHTML).toBe('<p>Free returns</p>')
    expect(errors.filter((e) => /unknown audience big-spenders/.test(e.message))).toHaveLength(1)
  })
})

describe('personalize: the config from the server', () => {
  const config: SiteConfig = { variants: { hero: [{ id: 'sale', tags: ['category:running'], content: ['Sale!'] }] } }

  it('loads it once, keeps it in the profile database, and revalidates with its ETag', async () => {
    const fetch = vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) =>
      (init?.headers as Record<string, string>)['If-None-Match'] === '"v1"'
        ? new Response(null, { status: 304 })
        : new Response(JSON.stringify(config), { headers: { ETag: '"v1"', 'Content-Type': 'application/json' } }),
    )
    const a = createAttune({ site: 'shop-1' })
    instances.push(a)
    a.consent.grant()
    await ready(a)
    for (let i = 0; i < 3; i++) a.track('product_viewed', { id: `p${i}`, category: 'running' })
    start(a, { endpoint: 'https://p.example.com', fetch }).apply()
    await settled()
    expect(hero().innerHTML).toBe('Sale!')
    expect(fetch).toHaveBeenCalledWith('https://p.example.com/v1/sites/shop-1/config', expect.objectContaining({ credentials: 'omit' }))
    // The next page decides from the kept copy and asks with If-None-Match.
    document.body.innerHTML = PAGE
    start(a, { endpoint: 'https://p.example.com', fetch }).apply()
    await settled()
    expect(hero().innerHTML).toBe('Sale!')
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(2))
    expect(fetch.mock.calls[1]![1]).toMatchObject({ headers: { 'If-None-Match': '"v1"' } })
  })

  it('shows default content and reports when the server cannot be reached', async () => {
    const a = await shopper('running')
    start(a, { endpoint: 'https://p.example.com', fetch: () => Promise.reject(new TypeError('offline')) }).apply()
    await settled()
    expect(hero().innerHTML).toBe('<h2>Running week</h2>')
    expect(errors.some((e) => e.code === 'network' && /site config/.test(e.message))).toBe(true)
  })
})

describe('personalize: a malformed config, from wherever it comes', () => {
  // Any JSON value, at any level, as JSON text (`audiences: 5` while a template names an
  // audience, as the page here does); the deep nesting has more levels than a config may hold values.
  const DEEP = 30_000
  const MALFORMED: Array<[string, string]> = [
    ['null', null],
    ['a string', 'x'],
    ['a number', 5],
    ['an array', [{ variants: {} }]],
    ['a slot that lists null', { variants: { hero: [null] } }],
    ['a slot that is a string', { variants: { hero: 'x' } }],
    ['variants that are an array', { variants: [{ id: 'running' }] }],
    ['variants that are a string', { variants: 'hero' }],
    ['audiences that are a number', { audiences: 5 }],
    ['audiences that list null', { audiences: [null] }],
    ['an audience without a condition', { audiences: [{ id: 'big-spenders' }] }],
    ['a variant naming an unknown audience', { variants: { hero: [{ id: 'running', audience: 'nobody' }] } }],
    ['a variant without an id', { variants: { hero: [{ tags: ['category:running'] }] } }],
    ['tags that are not strings', { variants: { hero: [{ id: 'running', tags: [null] }] } }],
    ['content that is not nodes', { variants: { hero: [{ id: 'running', content: { tag: 'h2' } }] } }],
    ['experiments that list null', { experiments: [null] }],
    ['an experiment on a missing slot', { experiments: [{ key: 'k', slot: 'nope', variants: ['running'] }] }],
    ['goals that are a number', { goals: 5 }],
    ['goals that are a string', { goals: 'order_completed' }],
    ['a huge threshold', { affinityThreshold: 1e300 }],
    ['a huge string', { variants: { hero: [{ id: 'running', tags: ['x'.repeat(100_000)] }] } }],
    ['a huge list', { goals: Array.from({ length: 50_000 }, (_, i) => `g${i}`) }],
  ].map(([name, value]) => [name as string, JSON.stringify(value)])
  MALFORMED.push(['a deep nesting', `{"extra":${'{"a":'.repeat(DEEP)}1${'}'.repeat(DEEP + 1)}`])
  // Without a config, the page's templates still decide: a running shopper sees the running hero,
  // and the VIP banner (whose audience no config defines) keeps its default content.
  const expectNoConfig = (p: Personalizer) => {
    expect(hero().innerHTML).toBe('<h2>Running week</h2>')
    expect(p.decide('hero')).toMatchObject({ variant: 'running', reason: { kind: 'affinity' } })
    expect(document.querySelector('[data-attune-slot="banner"]')!.innerHTML).toBe('<p>Free returns</p>')
  }
  const refused = () => errors.filter((e) => e.code === 'config' && /^Ignored a malformed site config \(.+\)\.$/.test(e.message))

  /** A granted, loaded running shopper whose profile lives in IndexedDB, where the config is kept too. */
  const stored = async (): Promise<Attune> => {
    const a = createAttune({ site: 'shop-1' })
    a.on('error', (e) => errors.push(e))
    instances.push(a)
    a.consent.grant()
    await ready(a)
    for (let i = 0; i < 3; i++) a.track('product_viewed', { id: `p${i}`, category: 'running' })
    return a
  }
  const keep = async (value: unknown) => {
    const kv = createKeyValue('attune-shop-1')
    await kv.update('config', () => value)
    kv.close()
  }
  const good: SiteConfig = { variants: { hero: [{ id: 'sale', tags: ['category:running'], content: ['Sale!'] }] } }
  const serve = (json: string) =>
    vi.fn(async (_url: RequestInfo | URL, init?: RequestInit) =>
      (init?.headers as Record<string, string>)['If-None-Match'] === '"v1"'
        ? new Response(null, { status: 304 })
        : new Response(json, { headers: { ETag: '"v1"', 'Content-Type': 'application/json' } }),
    )

  it.each(MALFORMED)('given in code (%s): reported once, then slots show what they would without a config', async (_n, json) => {
    const a = await shopper('running')
    const p = start(a, { config: JSON.parse(json) as SiteConfig })
    p.apply()
    await settled()
    expectNoConfig(p)
    expect(refused()).toHaveLength(1)
  })

  it.each(MALFORMED)('served by the endpoint (%s): reported once, never kept, and slots show what they would without a config', async (_n, json) => {
    const a = await stored()
    const p = start(a, { endpoint: 'https://p.example.com', fetch: serve(json) })
    p.apply()
    await settled()
    expectNoConfig(p)
    expect(refused()).toHaveLength(1)
    expect(await createKeyValue('attune-shop-1').get('config')).toBeUndefined()
  })

  // fake-indexeddb clones values recursively: it cannot hold the deep nesting.
  it.each(MALFORMED.filter(([name]) => name != 'a deep nesting'))('kept in IndexedDB (%s): reported once, and asked for afresh, without its ETag', async (_n, json) => {
    await keep({ etag: '"v1"', config: JSON.parse(json) })
    const a = await stored()
    const fetch = serve(JSON.stringify(good))
    start(a, { endpoint: 'https://p.example.com', fetch }).apply()
    await settled()
    expect(hero().innerHTML).toBe('Sale!')
    expect(fetch.mock.calls[0]![1]!.headers).toEqual({})
    expect(refused()).toHaveLength(1)
    await vi.waitFor(async () => expect(await createKeyValue('attune-shop-1').get('config')).toEqual({ etag: '"v1"', config: good }))
  })

  it.each([
    ['a string', 'x'],
    ['null', null],
    ['a number', 5],
    ['an array', []],
    ['an object without a config', { etag: '"v1"' }],
  ])('kept in IndexedDB as a record that is %s: the config is asked for afresh', async (_n, record) => {
    await keep(record)
    const a = await stored()
    const fetch = serve(JSON.stringify(good))
    start(a, { endpoint: 'https://p.example.com', fetch }).apply()
    await settled()
    expect(hero().innerHTML).toBe('Sale!')
    expect(fetch.mock.calls[0]![1]!.headers).toEqual({})
  })

  it('served by the endpoint while a good copy is kept: the kept copy stays in use', async () => {
    await keep({ etag: '"v0"', config: good })
    const a = await stored()
    const fetch = serve('{"variants":{"hero":[null]}}')
    start(a, { endpoint: 'https://p.example.com', fetch }).apply()
    await settled()
    expect(hero().innerHTML).toBe('Sale!')
    await vi.waitFor(() => expect(refused()).toHaveLength(1))
    expect(await createKeyValue('attune-shop-1').get('config')).toEqual({ etag: '"v0"', config: good })
  })
})

describe('personalize: options', () => {
  it.each([
    ['an endpoint that is not a URL', { endpoint: 'nope' }, /option "endpoint"/],
    ['a fetch that is not a function', { fetch: 1 }, /option "fetch" must be a function/],
    ['a negative timeout', { revealTimeoutMs: -1 }, /revealTimeoutMs/],
  ])('throws a TypeError for %s', (_n, options, why) => {
    const a = attune()
    expect(() => personalize(a, options as never)).toThrow(why)
  })

  it('throws for something that is not an attune instance', () => {
    expect(() => personalize({} as Attune)).toThrow(/needs an instance from createAttune/)
  })
})
