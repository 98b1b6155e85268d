import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { AttuneError, TrackedEvent } from '../../src/index'
import { bootScriptTag, QUEUE_STUB, type AttuneCommand } from '../../src/script-tag'

type Win = Window & { attune?: AttuneCommand }
const win = window as Win

const addScript = (attributes: Record<string, string>) => {
  const script = document.createElement('script')
  for (const [name, value] of Object.entries(attributes)) script.setAttribute(name, value)
  document.head.append(script)
  return script
}
// The documented stub, run as the page would run it.
const installStub = () => new Function(QUEUE_STUB)()

beforeEach(() => {
  document.head.replaceChildren()
  localStorage.clear()
})
afterEach(async () => {
  if (win.attune?.loaded) await win.attune('destroy')
  Reflect.deleteProperty(window, 'attune')
})

describe('the script tag', () => {
  it('reads data-attune-* from its own <script>', () => {
    addScript({ 'data-attune-site': 'other' })
    const own = addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory' })
    vi.spyOn(document, 'currentScript', 'get').mockReturnValue(own)
    bootScriptTag(window)
    expect(win.attune!((a: { site: string }) => a.site)).toBe('shop-1')
  })

  it('finds its tag by attribute when loaded async with no currentScript', () => {
    addScript({ 'data-attune-site': 'shop-2' })
    bootScriptTag(window)
    expect(win.attune!((a: { site: string }) => a.site)).toBe('shop-2')
  })

  it('drains the queue stub in order: calls made before load work', () => {
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory' })
    installStub()
    const seen: string[] = []
    win.attune!('on', 'track', (e: TrackedEvent) => {
      if (e.name !== 'session_started' && e.name !== 'page_viewed') seen.push(e.name)
    })
    win.attune!('track', 'before_load', { n: 1 })
    win.attune!('consent', 'grant')
    win.attune!('track', 'after_grant')
    expect(win.attune!.q).toHaveLength(4)
    bootScriptTag(window)
    expect(seen).toEqual(['before_load', 'after_grant'])
    expect(win.attune!.loaded).toBe(true)
  })

  it('sends calls after load straight through', () => {
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory' })
    bootScriptTag(window)
    const ready = vi.fn()
    win.attune!('consent', 'grant', ['personalization'])
    expect(win.attune!('consent', 'get')).toEqual({ personalization: true, measurement: false, sync: false })
    win.attune!('ready', ready)
    return vi.waitFor(() => expect(ready).toHaveBeenCalledTimes(1))
  })

  it.each([
    ['an unknown command', ['fly', 1], /attune\("fly"\) is not a command; use track, page, consent, on, ready, destroy or a function/],
    ['a command that is not a string', [42], /attune\(42\) is not a command/],
    ['an unknown consent action', ['consent', 'maybe'], /action must be one of grant, deny, withdraw, get/],
    ['a prototype name', ['toString'], /is not a command/],
    ['wrong types to track', ['track', { name: 'x' }], /event name must be a string/],
  ])('reports %s through on("error") and never throws', (_n, args, message) => {
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory' })
    installStub()
    const errors: AttuneError[] = []
    win.attune!('on', 'error', (e: AttuneError) => errors.push(e))
    win.attune!(...(args as [unknown]))
    expect(() => bootScriptTag(window)).not.toThrow()
    expect(() => win.attune!(...(args as [unknown]))).not.toThrow()
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(message), expect.stringMatching(message)])
  })

  it('isolates a function command that throws', () => {
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory' })
    bootScriptTag(window)
    const errors: AttuneError[] = []
    win.attune!('on', 'error', (e: AttuneError) => errors.push(e))
    expect(() =>
      win.attune!(() => {
        throw new Error('page bug')
      }),
    ).not.toThrow()
    expect(errors[0]?.code).toBe('callback')
  })

  it('with a bad attribute, says what to fix on the console and leaves the page alone', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    addScript({ 'data-attune-site': 'shop 1' })
    installStub()
    win.attune!('track', 'x')
    expect(() => bootScriptTag(window)).not.toThrow()
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/option "site" must be your site id.*data-attune-\* attributes/))
    expect(() => win.attune!('track', 'y')).not.toThrow()
  })

  it('stands down when a second copy loads', () => {
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory' })
    bootScriptTag(window)
    const first = win.attune
    bootScriptTag(window)
    expect(win.attune).toBe(first)
  })

  it('takes data-attune-endpoint and data-attune-debug', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-endpoint': 'https://p.example.com', 'data-attune-debug': '', 'data-attune-storage': 'memory' })
    bootScriptTag(window)
    win.attune!('nope')
    expect(warn).toHaveBeenCalledWith('[attune]', expect.stringMatching(/not a command/), '')
  })
})

