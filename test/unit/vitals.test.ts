import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError, type TrackedEvent } from '../../src/index'
import { personalize, type Personalizer } from '../../src/personalize'
import { vitals } from '../../src/vitals'
import { freshIndexedDb } from './fresh'

/** What vitals() handed to web-vitals: jsdom has no paint or layout, so the tests report for it. */
type Callback = (m: unknown) => void
const registered = vi.hoisted(() => ({ LCP: [] as Callback[], CLS: [] as Callback[], INP: [] as Callback[], options: [] as unknown[] }))
vi.mock('web-vitals/attribution', () => ({
  onLCP: (fn: Callback, options: unknown) => (registered.LCP.push(fn), registered.options.push(options)),
  onCLS: (fn: Callback, options: unknown) => (registered.CLS.push(fn), registered.options.push(options)),
  onINP: (fn: Callback, options: unknown) => (registered.INP.push(fn), registered.options.push(options)),
}))

/** Reports `metric` as web-vitals would, to every callback registered for its name. */
const emit = <M extends { name: 'LCP' | 'CLS' | 'INP' }>(metric: M): M => {
  for (const fn of registered[metric.name]) fn(metric)
  return metric
}

/** The tab is hidden (switched away from, minimised, or the page is going). */
const hide = (): void => {
  Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true })
  document.dispatchEvent(new Event('visibilitychange'))
}
/** The page is being closed or navigated away from: `pagehide` comes before it is hidden. */
const pagehide = (): void => void window.dispatchEvent(new Event('pagehide'))

const el = (selector: string): Element => document.querySelector(selector) as Element
const long = 'div.' + 'x'.repeat(150)

const lcp = (over: Record<string, unknown> = {}) => ({
  name: 'LCP' as const,
  value: 1834.6,
  delta: 1834.6,
  rating: 'good',
  id: 'v6-1-lcp',
  navigationType: 'navigate',
  navigationId: 1,
  entries: [],
  attribution: {
    target: 'section>h2',
    url: 'https://cdn.example/hero.jpg?session=secret',
    timeToFirstByte: 120.4,
    resourceLoadDelay: 30.5,
    resourceLoadDuration: 400.2,
    elementRenderDelay: 12.7,
    lcpEntry: { element: el('[data-attune-slot="hero"] h2') },
    navigationEntry: { name: 'https://shop.example/?email=a@b.example' },
  },
  ...over,
})
const cls = (over: Record<string, unknown> = {}) => ({
  name: 'CLS' as const,
  value: 0.123456,
  delta: 0.123456,
  rating: 'needs-improvement',
  id: 'v6-1-cls',
  navigationType: 'navigate',
  navigationId: 1,
  entries: [],
  attribution: { largestShiftTarget: long, largestShiftValue: 0.1004, largestShiftTime: 900.3, loadState: 'complete', largestShiftSource: { node: el('#news').firstChild } },
  ...over,
})
const inp = (over: Record<string, unknown> = {}) => ({
  name: 'INP' as const,
  value: 256,
  delta: 256,
  rating: 'needs-improvement',
  id: 'v6-1-inp',
  navigationType: 'reload',
  navigationId: 1,
  entries: [{ target: el('[data-attune-slot="banner"] button') }],
  attribution: {
    interactionTarget: 'aside>button.cta',
    interactionType: 'pointer',
    interactionTime: 5000.1,
    loadState: 'complete',
    inputDelay: 3.3,
    processingDuration: 200.6,
    presentationDelay: 52.1,
    processedEventEntries: [],
    longAnimationFrameEntries: [],
  },
  ...over,
})

const PAGE = `
<p id="news">Free shipping this week</p>
<section data-attune-slot="hero"><h2>Welcome</h2></section>
<template data-attune-variant="hero" data-attune-id="running" data-attune-tags="category:running"><h2>Running week</h2></template>
<aside data-attune-slot="banner"><p>Free returns</p><button class="cta">Shop</button></aside>
<template data-attune-variant="banner" data-attune-id="hiking" data-attune-tags="category:hiking"><p>VIP early access</p><button class="cta">Shop</button></template>`

let instances: Attune[] = []
let controllers: Personalizer[] = []
let stops: Array<() => void> = []
let errors: AttuneError[] = []

const attune = (): Attune => {
  const a = createAttune({ site: 'shop-1', storage: 'memory' })
  a.on('error', (e) => errors.push(e))
  instances.push(a)
  return a
}
const ready = (a: Attune): Promise<unknown> => new Promise((resolve) => a.on('ready', resolve))
/** vitals(), once web-vitals (imported by the call) has been handed its callbacks. */
const start = async (a: Attune, options?: Parameters<typeof vitals>[1]): Promise<() => void> => {
  const stop = vitals(a, options)
  stops.push(stop)
  await vi.dynamicImportSettled()
  return stop
}
const apply = (a: Attune): Personalizer => {
  const p = personalize(a, { revealTimeoutMs: 60_000 })
  controllers.push(p)
  p.apply()
  return p
}
const settled = () => vi.waitFor(() => expect(document.querySelectorAll('[data-attune-shown]')).toHaveLength(2))
/** The `web_vital` events the instance accepted (under consent), as `attune/sync` would send them. */
const sent = (a: Attune): TrackedEvent[] => {
  const events: TrackedEvent[] = []
  a.on('track', (event) => event.name === 'web_vital' && events.push(event))
  return events
}

