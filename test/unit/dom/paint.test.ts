import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError, type AttuneExport } from '../../../src/index'
import type { Explanation } from '../../../src/decide/model'
import { forgetPaint, keepPaint, paint, paintKey, readPaint, unpaint, type Painted } from '../../../src/dom/paint'
import { paintEarly } from '../../../src/dom/paintEarly'
import { bootScriptTag, type AttuneCommand } from '../../../src/script-tag'
import { startPage } from '../../../src/startPage'
import { internals } from '../../../src/internals'
import { removeAffinity } from '../../../src/ui/removeAffinity'
import { freshIndexedDb } from '../fresh'

type Win = Window & { attune?: AttuneCommand }
const win = window as Win

const PAGE = `
<section data-attune-slot="hero"><h2 data-content="default">Welcome</h2></section>
<template data-attune-variant="hero" data-attune-id="running" data-attune-tags="category:running"><h2 data-content="running" class="big">Running week</h2></template>
<template data-attune-variant="hero" data-attune-id="hiking" data-attune-tags="category:hiking"><h2 data-content="hiking">Hiking week</h2></template>
<aside data-attune-slot="banner"><p data-content="default">Free returns</p></aside>
<template data-attune-variant="banner" data-attune-id="sale" data-attune-tags="category:running"><p data-content="sale" onclick="steal()">Sale</p></template>`

const KEY = paintKey('shop-1')
const hero = () => document.querySelector('[data-attune-slot="hero"]') as HTMLElement
const banner = () => document.querySelector('[data-attune-slot="banner"]') as HTMLElement
const shows = (el: Element) => el.firstElementChild?.getAttribute('data-content')
/** A template's HTML as the page chunk keeps it: its outerHTML, targeting attributes included. */
const templateHtml = (slot: string, id: string) =>
  (document.querySelector(`template[data-attune-variant="${slot}"][data-attune-id="${id}"]`) as HTMLTemplateElement).outerHTML
const kept = () => JSON.parse(localStorage.getItem(KEY) ?? 'null') as Record<string, [string, string, Explanation?]> | null
const keep = (cache: Record<string, [string, string, Explanation?]>) => localStorage.setItem(KEY, JSON.stringify(cache))
/** What the page chunk keeps after showing the hero's running variant. */
const keepRunning = () => keep({ hero: ['running', templateHtml('hero', 'running')] })
/** Paints what is kept for shop-1 into the page. */
const paintKept = (painted: Painted) => paint(document, readPaint('shop-1'), painted)

beforeEach(() => {
  freshIndexedDb()
  localStorage.clear()
  document.head.replaceChildren()
  document.body.innerHTML = PAGE
  document.documentElement.className = ''
})