describe('the script tag loads the files beside it', () => {
  const loaded = () => Array.from(document.querySelectorAll<HTMLScriptElement>('script[src]')).map((s) => s.src)
  const TAG = 'https://cdn.example/attune/attune.min.js'

  it('loads nothing before consent, and the page chunk once personalization or measurement is granted', () => {
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory', src: TAG })
    bootScriptTag(window)
    expect(loaded()).toEqual([TAG])
    win.attune!('consent', 'grant', ['measurement'])
    win.attune!('consent', 'grant', ['personalization'])
    expect(loaded()).toEqual([TAG, 'https://cdn.example/attune/attune-page.min.js'])
  })

  it('reports a page chunk that did not load (blocked, offline)', () => {
    installStub()
    const errors: AttuneError[] = []
    win.attune!('on', 'error', (e: AttuneError) => errors.push(e))
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory', src: TAG })
    bootScriptTag(window)
    win.attune!('consent', 'grant')
    const chunk = document.querySelector<HTMLScriptElement>('script[src$="attune-page.min.js"]') as HTMLScriptElement
    expect(errors).toEqual([])
    chunk.dispatchEvent(new Event('error'))
    expect(errors).toEqual([expect.objectContaining({ code: 'network', message: expect.stringMatching(/attune-page\.min\.js did not load.*the profile is not read or kept/) })])
  })

  it.each(['tcf', 'consent-mode', 'onetrust', 'cookiebot', 'cookieconsent', 'gpc'])('loads the %s adapter named by data-attune-consent, and starts it with its options', (name) => {
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory', 'data-attune-consent': name, 'data-attune-consent-options': '{"vendorId":42}', src: TAG })
    bootScriptTag(window)
    expect(loaded()).toEqual([TAG, `https://cdn.example/attune/attune-consent-${name}.min.js`])
    // What the adapter file does once loaded (src/consent/handToTag.ts).
    const adapter = vi.fn((_attune: unknown, _options: unknown) => stop)
    const stop = vi.fn()
    win.attune!('extend', (attune: unknown, _endpoint: unknown, options: unknown) => adapter(attune, options))
    expect(adapter).toHaveBeenCalledWith(expect.objectContaining({ site: 'shop-1' }), { vendorId: 42 })
    return Promise.resolve(win.attune!('destroy')).then(() => expect(stop).toHaveBeenCalledTimes(1))
  })

  it('an adapter file that arrives after destroy starts nothing', async () => {
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory', 'data-attune-consent': 'consent-mode', src: TAG })
    bootScriptTag(window)
    await win.attune!('destroy')
    const adapter = vi.fn(() => () => {})
    win.attune!('extend', adapter)
    expect(adapter).not.toHaveBeenCalled()
  })

  it("reports an adapter file that did not load: the banner's answer cannot reach attune", () => {
    installStub()
    const errors: AttuneError[] = []
    win.attune!('on', 'error', (e: AttuneError) => errors.push(e))
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory', 'data-attune-consent': 'tcf', src: TAG })
    bootScriptTag(window)
    const file = document.querySelector<HTMLScriptElement>('script[src$="attune-consent-tcf.min.js"]') as HTMLScriptElement
    expect(errors).toEqual([])
    file.dispatchEvent(new Event('error'))
    expect(errors).toEqual([expect.objectContaining({ code: 'network', message: expect.stringMatching(/attune-consent-tcf\.min\.js did not load.*banner's answer/) })])
  })

  it.each([
    ['an unknown adapter', { 'data-attune-consent': 'banner' }, /data-attune-consent must be one of tcf, consent-mode, onetrust, cookiebot, cookieconsent, gpc; got "banner"/],
    ['options that are not JSON', { 'data-attune-consent': 'tcf', 'data-attune-consent-options': '{vendorId:1}' }, /consent banner adapter was not loaded: .*JSON/],
  ])('reports %s and loads no adapter', async (_name, attributes, why) => {
    installStub()
    const errors: AttuneError[] = []
    win.attune!('on', 'error', (e: AttuneError) => errors.push(e))
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory', src: TAG, ...attributes })
    bootScriptTag(window)
    await Promise.resolve()
    expect(loaded()).toEqual([TAG])
    expect(errors).toEqual([expect.objectContaining({ code: 'bad_call', message: expect.stringMatching(why) })])
  })

  it('shows slots at once when consent is refused, but keeps them waiting while it is undecided', () => {
    document.documentElement.classList.add('attune-loading')
    addScript({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory', src: TAG })
    bootScriptTag(window)
    expect(document.documentElement.classList.contains('attune-loading')).toBe(true)
    win.attune!('consent', 'deny')
    expect(document.documentElement.classList.contains('attune-loading')).toBe(false)
  })
})
