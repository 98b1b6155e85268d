import { describe, expect, it, vi } from 'vitest'
import { debug } from '../../../src/debug/index'
import type { SiteConfig } from '../../../src/decide/model'
import { personalize } from '../../../src/personalize'
import { add, attune, errors, granted, later, settle, shadow, text, until, button } from '../ui/harness'

const ENDPOINT = 'https://p.example.com'
const TOKEN = 'ap1.shop-1.1900000000.AAAAAAAAAAAAAAAAAAAAAA..' + 'A'.repeat(43)

const PAGE = `<section data-attune-slot="hero"><h2>Welcome</h2></section>
<template data-attune-variant="hero" data-attune-id="running" data-attune-tags="category:running"><h2>Running week</h2></template>
<template data-attune-variant="hero" data-attune-id="yoga" data-attune-tags="category:yoga"><h2>Yoga week</h2></template>`

const CONFIG: SiteConfig = {
  audiences: [{ id: 'newsletter', condition: { fact: 'utm.utm_source', op: 'eq', value: 'newsletter' } }],
  variants: { banner: [{ id: 'spring', audience: 'newsletter', content: [{ tag: 'p', children: ['Spring'] }] }] },
}

/** A fetch that answers the preview check as the server would. */
const server = (status: number, body: unknown) =>
  vi.fn(async (_url: string | URL | Request, _init?: RequestInit) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }))

const valid = (over: object = {}) => server(200, { site: 'shop-1', expiresAt: Date.now() + 3600_000, note: 'QA of the hero', ...over })

/** A shopper who viewed running products, on a page personalize() has decided. */
const decidedPage = async () => {
  document.body.insertAdjacentHTML('beforeend', PAGE)
  const a = await granted({ storage: 'memory' })
  for (let i = 0; i < 3; i++) a.track('product_viewed', { id: `p${i}`, category: 'running' })
  const p = personalize(a, { config: CONFIG, endpoint: ENDPOINT })
  later(p.stop)
  later(p.apply())
  await until(() => expect(document.querySelector('[data-attune-slot="hero"]')?.textContent).toBe('Running week'))
  return a
}

const overlay = (): Element | null => document.querySelector('attune-debug')

