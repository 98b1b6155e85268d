import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bootScriptTag, type AttuneCommand } from '../../../src/script-tag'

type Win = Window & { attune?: AttuneCommand }
const win = window as Win
const TAG = 'https://cdn.example/attune/attune.min.js'
const loaded = () => Array.from(document.querySelectorAll<HTMLScriptElement>('script[src]')).map((s) => s.src)

/** Boots the tag on a page at `url` (path, query and fragment). */
const boot = (url: string, attributes: Record<string, string> = {}): void => {
  history.replaceState(null, '', url)
  const script = document.createElement('script')
  for (const [name, value] of Object.entries({ 'data-attune-site': 'shop-1', 'data-attune-storage': 'memory', src: TAG, ...attributes })) script.setAttribute(name, value)
  document.head.append(script)
  bootScriptTag(window)
}

beforeEach(() => {
  document.head.replaceChildren()
  document.body.replaceChildren()
})
afterEach(async () => {
  if (win.attune?.loaded) await win.attune('destroy')
  Reflect.deleteProperty(window, 'attune')
  history.replaceState(null, '', '/')
})

describe('the script tag and the QA overlay', () => {
  it('a #attune-preview= fragment loads the tag’s own sibling attune-debug.min.js, and nothing else', () => {
    boot('/product#attune-preview=ap1.shop-1.1.x.y.z')
    expect(loaded()).toEqual([TAG, 'https://cdn.example/attune/attune-debug.min.js'])
  })

  it.each([
    ['a host or path in the fragment', '/#attune-preview=https://evil.example/x.js'],
    ['a script path in the fragment', '/#attune-preview=//evil.example/attune-debug.min.js&src=/x.js'],
  ])('%s still loads only the sibling file', (_name, url) => {
    boot(url)
    expect(loaded()).toEqual([TAG, 'https://cdn.example/attune/attune-debug.min.js'])
  })

  it.each([
    ['no fragment', '/'],
    ['?attune_debug=1', '/?attune_debug=1'],
    ['?attune-preview= in the query', '/?attune-preview=ap1.shop-1.1.x.y.z'],
    ['an empty #attune-preview=', '/#attune-preview='],
    ['another fragment parameter', '/#xattune-preview=tok'],
  ])('%s loads nothing', (_name, url) => {
    boot(url)
    expect(loaded()).toEqual([TAG])
  })

  it('the loaded chunk does nothing when the fragment holds no token: a URL there is not even sent to a server', async () => {
    const fetch = vi.fn()
    vi.stubGlobal('fetch', fetch)
    document.body.innerHTML = '<section data-attune-slot="hero">Welcome</section>'
    boot('/#attune-preview=https://evil.example/x.js', { 'data-attune-endpoint': 'https://p.example.com' })
    const scripts = document.head.innerHTML
    vi.resetModules()
    await import('../../../src/browser-debug')
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(fetch).not.toHaveBeenCalled()
    expect(document.querySelector('attune-debug')).toBeNull()
    expect(document.head.innerHTML).toBe(scripts)
    expect(document.body.innerHTML).toBe('<section data-attune-slot="hero">Welcome</section>')
  })

  it('the loaded chunk checks the fragment’s token with the tag’s data-attune-endpoint, and destroy removes its overlay', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ site: 'shop-1', expiresAt: Date.now() + 60_000, note: '' }), { status: 200 }))
    vi.stubGlobal('fetch', fetch)
    document.body.innerHTML = '<section data-attune-slot="hero">Welcome</section>'
    boot('/#attune-preview=ap1.shop-1.tok', { 'data-attune-endpoint': 'https://p.example.com' })
    // What the browser does with the script the tag appended.
    vi.resetModules()
    await import('../../../src/browser-debug')
    await vi.waitFor(() => expect(document.querySelector('attune-debug')).not.toBeNull())
    expect(fetch).toHaveBeenCalledWith('https://p.example.com/v1/sites/shop-1/preview', expect.objectContaining({ headers: { authorization: 'Bearer ap1.shop-1.tok' } }))
    await win.attune!('destroy')
    expect(document.querySelector('attune-debug')).toBeNull()
  })
})
