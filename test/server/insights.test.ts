import { describe, expect, it, vi } from 'vitest'
import type { EventBatch } from '../../server/src/db/events'
import { insertEventBatches } from '../../server/src/db/events'
import { rollUp, rollUpAll } from '../../server/src/db/rollup'
import { ADMIN_KEY, auth, drivers, event, newVisitor, startServer, useServer, visitorId } from './helpers'

const HOUR = 3_600_000
/** A parsed JSON answer, read field by field (as `Answer.body` in helpers.ts). */
type J = any // eslint-disable-line @typescript-eslint/no-explicit-any
const DAY = 24 * HOUR
const WEEK = 7 * DAY

type Sent = ReturnType<typeof event>

const exposure = (experiment: string | null, variant: string | null, ts: number, slot = 'hero'): Sent =>
  event({ name: 'exposure', ts, props: { slot, variant, experiment, reason: { kind: 'experiment', key: experiment } } })
const conversion = (goal: string, ts: number, experiments: Record<string, string> = {}): Sent =>
  event({ name: 'conversion', ts, props: { goal, event: crypto.randomUUID(), experiments } })
const step = (name: string, ts: number, props: Record<string, unknown> = {}): Sent => event({ name, ts, props })
const session = (ts: number, campaign: Record<string, string> = {}, id = crypto.randomUUID()): Sent =>
  event({ name: 'session_started', ts, session: id, props: { landing_path: '/', ...campaign } })

/** The config most tests use: a 50/50 test on `hero`, two goals. */
const CONFIG = {
  variants: { hero: [{ id: 'control' }, { id: 'treatment' }], banner: [{ id: 'a' }, { id: 'b' }] },
  experiments: [{ key: 'hero-test', slot: 'hero', variants: ['control', 'treatment'] }],
  goals: ['product_added', 'order_completed'],
}

/** Paths where the contract allows `null`; every other leaf of an answer must be a finite number, a string or a boolean. */
const NULLABLE = new Set(['slot', 'control', 'srm', 'uplift', 'chanceToBeatControl', 'goal'])

/** Walks an answer: no NaN/Infinity anywhere, `null` only where the contract allows it. Returns the offending paths. */
const badLeaves = (value: unknown, path = '$', key = ''): string[] => {
  if (value === null) return NULLABLE.has(key) ? [] : [`${path}: null`]
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [`${path}: ${value}`]
  if (Array.isArray(value)) return value.flatMap((x, i) => badLeaves(x, `${path}[${i}]`, key))
  if (typeof value === 'object') return Object.entries(value as object).flatMap(([k, x]) => badLeaves(x, `${path}.${k}`, k))
  return ['string', 'boolean'].includes(typeof value) ? [] : [`${path}: ${typeof value}`]
}

/** The shape of an ExperimentResult, field by field. */
const expectExperimentShape = (r: Record<string, J>) => {
  expect(Object.keys(r).sort()).toEqual(['bandit', 'configured', 'control', 'enoughData', 'goals', 'key', 'slot', 'srm', 'variants'])
  for (const v of r.variants) expect(v).toEqual({ variant: expect.any(String), exposures: expect.any(Number) })
  if (r.srm !== null) expect(r.srm).toEqual({ chiSquare: expect.any(Number), df: expect.any(Number), pValue: expect.any(Number), flagged: expect.any(Boolean) })
  for (const g of r.goals) {
    expect(g.goal).toEqual(expect.any(String))
    for (const v of g.variants) {
      expect(Object.keys(v).sort()).toEqual(['chanceToBeatControl', 'conversions', 'exposures', 'rate', 'uplift', 'variant'])
      if (v.uplift !== null) expect(v.uplift).toEqual({ relative: expect.any(Number), low: expect.any(Number), high: expect.any(Number) })
    }
  }
}