describe('debug (attune/debug)', () => {
  it('throws a TypeError for what is not an instance, a missing token or a bad option', () => {
    const a = attune()
    expect(() => debug({} as never, { token: TOKEN })).toThrow(/needs an instance from createAttune/)
    expect(() => debug(a, {} as never)).toThrow(/needs the preview token as a string; got undefined/)
    expect(() => debug(a, undefined as never)).toThrow(/preview token/)
    expect(() => debug(a, { token: TOKEN, endpoint: 'ftp://p.example.com' })).toThrow(/endpoint/)
    expect(() => debug(a, { token: TOKEN, fetch: 'no' as never })).toThrow(/fetch/)
  })

  it('asks the server of the instance’s own personalizer, with the token as a bearer and nothing else', async () => {
    const a = await decidedPage()
    const fetch = valid()
    later(debug(a, { token: TOKEN, fetch }))
    await until(() => expect(overlay()).not.toBeNull())
    expect(fetch).toHaveBeenCalledTimes(1)
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit]
    expect(url).toBe(`${ENDPOINT}/v1/sites/shop-1/preview`)
    expect(init).toMatchObject({ headers: { authorization: `Bearer ${TOKEN}` }, credentials: 'omit', cache: 'no-store', referrerPolicy: 'no-referrer' })
  })

  it('with a valid token, outlines every slot and shows its candidates, the chosen variant, the reason and the facts used', async () => {
    const a = await decidedPage()
    add('<div data-attune-slot="banner">Default banner</div>')
    later(debug(a, { token: TOKEN, fetch: valid() }))
    await until(() => expect(overlay()).not.toBeNull())
    const root = shadow(overlay()!)
    await until(() => expect(root.querySelectorAll('section')).toHaveLength(2))
    expect(Array.from(root.querySelectorAll('.tag')).map(text)).toEqual(['hero → running', 'banner → default content'])
    const [hero, banner] = Array.from(root.querySelectorAll('section'))
    expect(text(hero!.querySelector('h3'))).toBe('Slot “hero”')
    const dl = Array.from(hero!.querySelectorAll('dt')).map((dt) => [text(dt), text(dt.nextElementSibling)])
    expect(dl).toEqual([
      ['Chosen', 'running'],
      ['Reason', 'Shown because you viewed running products recently'],
      ['Detail', expect.stringMatching(/^affinity: best tag category:running, summed score 3(\.\d+)?$/)],
    ])
    const candidates = Array.from(hero!.querySelectorAll('li')).map(text)
    expect(candidates[0]).toMatch(/^running \(chosen\) — tags: category:running 3(\.\d+)? \(sum 3(\.\d+)?\); audience: none; experiments: none$/)
    expect(candidates[1]).toBe('yoga — tags: category:yoga 0 (sum 0); audience: none; experiments: none')
    const facts = Array.from(hero!.querySelectorAll('tbody tr')).map((tr) => Array.from(tr.querySelectorAll('td')).map(text))
    expect(facts).toEqual([
      ['profile.affinities.category:running', expect.stringMatching(/^3(\.\d+)?$/), ''],
      ['profile.affinities.category:yoga', '—', ''],
      ['config.affinityThreshold', '1', "sum of a variant's tag scores > 1 ✓ holds"],
    ])
    // The banner's audience failed: its test is shown with the value the decision read.
    expect(text(banner!.querySelector('dd'))).toBe('default content')
    const bannerFacts = Array.from(banner!.querySelectorAll('tbody tr')).map((tr) => Array.from(tr.querySelectorAll('td')).map(text))
    expect(bannerFacts).toContainEqual(['utm.utm_source', '—', 'eq "newsletter" ✗ fails'])
    expect(text(root.querySelector('aside > p'))).toMatch(/^Site shop-1\. Preview token valid until /)
    expect(text(root)).toContain('Note: QA of the hero')
  })

  it('panels a slot added later, and a decision made after the overlay opened', async () => {
    const a = await decidedPage()
    later(debug(a, { token: TOKEN, fetch: valid() }))
    await until(() => expect(overlay()).not.toBeNull())
    add('<div data-attune-slot="banner">Default banner</div>')
    const root = shadow(overlay()!)
    await until(() => expect(Array.from(root.querySelectorAll('section h3')).map(text)).toEqual(['Slot “hero”', 'Slot “banner”']))
    await until(() => expect(text(root.querySelectorAll('section')[1]!.querySelector('dd'))).toBe('default content'))
  })

  it('says why a slot is not decided when personalization is not granted', async () => {
    document.body.insertAdjacentHTML('beforeend', PAGE)
    const a = attune({ storage: 'memory' })
    later(debug(a, { token: TOKEN, endpoint: ENDPOINT, fetch: valid() }))
    await until(() => expect(overlay()).not.toBeNull())
    expect(text(shadow(overlay()!).querySelector('section p'))).toBe('Not decided: attune/personalize is not running on this page.')
    const p = personalize(a, { config: CONFIG })
    later(p.stop)
    later(p.apply())
    await until(() => expect(text(shadow(overlay()!).querySelector('section p'))).toBe('Not decided: the shopper has not granted personalization.'))
  })

  it('stop() takes every trace away: the page is byte for byte as before, and later decisions add nothing', async () => {
    const a = await decidedPage()
    const before = document.documentElement.outerHTML
    const stop = debug(a, { token: TOKEN, fetch: valid() })
    await until(() => expect(overlay()).not.toBeNull())
    expect(document.documentElement.outerHTML).not.toBe(before)
    stop()
    expect(document.documentElement.outerHTML).toBe(before)
    add('<div data-attune-slot="banner">Default banner</div>')
    await settle()
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(overlay()).toBeNull()
    stop()
  })

  it('the panel’s Close button stops the overlay', async () => {
    const a = await decidedPage()
    const before = document.documentElement.outerHTML
    later(debug(a, { token: TOKEN, fetch: valid() }))
    await until(() => expect(overlay()).not.toBeNull())
    const root = shadow(overlay()!)
    const details = button(root, 'Hide details')
    details.click()
    expect(details.getAttribute('aria-expanded')).toBe('false')
    expect(root.querySelector('section')?.parentElement?.hidden).toBe(true)
    button(root, 'Close overlay').click()
    expect(overlay()).toBeNull()
    expect(document.documentElement.outerHTML).toBe(before)
  })

  it('goes away when the token expires', async () => {
    const a = await decidedPage()
    later(debug(a, { token: TOKEN, fetch: valid({ expiresAt: Date.now() + 200 }) }))
    await until(() => expect(overlay()).not.toBeNull())
    await until(() => expect(overlay()).toBeNull())
  })

  it.each([
    { name: 'a tampered token (401 bad_preview_token)', fetch: () => server(401, { error: 'unauthorized', reason: 'bad_preview_token' }), reason: 'bad_preview_token' },
    { name: 'an expired token (401 expired_preview_token)', fetch: () => server(401, { error: 'unauthorized', reason: 'expired_preview_token' }), reason: 'expired_preview_token' },
    { name: 'a foreign origin (403)', fetch: () => server(403, { error: 'forbidden_origin' }), reason: 'forbidden_origin' },
    { name: 'a server error without JSON', fetch: () => vi.fn(async () => new Response('oops', { status: 502 })), reason: 'http_502' },
    { name: 'a network failure', fetch: () => vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))), reason: 'network' },
    { name: 'a 200 for another site', fetch: () => valid({ site: 'shop-2' }), reason: 'bad_answer' },
    { name: 'a 200 that is not the answer', fetch: () => server(200, ['ok']), reason: 'bad_answer' },
  ])('$name: nothing rendered, nothing stored, no exception; an error event says why', async ({ fetch, reason }) => {
    const a = await decidedPage()
    const before = document.documentElement.outerHTML
    const stored = JSON.stringify({ ...localStorage })
    const onError = vi.fn()
    window.addEventListener('error', onError)
    window.addEventListener('unhandledrejection', onError)
    try {
      later(debug(a, { token: TOKEN, fetch: fetch() }))
      await until(() => expect(errors.filter((e) => e.code === 'debug')).toHaveLength(1))
      expect(errors.find((e) => e.code === 'debug')?.message).toContain(`(${reason})`)
      await settle()
      expect(overlay()).toBeNull()
      expect(document.documentElement.outerHTML).toBe(before)
      expect(JSON.stringify({ ...localStorage })).toBe(stored)
      expect(onError).not.toHaveBeenCalled()
    } finally {
      window.removeEventListener('error', onError)
      window.removeEventListener('unhandledrejection', onError)
    }
  })

  it('without a server to ask, shows nothing and says so', async () => {
    const a = attune({ storage: 'memory' })
    const fetch = valid()
    later(debug(a, { token: TOKEN, fetch }))
    await until(() => expect(errors.map((e) => e.code)).toContain('debug'))
    expect(errors.find((e) => e.code === 'debug')?.message).toMatch(/no attune server/)
    expect(fetch).not.toHaveBeenCalled()
    expect(overlay()).toBeNull()
  })

  it('stop() before the server answers: nothing is ever shown', async () => {
    const a = await decidedPage()
    let answer: (r: Response) => void = () => {}
    const fetch = vi.fn(() => new Promise<Response>((resolve) => (answer = resolve)))
    const stop = debug(a, { token: TOKEN, fetch })
    stop()
    answer(new Response(JSON.stringify({ site: 'shop-1', expiresAt: Date.now() + 60_000, note: '' }), { status: 200 }))
    await settle()
    await settle()
    expect(overlay()).toBeNull()
  })

  it('builds the panel from text only: markup in a note or a slot name stays text', async () => {
    document.body.insertAdjacentHTML('beforeend', '<div data-attune-slot="&lt;img src=x onerror=alert(1)&gt;">x</div>')
    const a = attune({ storage: 'memory' })
    later(debug(a, { token: TOKEN, endpoint: ENDPOINT, fetch: valid({ note: '<b>bold</b>' }) }))
    await until(() => expect(overlay()).not.toBeNull())
    const root = shadow(overlay()!)
    expect(root.querySelector('img, b')).toBeNull()
    expect(text(root)).toContain('Note: <b>bold</b>')
    expect(text(root.querySelector('h3'))).toBe('Slot “<img src=x onerror=alert(1)>”')
  })
})