/** A shopper who viewed running products: hero decides `running`, banner keeps its default. */
const runner = async (): Promise<Attune> => {
  const a = attune()
  a.consent.grant()
  await ready(a)
  for (let i = 0; i < 3; i++) a.track('product_viewed', { id: `p${i}`, category: 'running' })
  return a
}

beforeEach(() => {
  freshIndexedDb()
  errors = []
  registered.LCP = []
  registered.CLS = []
  registered.INP = []
  registered.options = []
  document.body.innerHTML = PAGE
  document.documentElement.className = ''
})
afterEach(async () => {
  delete (document as { visibilityState?: unknown }).visibilityState
  for (const stop of stops) stop()
  for (const p of controllers) p.stop()
  await Promise.all(instances.map((a) => a.destroy()))
  stops = []
  controllers = []
  instances = []
  localStorage.clear()
})

describe('attune/vitals', () => {
  it('measures LCP, CLS and INP through web-vitals once vitals() is called, and not before', async () => {
    const a = attune()
    expect(registered.LCP.length + registered.CLS.length + registered.INP.length).toBe(0)
    await start(a)
    expect([registered.LCP.length, registered.CLS.length, registered.INP.length]).toEqual([1, 1, 1])
    // Every change, so the values known when the page goes can go with it (below).
    expect(registered.options).toEqual([{ reportAllChanges: true }, { reportAllChanges: true }, { reportAllChanges: true }])
  })

  it('stopped before web-vitals has loaded, it never starts measuring', async () => {
    const stop = vitals(attune())
    stop()
    await vi.dynamicImportSettled()
    expect(registered.LCP.length + registered.CLS.length + registered.INP.length).toBe(0)
  })

  it('when the page is hidden, sends each value as a web_vital event tagged with the variant of every slot: its id, or null for default content', async () => {
    const a = await runner()
    const events = sent(a)
    await start(a)
    apply(a)
    await settled()
    expect(el('[data-attune-slot="hero"]').textContent).toBe('Running week')

    emit(lcp())
    emit(cls())
    emit(inp())
    // web-vitals reports every change; nothing is sent until the page is hidden.
    expect(events).toEqual([])
    hide()
    const variants = { hero: 'running', banner: null }
    expect(events.map((e) => e.props)).toEqual([
      {
        metric: 'LCP',
        value: 1834.6,
        rating: 'good',
        navigationType: 'navigate',
        id: 'v6-1-lcp',
        variants,
        // No URL: the image's could carry a session, the page's anything.
        attribution: { target: 'section>h2', slot: 'hero', timeToFirstByte: 120, resourceLoadDelay: 31, resourceLoadDuration: 400, elementRenderDelay: 13 },
      },
      {
        metric: 'CLS',
        value: 0.123456,
        rating: 'needs-improvement',
        navigationType: 'navigate',
        id: 'v6-1-cls',
        variants,
        // The shifted text is outside any slot.
        attribution: { largestShiftTarget: long.slice(0, 100), largestShiftValue: 0.1004, loadState: 'complete' },
      },
      {
        metric: 'INP',
        value: 256,
        rating: 'needs-improvement',
        navigationType: 'reload',
        id: 'v6-1-inp',
        variants,
        attribution: { interactionTarget: 'aside>button.cta', slot: 'banner', interactionType: 'pointer', loadState: 'complete', inputDelay: 3, processingDuration: 201, presentationDelay: 52 },
      },
    ])
    expect(errors).toEqual([])
  })

  it('tags slots shown with default content (no personalization consent) as null', async () => {
    const a = attune()
    a.consent.grant(['measurement'])
    const events = sent(a)
    await start(a)
    apply(a)
    await settled()
    emit(lcp())
    hide()
    expect(events[0]?.props.variants).toEqual({ hero: null, banner: null })
  })

  it('leaves out slots shown before vitals() was called (their variant is unknown), and tags slots decided later', async () => {
    const a = await runner()
    const events = sent(a)
    apply(a)
    await settled()
    await start(a)
    const promo = document.createElement('div')
    promo.innerHTML = `<div data-attune-slot="promo">Default promo</div><template data-attune-variant="promo" data-attune-id="trail" data-attune-tags="category:running">Trail days</template>`
    document.body.append(promo)
    await vi.waitFor(() => expect(el('[data-attune-slot="promo"]').textContent).toBe('Trail days'))
    emit(inp())
    hide()
    expect(events[0]?.props.variants).toEqual({ promo: 'trail' })
  })

  it('sends nothing without consent: measurement and personalization denied', async () => {
    const a = attune()
    const track = vi.spyOn(a, 'track')
    a.consent.deny()
    const events = sent(a)
    await start(a)
    emit(lcp())
    hide()
    // Handed to track like any event, which drops it under the consent in force.
    expect(track).toHaveBeenCalledWith('web_vital', expect.objectContaining({ metric: 'LCP' }))
    expect(events).toEqual([])
  })

  it('a value reported before the shopper decided waits in memory, and goes once they grant', async () => {
    const a = attune()
    const events = sent(a)
    await start(a)
    emit(cls())
    hide()
    expect(events).toEqual([])
    a.consent.grant(['measurement'])
    expect(events.map((e) => e.props.metric)).toEqual(['CLS'])
  })

  it('stop removes every listener it added, and later reports are ignored', async () => {
    const off = vi.fn()
    const fake = { track: vi.fn(), on: vi.fn(() => off) } as unknown as Attune
    const added = vi.spyOn(window, 'addEventListener')
    const removed = vi.spyOn(window, 'removeEventListener')
    const stop = vitals(fake)
    await vi.dynamicImportSettled()
    expect(fake.on).toHaveBeenCalledWith('decision', expect.any(Function))
    emit(lcp())
    pagehide()
    expect(fake.track).toHaveBeenCalledTimes(1)
    stop()
    expect(off).toHaveBeenCalledTimes(1)
    expect(added.mock.calls.length).toBeGreaterThan(0)
    expect(removed.mock.calls).toEqual(added.mock.calls)
    // web-vitals cannot be told to stop: what it reports now goes nowhere.
    emit(cls())
    emit(inp())
    hide()
    pagehide()
    expect(fake.track).toHaveBeenCalledTimes(1)
    stop()
    expect(off).toHaveBeenCalledTimes(1)
  })

  it('a page being closed sends at pagehide what is known then; what changes as it is then hidden goes again with the same id', async () => {
    const a = attune()
    a.consent.grant(['measurement'])
    const events = sent(a)
    await start(a)
    emit(lcp())
    const shift = emit(cls({ value: 0.1 }))
    // HTML "unload a document": pagehide first (the last moment attune/sync sends), then hidden.
    pagehide()
    expect(events.map((e) => [e.props.metric, e.props.value])).toEqual([
      ['LCP', 1834.6],
      ['CLS', 0.1],
    ])
    // web-vitals takes the last layout shifts as the page is hidden: CLS grew.
    shift.value = 0.25
    emit(shift)
    hide()
    expect(events.map((e) => [e.props.metric, e.props.value, e.props.id])).toEqual([
      ['LCP', 1834.6, 'v6-1-lcp'],
      ['CLS', 0.1, 'v6-1-cls'],
      ['CLS', 0.25, 'v6-1-cls'],
    ])
    // Hidden again with nothing new: nothing more.
    hide()
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(events).toHaveLength(3)
  })

  it('a value web-vitals updates after the hide listener (an interaction still processing) goes in the next task', async () => {
    const a = attune()
    a.consent.grant(['measurement'])
    const events = sent(a)
    await start(a)
    hide()
    expect(events).toEqual([])
    emit(inp())
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(events.map((e) => e.props.metric)).toEqual(['INP'])
  })

  it('a second vitals() on the same instance returns the same stop and measures nothing twice', async () => {
    const a = attune()
    const stop = await start(a)
    expect(vitals(a)).toBe(stop)
    expect(registered.LCP).toHaveLength(1)
    stop()
    // After stop, it may start again.
    await start(a)
    expect(registered.LCP).toHaveLength(2)
  })

  it('sample: the share of page loads measured, drawn once', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.3)
    await start(attune(), { sample: 0.25 })
    expect(registered.LCP).toHaveLength(0)
    await start(attune(), { sample: 0.5 })
    expect(registered.LCP).toHaveLength(1)
    await start(attune(), { sample: 0 })
    expect(registered.LCP).toHaveLength(1)
    expect(random).toHaveBeenCalledTimes(3)
  })

  it('throws for a developer mistake, with what to write instead', () => {
    expect(() => vitals({} as Attune)).toThrow(/vitals\(attune\) needs an instance from createAttune/)
    for (const sample of [-0.1, 1.5, Number.NaN, '0.5']) {
      expect(() => vitals(attune(), { sample: sample as number })).toThrow(/from 0 to 1, e\.g\. 0\.25; got /)
    }
  })

  it('a failure while reporting reaches on("error"), never the page', async () => {
    const a = attune()
    a.consent.grant(['measurement'])
    const events = sent(a)
    await start(a)
    const broken = Object.defineProperty(lcp(), 'attribution', {
      get: () => {
        throw new Error('boom')
      },
    })
    emit(cls())
    expect(() => emit(broken)).not.toThrow()
    expect(() => hide()).not.toThrow()
    // The other metric still goes.
    expect(events.map((e) => e.props.metric)).toEqual(['CLS'])
    expect(errors.map((e) => [e.code, e.message])).toEqual([['bad_call', 'vitals: reporting LCP failed; attune went on.']])
  })
})