describe('paint', () => {
  it('shows the kept variant when the page has its template with the same HTML, marks the slot shown, and undo puts back the very same nodes', () => {
    const original = hero().firstElementChild
    keepRunning()
    const painted: Painted = new Map()
    paintKept(painted)
    expect(hero().innerHTML).toBe('<h2 data-content="running" class="big">Running week</h2>')
    expect(hero().hasAttribute('data-attune-shown')).toBe(true)
    expect(painted.get(hero())?.[0]).toBe('running')
    // Copies, not the template's own nodes.
    const template = document.querySelector('template[data-attune-id="running"]') as HTMLTemplateElement
    expect(template.content.firstElementChild?.getAttribute('data-content')).toBe('running')
    unpaint(painted)
    expect(hero().firstElementChild).toBe(original)
    expect(hero().hasAttribute('data-attune-shown')).toBe(false)
    expect(painted.size).toBe(0)
  })

  it.each([
    ['the template changed since', { hero: ['running', '<h2>Running week</h2>'] }],
    ['the page has no such template', { hero: ['cycling', '<h2>Cycling</h2>'] }],
    ['the entry is not a pair', { hero: 'running' }],
  ])('paints nothing when %s', (_name, cache) => {
    localStorage.setItem(KEY, JSON.stringify(cache))
    const painted: Painted = new Map()
    paintKept(painted)
    expect(shows(hero())).toBe('default')
    expect(hero().hasAttribute('data-attune-shown')).toBe(false)
    expect(painted.size).toBe(0)
  })

  it('a slot named like an Object method reads nothing of Object.prototype, and the next slot is still painted', () => {
    document.body.insertAdjacentElement('afterbegin', Object.assign(document.createElement('div'), { className: 'odd' }))
    document.querySelector('.odd')!.setAttribute('data-attune-slot', 'constructor')
    keepRunning()
    const painted: Painted = new Map()
    paintKept(painted)
    expect(painted.size).toBe(1)
    expect(shows(hero())).toBe('running')
    expect(document.querySelector('.odd')!.hasAttribute('data-attune-shown')).toBe(false)
  })

  it.each([
    ['an event handler attribute', '<p data-content="x" onclick="steal()">x</p>'],
    ['a script', '<p data-content="x">x</p><script>steal()</script>'],
    ['a javascript: link', '<p data-content="x"><a href="javascript:steal()">x</a></p>'],
    ['a style attribute', '<p data-content="x" style="color:red">x</p>'],
    ['an id, which clobbers globals', '<p data-content="x" id="attune">x</p>'],
    ['a base element', '<base href="https://evil.example/"><p data-content="x">x</p>'],
    ['a comment', '<!-- note --><p data-content="x">x</p>'],
  ])('never paints a template with %s, whatever storage says', (_name, content) => {
    // Storage written by someone else, naming a template of the page that the page chunk would have cleaned.
    document.body.insertAdjacentHTML('beforeend', `<template data-attune-variant="hero" data-attune-id="x">${content}</template>`)
    keep({ hero: ['x', templateHtml('hero', 'x')] })
    const painted: Painted = new Map()
    paintKept(painted)
    expect(painted.size).toBe(0)
    expect(shows(hero())).toBe('default')
    expect(document.querySelector('script:not([src])')).toBeNull()
  })

  it('paints a template with http(s) and relative links, images and plain attributes (the control for the test above)', () => {
    const content = '<div data-content="x" class="c" aria-label="l"><a href="/shoes?c=running" title="t">a</a><a href="https://shop.example/x">b</a><img src="/i.png" alt="i" width="10"></div>'
    document.body.insertAdjacentHTML('beforeend', `<template data-attune-variant="hero" data-attune-id="x">${content}</template>`)
    keep({ hero: ['x', templateHtml('hero', 'x')] })
    paintKept(new Map())
    expect(hero().innerHTML).toBe(content)
  })

  it('leaves a slot already shown alone', () => {
    hero().setAttribute('data-attune-shown', '')
    keepRunning()
    paintKept(new Map())
    expect(shows(hero())).toBe('default')
  })

  it('keepPaint adds and forgets one slot at a time; forgetPaint forgets them all', () => {
    keepPaint('shop-1', 'hero', ['running', 'a'])
    keepPaint('shop-1', 'banner', ['sale', 'b'])
    keepPaint('shop-1', 'hero', undefined)
    expect(kept()).toEqual({ banner: ['sale', 'b'] })
    forgetPaint('shop-1')
    expect(localStorage.getItem(KEY)).toBeNull()
  })

  it('forgetPaint never throws, even when storage refuses a removal', () => {
    const remove = vi.spyOn(Storage.prototype, 'removeItem').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError')
    })
    try {
      expect(() => forgetPaint('shop-1')).not.toThrow()
    } finally {
      remove.mockRestore()
    }
  })
})

/** A shopper who granted consent on an earlier page: the choice is remembered in localStorage. */
const granted = async (): Promise<void> => {
  const a = createAttune({ site: 'shop-1' })
  a.consent.grant()
  await a.destroy()
}