describe.each(drivers)('insights: rollups and admin routes ($name)', (driver) => {
  let skew = 0
  const t = useServer(driver, { now: () => Date.now() + skew })

  const admin = (path: string, key = ADMIN_KEY) => t.request('GET', `/v1/admin${path}`, { headers: auth(key) })
  const freshSite = async (name: string, config: Record<string, unknown> = CONFIG): Promise<string> => {
    expect((await t.request('PUT', `/v1/admin/sites/${name}/config`, { body: { config }, headers: auth(ADMIN_KEY) })).status).toBe(200)
    return name
  }
  /** A new visitor of `site` (its first contact sends one page_viewed), and a way to send as it through collect. */
  const visitor = async (site: string) => {
    const { visitor: id, token } = await newVisitor(t, site)
    const send = async (events: Sent[], expected = events.length) => {
      const answer = await t.request('POST', '/v1/collect', { body: { site, visitor: id, token, events } })
      expect(answer.status).toBe(200)
      expect(answer.body.accepted).toBe(expected)
      return answer.body
    }
    return { id, send }
  }
  const result = async (site: string, key = 'hero-test') => {
    const answer = await admin(`/sites/${site}/experiments/${key}`)
    expect(answer.status).toBe(200)
    expect(badLeaves(answer.body)).toEqual([])
    expectExperimentShape(answer.body)
    return answer.body
  }
  const row = (r: J, goal: string, variant: string) => r.goals.find((g: J) => g.goal === goal).variants.find((v: J) => v.variant === variant)

  it('every insight route is behind the admin key: none or a bad one → 401', async () => {
    const site = await freshSite('ins-auth')
    for (const path of ['experiments', 'experiments/hero-test', 'funnels', 'anomalies', 'series']) {
      const none = await t.request('GET', `/v1/admin/sites/${site}/${path}`)
      expect([none.status, none.body.reason]).toEqual([401, 'bad_admin_key'])
      const bad = await admin(`/sites/${site}/${path}`, 'not-the-key')
      expect([bad.status, bad.body.reason]).toEqual([401, 'bad_admin_key'])
    }
  })

  it('unknown site → 404 unknown_site; unknown experiment → 404 unknown_experiment', async () => {
    for (const path of ['experiments', 'experiments/hero-test', 'funnels', 'anomalies', 'series']) {
      const answer = await admin(`/sites/no-such-site/${path}`)
      expect([answer.status, answer.body.reason]).toEqual([404, 'unknown_site'])
    }
    const site = await freshSite('ins-unknown')
    const answer = await admin(`/sites/${site}/experiments/nope`)
    expect([answer.status, answer.body.reason]).toEqual([404, 'unknown_experiment'])
    const funnel = await admin(`/sites/${site}/funnels?by=variant&experiment=nope`)
    expect([funnel.status, funnel.body.reason]).toEqual([404, 'unknown_experiment'])
  })

  it.each([
    ['funnels?steps=', /steps/],
    ['funnels?steps=a,,b', /step is an event name/],
    ['funnels?steps=a,b,a', /only once/],
    ['funnels?steps=' + Array.from({ length: 11 }, (_, i) => `s${i}`).join(','), /at most 10 steps/],
    ['funnels?by=country', /by is variant, segment or channel/],
    ['funnels?by=variant', /by=variant needs experiment/],
    ['funnels?from=abc', /epoch milliseconds/],
    ['funnels?from=2000&to=1000', /from must not be after to/],
    ['funnels?colour=red', /colour/],
    ['anomalies?to=-5', /epoch milliseconds/],
    ['anomalies?from=0&to=' + 200 * DAY, /at most 90 days/],
    ['series?metric=clicks', /metric is events or conversions/],
    ['series?metric=events&goal=order_completed', /goal goes with metric=conversions/],
    ['series?from=1.5', /epoch milliseconds/],
  ])('bad query %s → 400 with a reason', async (path, why) => {
    const site = await freshSite('ins-bad')
    const answer = await admin(`/sites/${site}/${path}`)
    expect(answer.status).toBe(400)
    expect(answer.body).toMatchObject({ error: 'bad_request', reason: expect.stringMatching(/^(schema|unknown_field)$/), message: expect.stringMatching(why) })
  })

  it('an empty site, zero exposures and a variant without conversions answer numbers, never NaN or a stray null', async () => {
    const site = await freshSite('ins-empty', {
      ...CONFIG,
      experiments: [...CONFIG.experiments, { key: 'banner-test', slot: 'banner', variants: ['a', 'b'], holdout: 0.1 }],
    })
    const empty = await Promise.all(['experiments', 'experiments/hero-test', 'funnels', 'funnels?by=channel', 'funnels?by=segment', 'funnels?by=variant&experiment=hero-test', 'funnels?steps=page_viewed,product_viewed', 'anomalies', 'series', 'series?metric=conversions&goal=order_completed'].map((p) => admin(`/sites/${site}/${p}`)))
    for (const answer of empty) {
      expect(answer.status).toBe(200)
      expect(badLeaves(answer.body)).toEqual([])
    }
    const [list, one, funnel] = empty as [J, J, J]
    expect(list.body.experiments.map((e: J) => e.key)).toEqual(['hero-test', 'banner-test'])
    expect(one.body).toMatchObject({ key: 'hero-test', slot: 'hero', control: 'control', configured: true, bandit: false, srm: null, enoughData: false })
    expect(one.body.variants).toEqual([{ variant: 'control', exposures: 0 }, { variant: 'treatment', exposures: 0 }])
    expect(list.body.experiments[1].variants).toEqual([{ variant: 'a', exposures: 0 }, { variant: 'b', exposures: 0 }, { variant: 'default', exposures: 0 }])
    expect(row(one.body, 'order_completed', 'treatment')).toEqual({ variant: 'treatment', exposures: 0, conversions: 0, rate: 0, uplift: null, chanceToBeatControl: null })
    expect(funnel.body.groups).toEqual([{ group: 'all', visitors: [0, 0, 0, 0], dropOff: [0, 0, 0, 0] }])
    expect(empty[7]?.body).toMatchObject({ anomalies: [], enoughHistory: false })
    expect(empty[8]?.body.points.every((p: J) => p.value === 0)).toBe(true)

    // Exposures, but no conversion at all: rates 0, uplift undefined (control rate 0) → null.
    const now = Date.now()
    await (await visitor(site)).send([exposure('hero-test', 'control', now - 1000)])
    await (await visitor(site)).send([exposure('hero-test', 'treatment', now - 1000)])
    const some = await result(site)
    expect(some.variants).toEqual([{ variant: 'control', exposures: 1 }, { variant: 'treatment', exposures: 1 }])
    expect(row(some, 'product_added', 'treatment')).toMatchObject({ exposures: 1, conversions: 0, rate: 0, uplift: null })
    expect(row(some, 'product_added', 'control')).toMatchObject({ uplift: null, chanceToBeatControl: null })
    expect(some.srm).not.toBeNull()
  })

  it('results match hand counts: unique exposed visitors, conversions after exposure only, duplicates and retries counted once', async () => {
    const site = await freshSite('ins-counts')
    const t0 = Date.now() - 10 * 60_000
    const min = (n: number) => t0 + n * 60_000

    // Control: c1 converts (product_added) after exposure; c2 converted before exposure only (not counted);
    // c3 is exposed on two page views (one visitor) and converts twice (one converted visitor).
    const c1 = await visitor(site)
    await c1.send([exposure('hero-test', 'control', min(0)), conversion('product_added', min(1))])
    const c2 = await visitor(site)
    await c2.send([conversion('product_added', min(0)), exposure('hero-test', 'control', min(1))])
    const c3 = await visitor(site)
    await c3.send([exposure('hero-test', 'control', min(0)), exposure('hero-test', 'control', min(2)), conversion('product_added', min(3)), conversion('product_added', min(4))])
    // Treatment: t1 converts on both goals; its batch is retried (same ids): nothing counts twice.
    const t1 = await visitor(site)
    const batch = [exposure('hero-test', 'treatment', min(0)), conversion('product_added', min(1)), conversion('order_completed', min(2))]
    await t1.send(batch)
    expect(await t1.send(batch, 0)).toMatchObject({ duplicates: 3 })
    // Switcher: first exposed to control, later to treatment: stays in control (first exposure), its conversion counts there.
    const sw = await visitor(site)
    await sw.send([exposure('hero-test', 'treatment', min(5)), conversion('order_completed', min(6))])
    await sw.send([exposure('hero-test', 'control', min(3))])
    // Holdout (experiment set, variant null) → "default"; and an exposure to no experiment is not counted.
    const h = await visitor(site)
    await h.send([exposure('hero-test', null, min(0)), exposure(null, null, min(0)), conversion('order_completed', min(1))])

    const r = await result(site)
    expect(r.variants).toEqual([
      { variant: 'control', exposures: 4 },
      { variant: 'treatment', exposures: 1 },
      { variant: 'default', exposures: 1 },
    ])
    expect(row(r, 'product_added', 'control')).toMatchObject({ exposures: 4, conversions: 2, rate: 0.5, uplift: null, chanceToBeatControl: null })
    expect(row(r, 'product_added', 'treatment')).toMatchObject({ exposures: 1, conversions: 1, rate: 1 })
    expect(row(r, 'product_added', 'treatment').uplift).toMatchObject({ relative: expect.closeTo(1, 9) })
    expect(row(r, 'order_completed', 'control')).toMatchObject({ conversions: 1 })
    expect(row(r, 'order_completed', 'treatment')).toMatchObject({ conversions: 1 })
    expect(row(r, 'order_completed', 'default')).toMatchObject({ exposures: 1, conversions: 1 })
    expect(r.enoughData).toBe(false)

    // The list holds the same result.
    const list = await admin(`/sites/${site}/experiments`)
    expect(list.body.experiments).toEqual([r])
  })

  it('incremental: collect, read, collect more, read → the new events counted once, the old ones not again', async () => {
    const site = await freshSite('ins-incremental')
    const now = Date.now() - 60_000
    const a = await visitor(site)
    await a.send([exposure('hero-test', 'control', now), conversion('order_completed', now + 1)])
    const first = await result(site)
    expect(row(first, 'order_completed', 'control')).toMatchObject({ exposures: 1, conversions: 1 })
    const firstSeries = (await admin(`/sites/${site}/series`)).body.points.reduce((s: number, p: J) => s + p.value, 0)

    const b = await visitor(site)
    await b.send([exposure('hero-test', 'control', now), exposure('hero-test', 'treatment', now)])
    await a.send([conversion('order_completed', now + 2)])
    const second = await result(site)
    expect(second.variants).toEqual([{ variant: 'control', exposures: 2 }, { variant: 'treatment', exposures: 0 }])
    expect(row(second, 'order_completed', 'control')).toMatchObject({ exposures: 2, conversions: 1 })
    // b's first contact (1 page_viewed) + 2 exposures + a's conversion.
    const secondSeries = (await admin(`/sites/${site}/series`)).body.points.reduce((s: number, p: J) => s + p.value, 0)
    expect(secondSeries).toBe(firstSeries + 4)
    // A third read with nothing new changes nothing.
    expect(await result(site)).toEqual(second)
  })

  it('an event stored after a rollup but dated before the events it rolled up is still counted (no time watermark)', async () => {
    const site = await freshSite('ins-late-dated')
    const now = Date.now()
    const a = await visitor(site)
    await a.send([exposure('hero-test', 'treatment', now - 1000)])
    expect((await result(site)).variants[1]).toEqual({ variant: 'treatment', exposures: 1 })
    // Dated an hour earlier: an earlier exposure to control, and a conversion between the two.
    await a.send([exposure('hero-test', 'control', now - HOUR), conversion('order_completed', now - HOUR / 2)])
    const r = await result(site)
    expect(r.variants).toEqual([{ variant: 'control', exposures: 1 }, { variant: 'treatment', exposures: 0 }])
    expect(row(r, 'order_completed', 'control')).toMatchObject({ conversions: 1 })
    expect(row(r, 'order_completed', 'treatment')).toMatchObject({ conversions: 0 })
  })

  it('an event whose transaction commits after a rollup started is rolled up later, never skipped', async () => {
    const site = await freshSite('ins-late-commit')
    const now = Date.now()
    await (await visitor(site)).send([exposure('hero-test', 'control', now - 2000)])
    const late: EventBatch = { site, visitor: visitorId(), events: [exposure('hero-test', 'treatment', now - 3000)], now: now - 3000 }
    let commit!: () => void
    const held = new Promise<void>((resolve) => (commit = resolve))
    let inserted!: () => void
    const insertedYet = new Promise<void>((resolve) => (inserted = resolve))
    const writer = t.server.db.transaction(async (tx) => {
      await insertEventBatches(tx, [late])
      inserted()
      await held
    })
    if (driver.name === 'postgres') {
      // Another connection: a rollup meanwhile cannot see the uncommitted event, and must not skip it later.
      await insertedYet
      expect((await result(site)).variants).toEqual([{ variant: 'control', exposures: 1 }, { variant: 'treatment', exposures: 0 }])
      // An event stored (and committed) after the held one, with a later time.
      await (await visitor(site)).send([exposure('hero-test', 'control', now - 1000)])
      expect((await result(site)).variants).toEqual([{ variant: 'control', exposures: 2 }, { variant: 'treatment', exposures: 0 }])
      commit()
      await writer
    } else {
      // PGlite has one connection: a rollup asked for meanwhile waits for the transaction to end.
      await insertedYet
      const reading = result(site)
      commit()
      await writer
      await reading
      await (await visitor(site)).send([exposure('hero-test', 'control', now - 1000)])
    }
    expect((await result(site)).variants).toEqual([{ variant: 'control', exposures: 2 }, { variant: 'treatment', exposures: 1 }])
  })

  it('the rollup runs by itself shortly after an ingest: the queue empties with no read asking for it', async () => {
    const site = await freshSite('ins-debounce')
    await (await visitor(site)).send([exposure('hero-test', 'control', Date.now() - 1000)])
    await vi.waitFor(async () => expect(await t.count('rollup_queue')).toBe(0), { timeout: 20_000, interval: 100 })
    expect(await t.sql(`SELECT variant, exposures::int AS n FROM insight_arms WHERE site = $1`, [site])).toEqual([{ variant: 'control', n: 1 }])
  })

  it('two rollers at once (two servers on PostgreSQL, two calls on PGlite) count every event once', async () => {
    const site = await freshSite('ins-two-rollers')
    const now = Date.now() - 60_000
    // Five statements of 60 visitors each: five queue rows, taken a few at a time.
    for (const variant of ['control', 'treatment', 'control', 'treatment', 'control']) {
      await insertEventBatches(t.server.db, Array.from({ length: 60 }, (): EventBatch => ({ site, visitor: visitorId(), events: [exposure('hero-test', variant, now)], now })))
    }
    const other = driver.name === 'postgres' ? await startServer(t.url) : undefined
    try {
      const dbs = [t.server.db, other?.server.db ?? t.server.db]
      await Promise.all([rollUpAll(dbs[0]!, 60), rollUpAll(dbs[1]!, 60), rollUp(dbs[0]!, { limit: 60, wait: false }), rollUp(dbs[1]!, { limit: 60, wait: false })])
    } finally {
      await other?.server.close()
    }
    expect(await t.count('rollup_queue', 'site = $1', [site])).toBe(0)
    expect((await result(site)).variants).toEqual([{ variant: 'control', exposures: 180 }, { variant: 'treatment', exposures: 120 }])
  })

  it('SRM is flagged on a broken 50/50 split (1,000 vs 800) and not on a sound one (1,000 vs 1,010)', async () => {
    const site = await freshSite('ins-srm')
    const now = Date.now() - 60_000
    // Stored with the function collect stores through (1,800 visitors through HTTP would be slow).
    const store = async (variant: string, n: number) => {
      const batches = Array.from({ length: n }, (): EventBatch => ({ site, visitor: visitorId(), events: [exposure('hero-test', variant, now)], now }))
      await insertEventBatches(t.server.db, batches)
    }
    await store('control', 1000)
    await store('treatment', 800)
    const broken = await result(site)
    expect(broken.variants).toEqual([{ variant: 'control', exposures: 1000 }, { variant: 'treatment', exposures: 800 }])
    expect(broken.srm).toMatchObject({ df: 1, flagged: true })
    // Pearson's χ² by hand: expected 900 each, (100² + 100²) / 900.
    expect(broken.srm.chiSquare).toBeCloseTo(200 / 9, 0)
    expect(broken.enoughData).toBe(true)

    const sound = await freshSite('ins-srm-ok')
    const storeSound = async (variant: string, n: number) =>
      insertEventBatches(t.server.db, Array.from({ length: n }, (): EventBatch => ({ site: sound, visitor: visitorId(), events: [exposure('hero-test', variant, now)], now })))
    await storeSound('control', 1000)
    await storeSound('treatment', 1010)
    expect((await result(sound)).srm).toMatchObject({ flagged: false })
  })

  it('funnels: steps in order with drop-off, overall, by channel, by segment and by variant', async () => {
    const site = await freshSite('ins-funnel')
    const t0 = Date.now() - 3 * HOUR
    const at = (m: number) => t0 + m * 60_000
    const [viewed, added, checkout, order] = ['product_viewed', 'product_added', 'checkout_started', 'order_completed']
    // 1: all four steps, from a newsletter (utm_source), new.
    await (await visitor(site)).send([session(at(0), { utm_source: 'newsletter' }), exposure('hero-test', 'control', at(0)), step(viewed, at(1)), step(added, at(2)), step(checkout, at(3)), step(order, at(4))])
    // 2: viewed and added, from a search engine (referrer host), new.
    await (await visitor(site)).send([session(at(0), { referrer_host: 'www.search.example' }), exposure('hero-test', 'treatment', at(0)), step(viewed, at(1)), step(added, at(2))])
    // 3: added before viewing: only the first step in order; direct.
    await (await visitor(site)).send([session(at(0)), exposure('hero-test', 'treatment', at(0)), step(added, at(1)), step(viewed, at(2)), step(checkout, at(3))])
    // 4: returning (a second session before the first step), viewed, added, checkout; newsletter.
    await (await visitor(site)).send([session(at(0), { utm_source: 'newsletter' }), session(at(60), {}), step(viewed, at(61)), step(added, at(62)), step(checkout, at(63))])
    // 5: never viewed a product: not in the funnel.
    await (await visitor(site)).send([session(at(0)), step(added, at(1))])

    const all = await admin(`/sites/${site}/funnels`)
    expect(all.status).toBe(200)
    expect(badLeaves(all.body)).toEqual([])
    expect(all.body).toMatchObject({ site, steps: [viewed, added, checkout, order], by: 'all' })
    expect(all.body.groups).toEqual([{ group: 'all', visitors: [4, 3, 2, 1], dropOff: [0, 0.25, 1 / 3, 0.5] }])

    const channel = await admin(`/sites/${site}/funnels?by=channel`)
    expect(channel.body.groups).toEqual([
      { group: 'newsletter', visitors: [2, 2, 2, 1], dropOff: [0, 0, 0, 0.5] },
      { group: 'direct', visitors: [1, 0, 0, 0], dropOff: [0, 1, 0, 0] },
      { group: 'www.search.example', visitors: [1, 1, 0, 0], dropOff: [0, 0, 1, 0] },
    ])

    const segment = await admin(`/sites/${site}/funnels?by=segment`)
    expect(segment.body.groups).toEqual([
      { group: 'new', visitors: [3, 2, 1, 1], dropOff: [0, 1 / 3, 0.5, 0] },
      { group: 'returning', visitors: [1, 1, 1, 0], dropOff: [0, 0, 0, 1] },
    ])

    const variant = await admin(`/sites/${site}/funnels?by=variant&experiment=hero-test`)
    expect(variant.body.groups).toEqual([
      { group: 'control', visitors: [1, 1, 1, 1], dropOff: [0, 0, 0, 0] },
      { group: 'treatment', visitors: [2, 1, 0, 0], dropOff: [0, 0.5, 1, 0] },
    ])

    // Any steps (read from the events, same rules): added → checkout.
    const custom = await admin(`/sites/${site}/funnels?steps=${added},${checkout}&by=segment`)
    expect(custom.body.groups).toEqual([
      { group: 'new', visitors: [4, 2], dropOff: [0, 0.5] },
      { group: 'returning', visitors: [1, 1], dropOff: [0, 0] },
    ])
    const customVariant = await admin(`/sites/${site}/funnels?steps=${added},${checkout}&by=variant&experiment=hero-test`)
    expect(customVariant.body.groups).toEqual([
      { group: 'control', visitors: [1, 1], dropOff: [0, 0] },
      { group: 'treatment', visitors: [2, 1], dropOff: [0, 0.5] },
    ])

    // The window is on the hour of the first step: a window that ends before it finds no one.
    const before = await admin(`/sites/${site}/funnels?from=${t0 - 10 * DAY}&to=${t0 - 5 * DAY}`)
    expect(before.body.groups).toEqual([{ group: 'all', visitors: [0, 0, 0, 0], dropOff: [0, 0, 0, 0] }])
  })

  it('series: events and conversions per hour, hours without any as 0', async () => {
    const site = await freshSite('ins-series')
    const hour = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR
    const a = await visitor(site)
    await a.send([step('product_viewed', hour + 5), step('product_viewed', hour + 10), conversion('order_completed', hour + 20), conversion('product_added', hour + 2 * HOUR + 1)])
    const from = hour - HOUR
    const to = hour + 2 * HOUR + 5
    const events = await admin(`/sites/${site}/series?from=${from}&to=${to}`)
    expect(events.status).toBe(200)
    expect(events.body).toMatchObject({ site, metric: 'events', goal: null })
    expect(events.body.points).toEqual([
      { hour: hour - HOUR, value: 0 },
      { hour, value: 3 },
      { hour: hour + HOUR, value: 0 },
      { hour: hour + 2 * HOUR, value: 1 },
    ])
    const orders = await admin(`/sites/${site}/series?metric=conversions&goal=order_completed&from=${from}&to=${to}`)
    expect(orders.body.points.map((p: J) => p.value)).toEqual([0, 1, 0, 0])
    const conversions = await admin(`/sites/${site}/series?metric=conversions&from=${from}&to=${to}`)
    expect(conversions.body.points.map((p: J) => p.value)).toEqual([0, 1, 0, 1])
  })

  it('anomalies: a spike in events and a drop in a conversion rate of a seeded week-over-week series are found, and only they', async () => {
    const site = await freshSite('ins-anomalies')
    // Eight weeks of hourly counts with a daily and weekly rhythm, written straight into the
    // hourly rollup (8 weeks of events through collect would take minutes), then one hour at 5×.
    const last = Math.floor(Date.now() / HOUR) * HOUR - HOUR
    const start = last - 8 * WEEK
    const values: [number, number][] = []
    for (let hour = start; hour <= last; hour += HOUR) {
      const h = new Date(hour).getUTCHours()
      const weekend = [0, 6].includes(new Date(hour).getUTCDay())
      const base = (weekend ? 140 : 100) * (1 + 0.5 * Math.sin(((h - 6) / 24) * 2 * Math.PI))
      // A small deterministic wobble, so the history is not flat.
      values.push([hour, Math.round(base + ((hour / HOUR) % 7) - 3)])
    }
    const spikeAt = last - 5 * HOUR
    for (const pair of values) if (pair[0] === spikeAt) pair[1] *= 5
    await t.sql(
      `INSERT INTO insight_hourly (site, hour, name, events) SELECT $1, (x->>0)::bigint, 'page_viewed', (x->>1)::bigint FROM jsonb_array_elements($2::jsonb) x`,
      [site, JSON.stringify(values)],
    )
    // 1,000 sessions an hour converting at ~5 % on order_completed, except one hour with no order.
    const dropAt = last - 10 * HOUR
    const sessions = values.map(([hour]) => [hour, 1000])
    const orders = values.map(([hour]) => [hour, hour === dropAt ? 0 : 50 + ((hour / HOUR) % 3) - 1])
    await t.sql(
      `INSERT INTO insight_hourly (site, hour, name, events) SELECT $1, (x->>0)::bigint, 'session_started', (x->>1)::bigint FROM jsonb_array_elements($2::jsonb) x`,
      [site, JSON.stringify(sessions)],
    )
    await t.sql(
      `INSERT INTO insight_hourly_goals (site, hour, goal, conversions) SELECT $1, (x->>0)::bigint, 'order_completed', (x->>1)::bigint FROM jsonb_array_elements($2::jsonb) x`,
      [site, JSON.stringify(orders)],
    )
    const answer = await admin(`/sites/${site}/anomalies?from=${last - DAY}&to=${last + HOUR - 1}`)
    expect(answer.status).toBe(200)
    expect(badLeaves(answer.body)).toEqual([])
    expect(answer.body.enoughHistory).toBe(true)
    const spike = answer.body.anomalies.find((a: J) => a.hour === spikeAt && a.metric === 'events')
    expect(spike).toMatchObject({ goal: null, direction: 'spike', value: (values.find((p) => p[0] === spikeAt)?.[1] as number) + 1000 })
    expect(spike.expected).toBeLessThan(spike.value)
    const drop = answer.body.anomalies.find((a: J) => a.hour === dropAt && a.metric === 'conversion_rate')
    expect(drop).toMatchObject({ goal: 'order_completed', direction: 'drop', value: 0 })
    expect(drop.expected).toBeCloseTo(0.05, 2)
    // Only those two hours stand out.
    expect(answer.body.anomalies.map((a: J) => [a.hour, a.metric])).toEqual([[spikeAt - 5 * HOUR, 'conversion_rate'], [spikeAt, 'events']])
    // Outside the window asked for, nothing is reported.
    const earlier = await admin(`/sites/${site}/anomalies?from=${last - 3 * DAY}&to=${last - 2 * DAY}`)
    expect(earlier.body.anomalies).toEqual([])
    // Two weeks of history are not enough for the detectors (they need three).
    const young = await admin(`/sites/${site}/anomalies?from=${start + 2 * WEEK}&to=${start + 2 * WEEK + DAY}`)
    expect(young.body).toMatchObject({ anomalies: [], enoughHistory: false })
  })

  it('bandit stats: the site config publishes trials and successes from the rollups, refreshed after a minute, ETag following', async () => {
    const site = await freshSite('ins-bandit', {
      ...CONFIG,
      experiments: [
        { key: 'hero-bandit', slot: 'hero', variants: ['control', 'treatment'], bandit: { stats: {} } },
        { key: 'banner-bandit', slot: 'banner', variants: ['a', 'b'], bandit: { stats: {}, goal: 'order_completed' } },
      ],
    })
    const now = Date.now() - 60_000
    const config = async () => t.request('GET', `/v1/sites/${site}/config`)
    const before = await config()
    expect(before.body.experiments[0].bandit.stats).toEqual({ control: { successes: 0, trials: 0 }, treatment: { successes: 0, trials: 0 } })

    // hero: control 2 exposed, 1 added to cart after exposure; treatment 1 exposed, converted before exposure only.
    await (await visitor(site)).send([exposure('hero-bandit', 'control', now), exposure('banner-bandit', 'b', now), conversion('product_added', now + 1), conversion('order_completed', now + 2)])
    await (await visitor(site)).send([exposure('hero-bandit', 'control', now)])
    await (await visitor(site)).send([conversion('product_added', now - 1), exposure('hero-bandit', 'treatment', now)])
    expect((await admin(`/sites/${site}/experiments/hero-bandit`)).status).toBe(200) // the rollup has run

    // Within the minute: the published stats (and the ETag) are those read before.
    const cached = await config()
    expect(cached.headers.get('etag')).toBe(before.headers.get('etag'))
    skew += 61_000
    const fresh = await config()
    expect(fresh.status).toBe(200)
    expect(fresh.body.experiments[0].bandit).toEqual({ stats: { control: { successes: 1, trials: 2 }, treatment: { successes: 0, trials: 1 } } })
    expect(fresh.body.experiments[1].bandit).toEqual({ goal: 'order_completed', stats: { a: { successes: 0, trials: 0 }, b: { successes: 1, trials: 1 } } })
    const etag = fresh.headers.get('etag') as string
    expect(etag).not.toBe(before.headers.get('etag'))
    expect((await t.request('GET', `/v1/sites/${site}/config`, { headers: { 'if-none-match': etag } })).status).toBe(304)
    const result = await admin(`/sites/${site}/experiments/hero-bandit`)
    expect(result.body).toMatchObject({ bandit: true, srm: null })
  })

  it('an erased visitor leaves no per-visitor insight state behind', async () => {
    const site = await freshSite('ins-erase')
    const a = await visitor(site)
    await a.send([session(Date.now() - 1000), exposure('hero-test', 'control', Date.now() - 900), step('product_viewed', Date.now() - 800), conversion('order_completed', Date.now() - 700)])
    await result(site)
    const states = () => Promise.all(['insight_visitors', 'insight_members', 'insight_goals'].map((table) => t.count(table, 'site = $1 AND visitor = $2', [site, a.id])))
    expect(await states()).toEqual([1, 1, 1])
    const { erase } = await import('../../server/src/db/profiles')
    await t.server.db.transaction((tx) => erase(tx, site, [a.id]))
    expect(await states()).toEqual([0, 0, 0])
  })
})