/** The page's clock (`performance.now()`): ms since this test's navigation started, `at` ms ago. */
const navigated = (at: number): void => {
  const start = Date.now() - at
  vi.spyOn(performance, 'now').mockImplementation(() => Date.now() - start)
}

/** The README's `<head>`: `<html class="attune-loading">`, the queue stub and the tag's `<script>` (not run). */
const head = (attributes: Record<string, string> = {}): void => {
  const script = document.createElement('script')
  for (const [name, value] of Object.entries({ 'data-attune-site': 'shop-1', ...attributes })) script.setAttribute(name, value)
  document.head.append(script)
  document.documentElement.classList.add('attune-loading')
  win.attune = win.attune || Object.assign((...args: unknown[]) => void (win.attune!.q as unknown[][]).push(args), { q: [] as unknown[][] })
}

describe('the paint snippet', () => {
  beforeEach(() => navigated(50))
  afterEach(() => {
    vi.restoreAllMocks()
    Reflect.deleteProperty(window, 'attune')
  })

  it('with personalization consent remembered, paints the kept variant and hands what it painted to the tag on the queue stub', async () => {
    await granted()
    keepRunning()
    head()
    paintEarly(win)
    expect(shows(hero())).toBe('running')
    expect(hero().hasAttribute('data-attune-shown')).toBe(true)
    expect(win.attune!.p?.painted.get(hero())?.[0]).toBe('running')
  })

  it.each([
    ['no consent is remembered', () => {}],
    ['personalization is not granted', () => localStorage.setItem('attune:consent:shop-1', JSON.stringify({ v: 1, purposes: { measurement: true }, at: 1 }))],
    ['the consent record is unreadable', () => localStorage.setItem('attune:consent:shop-1', '{"v":2}')],
    ['the consent record is for another site', () => localStorage.setItem('attune:consent:shop-2', JSON.stringify({ v: 1, purposes: { personalization: true }, at: 1 }))],
  ])('paints nothing when %s', (_name, arrange) => {
    arrange()
    keepRunning()
    head()
    paintEarly(win)
    expect(shows(hero())).toBe('default')
    expect(win.attune!.p).toBeUndefined()
  })

  it('paints nothing without the attune-loading class, after the first second, without the queue stub, or once the tag runs', async () => {
    await granted()
    keepRunning()
    head()
    document.documentElement.className = ''
    paintEarly(win)
    expect(shows(hero())).toBe('default')
    document.documentElement.className = 'attune-loading'
    navigated(1000)
    paintEarly(win)
    expect(shows(hero())).toBe('default')
    navigated(50)
    win.attune!.loaded = true
    paintEarly(win)
    expect(shows(hero())).toBe('default')
    Reflect.deleteProperty(window, 'attune')
    paintEarly(win)
    expect(shows(hero())).toBe('default')
    // The control: the same page as the README has it.
    head()
    paintEarly(win)
    expect(shows(hero())).toBe('running')
  })

  it('paints nothing with data-attune-storage="memory", even from a record kept before', async () => {
    await granted()
    keepRunning()
    head({ 'data-attune-storage': 'memory' })
    paintEarly(win)
    expect(shows(hero())).toBe('default')
    expect(win.attune!.p).toBeUndefined()
  })

  it('paints nothing, and throws nothing, when what is kept is not JSON or storage is blocked', async () => {
    await granted()
    head()
    localStorage.setItem(KEY, '{not json')
    expect(() => paintEarly(win)).not.toThrow()
    keepRunning()
    vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
      throw new DOMException('blocked', 'SecurityError')
    })
    expect(() => paintEarly(win)).not.toThrow()
    expect(shows(hero())).toBe('default')
  })

  describe('on a page the parser is still reading', () => {
    let state: ReturnType<typeof vi.spyOn>
    beforeEach(async () => {
      await granted()
      keepRunning()
      // The snippet runs in <head>: the slots and templates come after it.
      document.body.replaceChildren()
      state = vi.spyOn(document, 'readyState', 'get').mockReturnValue('loading')
      head()
      paintEarly(win)
    })
    /** The parser adds `html` at the end of the body. */
    const parse = (html: string) => document.body.insertAdjacentHTML('beforeend', html)
    const [SLOT, TEMPLATES] = [PAGE.slice(0, PAGE.indexOf('<template')), PAGE.slice(PAGE.indexOf('<template'))]
    const tick = () => new Promise((resolve) => setTimeout(resolve))

    it('paints a slot once the parser has read it and its template, before the next task', async () => {
      parse(SLOT)
      await Promise.resolve()
      expect(shows(hero())).toBe('default')
      parse(TEMPLATES)
      // A mutation observer's callback: before the browser can render the batch the parser added.
      await Promise.resolve()
      expect(shows(hero())).toBe('running')
    })

    it('leaves a slot the parser may still be filling until its template comes after it, or the page is read', async () => {
      // Templates before the slot, and a node a script appended while the parser may still be inside it.
      parse(TEMPLATES)
      parse(SLOT)
      document.body.append(document.createElement('aside'))
      await tick()
      expect(shows(hero())).toBe('default')
      state.mockReturnValue('interactive')
      document.dispatchEvent(new Event('DOMContentLoaded'))
      expect(shows(hero())).toBe('running')
    })

    it('a consent call the page queues that may say no puts back what was painted, and nothing is painted afterwards', async () => {
      parse(SLOT + TEMPLATES)
      await Promise.resolve()
      expect(shows(hero())).toBe('running')
      win.attune!('consent', 'deny', ['personalization'])
      parse('<p>more of the page</p>')
      await Promise.resolve()
      expect(shows(hero())).toBe('default')
      expect(win.attune!.p!.painted.size).toBe(0)
      // A slot parsed later is left to the tag, which hears the call.
      parse(SLOT)
      await tick()
      expect(Array.from(document.querySelectorAll('[data-attune-slot="hero"]'), shows)).toEqual(['default', 'default'])
    })

    it('a consent grant queued by the page does not stop it (the control for the test above)', async () => {
      win.attune!('consent', 'grant')
      parse(SLOT + TEMPLATES)
      await Promise.resolve()
      expect(shows(hero())).toBe('running')
    })

    it('stops once the attune-loading class is gone: every slot was decided, and a later one is the personalizer\'s', async () => {
      document.documentElement.classList.remove('attune-loading')
      parse(SLOT + TEMPLATES)
      await tick()
      expect(shows(hero())).toBe('default')
    })

    it('a second copy of the snippet stands down: the tag takes over the first one\'s', async () => {
      const first = win.attune!.p
      paintEarly(win)
      expect(win.attune!.p).toBe(first)
    })

    it('paints nothing after DOMContentLoaded', async () => {
      state.mockReturnValue('interactive')
      document.dispatchEvent(new Event('DOMContentLoaded'))
      state.mockReturnValue('loading')
      parse(SLOT + TEMPLATES)
      await tick()
      expect(shows(hero())).toBe('default')
    })

    it('paints nothing once the tag stops it', async () => {
      win.attune!.p!.stop()
      parse(SLOT + TEMPLATES)
      await tick()
      document.dispatchEvent(new Event('DOMContentLoaded'))
      expect(shows(hero())).toBe('default')
    })

    afterEach(() => state.mockRestore())
  })
})

describe('what the shopper says forgets what the snippet would paint', () => {
  const shopper = async () => {
    const a = createAttune({ site: 'shop-1' })
    a.consent.grant()
    await new Promise((resolve) => a.on('ready', resolve))
    a.track('product_viewed', { id: 'p1', category: 'running' })
    keepRunning()
    return a
  }

  it('a stated preference (profile.setInterest)', async () => {
    const a = await shopper()
    a.profile.setInterest('sport', 'hiking')
    expect(localStorage.getItem(KEY)).toBeNull()
    await a.destroy()
  })

  it('but not a refused one', async () => {
    const a = await shopper()
    a.on('error', () => {})
    a.profile.setInterest('', 'hiking')
    expect(kept()?.hero?.[0]).toBe('running')
    await a.destroy()
  })

  it('an affinity removed in the preference center', async () => {
    const a = await shopper()
    expect(removeAffinity(a, internals.get(a)!, 'category:running')).toBe(true)
    expect(localStorage.getItem(KEY)).toBeNull()
    await a.destroy()
  })
})

describe('the tag takes over what the snippet painted', () => {
  let errors: AttuneError[] = []

  beforeEach(() => {
    navigated(50)
    // The browser reports the first paint as soon as it is asked (script-tag.ts defers the tag's boot until then when the snippet painted).
    vi.stubGlobal(
      'PerformanceObserver',
      class {
        constructor(private readonly fn: () => void) {}
        observe() {
          queueMicrotask(this.fn)
        }
        disconnect() {}
      },
    )
  })
  afterEach(() => {
    vi.restoreAllMocks()
    vi.unstubAllGlobals()
  })

  /** A page set up as the README says: the snippet runs, then the tag boots (after the first paint when the snippet painted). */
  const boot = async (attributes: Record<string, string> = {}): Promise<void> => {
    head(attributes)
    paintEarly(win)
    bootScriptTag(window)
    await vi.waitFor(() => expect(win.attune?.loaded).toBe(true))
    errors = []
    win.attune!('on', 'error', (e: AttuneError) => errors.push(e))
  }

  /** What the page chunk does once loaded, with `n` running products viewed first; resolves to the hero's decision. */
  const chunk = async (n = 3): Promise<Explanation> => {
    for (let i = 0; i < n; i++) win.attune!('track', 'product_viewed', { id: `p${i}`, category: 'running' })
    const decided = new Promise<Explanation>((resolve) =>
      win.attune!('on', 'decision', (d: Explanation) => {
        if (d.slot === 'hero') resolve(d)
      }),
    )
    win.attune!('extend', startPage)
    return decided
  }

  afterEach(async () => {
    if (win.attune?.loaded) await win.attune('destroy')
    Reflect.deleteProperty(window, 'attune')
  })

  it('with consent remembered, the kept variant shows before the tag boots, and the same decision keeps those very nodes', async () => {
    await granted()
    keepRunning()
    await boot()
    expect(shows(hero())).toBe('running')
    const painted = hero().firstElementChild
    const d = await chunk()
    expect(d).toMatchObject({ variant: 'running', reason: { kind: 'affinity', tag: 'category:running' } })
    await vi.waitFor(() => expect(document.documentElement.classList.contains('attune-loading')).toBe(false))
    expect(hero().firstElementChild).toBe(painted)
    expect(hero().hasAttribute('data-attune-shown')).toBe(true)
    expect(kept()?.hero).toEqual(['running', templateHtml('hero', 'running'), expect.objectContaining({ slot: 'hero', variant: 'running', text: expect.stringMatching(/running/) })])
    // The banner's template is the page's mistake, reported as such; nothing else went wrong.
    expect(errors.map((e) => e.message)).toEqual(['Removed from the template of variant sale of slot banner: onclick on <p>.'])
  })

  it('when this page decides otherwise, what was painted stays, explained by the decision it came from, and the new decision is kept for next time', async () => {
    await granted()
    const earlier: Explanation = { slot: 'hero', variant: 'hiking', reason: { kind: 'affinity', tag: 'category:hiking', score: 3 }, text: 'Shown because you viewed hiking products recently' }
    keep({ hero: ['hiking', templateHtml('hero', 'hiking'), earlier] })
    await boot()
    const painted = hero().firstElementChild
    const decisions: Explanation[] = []
    win.attune!('on', 'decision', (d: Explanation) => decisions.push(d))
    await chunk()
    await vi.waitFor(() => expect(kept()?.hero?.[0]).toBe('running'))
    expect(hero().firstElementChild).toBe(painted)
    expect(shows(hero())).toBe('hiking')
    expect(decisions.filter((d) => d.slot === 'hero').at(-1)).toEqual(earlier)
  })

  it('kept before the explanation was kept with it, what was painted gives way to the decision, and that is kept for next time', async () => {
    await granted()
    keep({ hero: ['hiking', templateHtml('hero', 'hiking')] })
    await boot()
    expect(shows(hero())).toBe('hiking')
    await chunk()
    await vi.waitFor(() => expect(shows(hero())).toBe('running'))
    expect(hero().querySelectorAll('h2')).toHaveLength(1)
    expect(kept()?.hero?.[0]).toBe('running')
  })

  it('a slot decided for its default content is painted no more', async () => {
    await granted()
    keep({ hero: ['hiking', templateHtml('hero', 'hiking')] })
    await boot()
    await chunk(0)
    await vi.waitFor(() => expect(shows(hero())).toBe('default'))
    expect(kept()).toEqual({})
  })

  it('keeps only a template that needed no cleaning: one with an event handler attribute is shown cleaned, and not kept', async () => {
    await granted()
    await boot()
    await chunk()
    await vi.waitFor(() => expect(shows(banner())).toBe('sale'))
    expect(banner().querySelector('[onclick]')).toBeNull()
    expect(kept()?.hero?.[0]).toBe('running')
    expect(kept() ?? {}).not.toHaveProperty('banner')
  })

  it('a QA override (?attune_force) is shown but not kept', async () => {
    history.replaceState(null, '', '/?attune_force=hero:hiking')
    // The site's config allows overrides; it comes from the server the tag names.
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ allowForce: true }), { status: 200 }))
    try {
      await granted()
      await boot({ 'data-attune-endpoint': 'https://p.example.com' })
      const d = await chunk()
      expect(d.reason.kind).toBe('forced')
      await vi.waitFor(() => expect(shows(hero())).toBe('hiking'))
      expect(kept() ?? {}).not.toHaveProperty('hero')
      // The control: the same page without the override keeps its decision.
      await win.attune!('destroy')
      Reflect.deleteProperty(window, 'attune')
      document.body.innerHTML = PAGE
      history.replaceState(null, '', '/')
      await boot({ 'data-attune-endpoint': 'https://p.example.com' })
      expect((await chunk()).reason.kind).toBe('affinity')
      await vi.waitFor(() => expect(kept()?.hero?.[0]).toBe('running'))
    } finally {
      vi.unstubAllGlobals()
      history.replaceState(null, '', '/')
    }
  })

  it.each([
    ['the page path', { fact: 'page.path', op: 'eq', value: '/sale' }, undefined],
    ['UTM', { fact: 'utm.utm_campaign', op: 'eq', value: 'spring' }, undefined],
    ['the hour, beside the profile', { any: [{ fact: 'profile.counters.visits', op: 'gte', value: 99 }, { fact: 'time.hour', op: 'gte', value: 25 }] }, undefined],
    ['the profile alone', { fact: 'profile.counters.visits', op: 'gte', value: 99 }, 'running'],
  ])('a slot with an audience on %s keeps its decision for the tag only when the audience reads the profile alone', async (_name, condition, kept_) => {
    // The site's config gives the hero's hiking variant an audience, which this shopper does not match.
    const config = { audiences: [{ id: 'a1', condition }], variants: { hero: [{ id: 'hiking', audience: 'a1' }] } }
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify(config), { status: 200 }))
    try {
      await granted()
      await boot({ 'data-attune-endpoint': 'https://p.example.com' })
      expect(await chunk()).toMatchObject({ variant: 'running', reason: { kind: 'affinity' } })
      // Kept (or not) in the task that shows the variant.
      await vi.waitFor(() => expect(shows(hero())).toBe('running'))
      expect(kept()?.hero?.[0]).toBe(kept_)
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('the shopper\'s export holds what the snippet would paint next time', async () => {
    await granted()
    keepRunning()
    await boot()
    await chunk()
    await vi.waitFor(() => expect(document.documentElement.classList.contains('attune-loading')).toBe(false))
    const exported = (await win.attune!((a: Attune) => a.profile.export())) as AttuneExport
    expect(exported.painted).toEqual({ hero: ['running', templateHtml('hero', 'running'), expect.objectContaining({ variant: 'running' })] })
    expect(exported.profile.devices).not.toEqual({})
  })

  it('withdrawal puts back the default content of painted slots and forgets what was kept', async () => {
    await granted()
    const original = hero().firstElementChild
    keepRunning()
    await boot()
    expect(shows(hero())).toBe('running')
    win.attune!('consent', 'withdraw')
    expect(hero().firstElementChild).toBe(original)
    expect(localStorage.getItem(KEY)).toBeNull()
  })

  it('withdrawal after the page chunk took a painted slot over puts back its default content too', async () => {
    await granted()
    const original = hero().firstElementChild
    keepRunning()
    await boot()
    await chunk()
    await vi.waitFor(() => expect(document.documentElement.classList.contains('attune-loading')).toBe(false))
    win.attune!('consent', 'withdraw')
    await vi.waitFor(() => expect(hero().firstElementChild).toBe(original))
    expect(localStorage.getItem(KEY)).toBeNull()
  })

  it('without personalization consent nothing is painted', async () => {
    keepRunning()
    await boot()
    expect(shows(hero())).toBe('default')
  })

  it.each([
    ['denied', (a: Attune) => a.consent.deny(['personalization'])],
    ['withdrawn', (a: Attune) => a.consent.withdraw()],
  ])('personalization %s, on any page (the tag or not), forgets what the snippet would paint', async (_name, act) => {
    const a = createAttune({ site: 'shop-1' })
    a.consent.grant()
    keepRunning()
    act(a)
    expect(localStorage.getItem(KEY)).toBeNull()
    await a.destroy()
  })

  it('with data-attune-storage="memory" nothing is kept', async () => {
    await boot({ 'data-attune-storage': 'memory' })
    win.attune!('consent', 'grant')
    await chunk()
    await vi.waitFor(() => expect(shows(hero())).toBe('running'))
    expect(localStorage.getItem(KEY)).toBeNull()
  })

  it('boots after the first paint when the snippet painted, at once when it did not', async () => {
    let shown: (() => void) | undefined
    vi.stubGlobal(
      'PerformanceObserver',
      class {
        constructor(private readonly fn: () => void) {}
        observe({ type }: { type: string }) {
          if (type === 'paint') shown = this.fn
        }
        disconnect() {}
      },
    )
    await granted()
    keepRunning()
    head()
    paintEarly(win)
    bootScriptTag(window)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(win.attune?.loaded).toBeUndefined()
    shown!()
    // Well before the 300 ms fallback: the paint reported is what started it.
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(win.attune?.loaded).toBe(true)
    await win.attune!('destroy')
    // The control: nothing kept, nothing painted, nothing to wait for.
    Reflect.deleteProperty(window, 'attune')
    localStorage.removeItem(KEY)
    head()
    paintEarly(win)
    bootScriptTag(window)
    expect(win.attune?.loaded).toBe(true)
  })

  it('boots after 300 ms where the browser reports no paint (a tab opened in the background)', async () => {
    vi.stubGlobal('PerformanceObserver', undefined)
    await granted()
    keepRunning()
    head()
    paintEarly(win)
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    try {
      bootScriptTag(window)
      vi.advanceTimersByTime(299)
      expect(win.attune?.loaded).toBeUndefined()
      vi.advanceTimersByTime(1)
      expect(win.attune?.loaded).toBe(true)
    } finally {
      vi.useRealTimers()
    }
  })

  it('with a wrong attribute, the tag leaves the page alone and puts back what the snippet painted', async () => {
    await granted()
    const original = hero().firstElementChild
    keepRunning()
    head()
    paintEarly(win)
    expect(shows(hero())).toBe('running')
    vi.spyOn(console, 'error').mockImplementation(() => {})
    // A site id the tag refuses, read after the snippet ran.
    document.querySelector('script[data-attune-site]')!.setAttribute('data-attune-site', 'not a site id!')
    bootScriptTag(window)
    await vi.waitFor(() => expect(hero().firstElementChild).toBe(original))
    expect(win.attune?.loaded).toBeUndefined()
  })

  it('destroyed while the page still parses, the snippet paints nothing afterwards', async () => {
    await granted()
    keepRunning()
    const rest = Array.from(document.body.childNodes)
    document.body.replaceChildren()
    const state = vi.spyOn(document, 'readyState', 'get').mockReturnValue('loading')
    try {
      await boot()
      await win.attune!('destroy')
      document.body.append(...rest)
      await new Promise((resolve) => setTimeout(resolve))
      expect(shows(hero())).toBe('default')
    } finally {
      state.mockRestore()
    }
  })

  it('a variant from the site config (not a template) is shown in place of what was painted, and not kept', async () => {
    const config = {
      audiences: [{ id: 'viewers', condition: { fact: 'profile.counters.product_views', op: 'gte', value: 1 } }],
      variants: { hero: [{ id: 'promo', audience: 'viewers', content: [{ tag: 'h2', attrs: { 'data-content': 'promo' }, children: ['Promo'] }] }] },
    }
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify(config), { status: 200 }))
    try {
      await granted()
      keepRunning()
      await boot({ 'data-attune-endpoint': 'https://p.example.com' })
      expect(shows(hero())).toBe('running')
      expect(await chunk()).toMatchObject({ variant: 'promo', reason: { kind: 'audience' } })
      await vi.waitFor(() => expect(shows(hero())).toBe('promo'))
      expect(hero().querySelectorAll('h2')).toHaveLength(1)
      expect(kept() ?? {}).not.toHaveProperty('hero')
    } finally {
      vi.unstubAllGlobals()
    }
  })

  /** The site renders another hero (an SPA view, a lazy section); resolves once it is shown. */
  const anotherHero = async (): Promise<HTMLElement> => {
    const again = Object.assign(document.createElement('section'), { innerHTML: '<h2 data-content="default">Welcome</h2>' })
    again.setAttribute('data-attune-slot', 'hero')
    document.body.append(again)
    await vi.waitFor(() => expect(shows(again)).toBe('running'))
    return again
  }

  it('after a stated preference, a slot shown later with the decision made before does not keep it again', async () => {
    await granted()
    await boot()
    await chunk()
    await vi.waitFor(() => expect(kept()?.hero?.[0]).toBe('running'))
    win.attune!((a: Attune) => a.profile.setInterest('sport', 'hiking'))
    expect(localStorage.getItem(KEY)).toBeNull()
    await anotherHero()
    expect(localStorage.getItem(KEY)).toBeNull()
  })

  it('after an SPA navigation, a slot decided afresh is kept (the control for the test above)', async () => {
    await granted()
    await boot()
    await chunk()
    await vi.waitFor(() => expect(kept()?.hero?.[0]).toBe('running'))
    localStorage.removeItem(KEY)
    // The route changes: the old view and its hero go, the new URL is a new page view.
    hero().remove()
    await new Promise((resolve) => setTimeout(resolve))
    history.pushState(null, '', '/other')
    try {
      win.attune!('page')
      await anotherHero()
      expect(kept()?.hero?.[0]).toBe('running')
    } finally {
      history.replaceState(null, '', '/')
    }
  })

  it('destroy puts back what was painted', async () => {
    await granted()
    const original = hero().firstElementChild
    keepRunning()
    await boot()
    await win.attune!('destroy')
    expect(hero().firstElementChild).toBe(original)
  })
})
