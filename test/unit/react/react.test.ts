import { act, createElement, StrictMode, type ReactNode } from 'react'
import { createRoot, hydrateRoot } from 'react-dom/client'
import { renderToString } from 'react-dom/server'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune } from '../../../src/index'
import { AttuneProvider, useAttune, useConsent, useDecision } from '../../../src/react/index'
import type { SiteConfig } from '../../../src/decide/model'
import { freshIndexedDb } from '../fresh'

;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true

const config: SiteConfig = { variants: { hero: [{ id: 'running', tags: ['category:running'] }] } }

/** A slot the way an app writes it: default content unless a variant was decided. */
const Hero = () => {
  const { variant, slotProps } = useDecision('hero')
  return createElement('section', slotProps, variant == 'running' ? 'Running week' : 'Welcome')
}
const Consent = () => {
  const consent = useConsent()
  return createElement('p', { id: 'consent' }, consent.personalization ? 'on' : 'off')
}
const Site = () => {
  const a = useAttune()
  return createElement('p', { id: 'site' }, a?.site ?? 'none')
}
const App = ({ attune }: { attune: Attune | null }): ReactNode =>
  createElement(AttuneProvider, { attune, personalize: { config, revealTimeoutMs: 60_000 } }, createElement(Hero), createElement(Consent), createElement(Site))

let instances: Attune[] = []
let container: HTMLElement

const shopper = async (): Promise<Attune> => {
  const a = createAttune({ site: 'shop-1', storage: 'memory' })
  instances.push(a)
  const ready = new Promise((resolve) => a.on('ready', resolve))
  a.consent.grant()
  await ready
  for (let i = 0; i < 3; i++) a.track('product_viewed', { id: `p${i}`, category: 'running' })
  return a
}

/**
 * Every text the slot showed while visible (not hidden by the anti-flicker rule), in order, as a
 * browser could paint it: between tasks (a state inside one task, microtasks included, is never painted).
 */
let sampler: ReturnType<typeof setInterval> | undefined
const recordVisible = (): string[] => {
  const seen: string[] = []
  sampler = setInterval(() => {
    const slot = container.querySelector('section')
    const hidden = document.documentElement.classList.contains('attune-loading') && !slot?.hasAttribute('data-attune-shown')
    if (slot && !hidden && seen.at(-1) !== slot.textContent) seen.push(slot.textContent ?? '')
  }, 0)
  return seen
}

beforeEach(() => {
  freshIndexedDb()
  document.documentElement.className = ''
  container = document.createElement('div')
  document.body.replaceChildren(container)
})
afterEach(async () => {
  clearInterval(sampler)
  await Promise.all(instances.map((a) => a.destroy()))
  instances = []
  localStorage.clear()
})

describe('attune/react', () => {
  it('renders default content on the server, with no instance and no window access', () => {
    const html = renderToString(createElement(App, { attune: null }))
    expect(html).toBe('<section data-attune-slot="hero">Welcome</section><p id="consent">off</p><p id="site">none</p>')
  })

  it('hydrates the server HTML, then shows the decided variant without ever showing the default', async () => {
    container.innerHTML = renderToString(createElement(App, { attune: null }))
    document.documentElement.classList.add('attune-loading')
    const a = await shopper()
    const seen = recordVisible()
    const errors = vi.spyOn(console, 'error')
    await act(async () => {
      hydrateRoot(container, createElement(App, { attune: a }))
    })
    await vi.waitFor(() => expect(container.querySelector('section')!.textContent).toBe('Running week'))
    expect(container.querySelector('section')!.hasAttribute('data-attune-shown')).toBe(true)
    expect(seen).toEqual(['Running week'])
    expect(container.querySelector('#consent')!.textContent).toBe('on')
    expect(container.querySelector('#site')!.textContent).toBe('shop-1')
    expect(errors).not.toHaveBeenCalled()
  })

  it('renders default content, shown, when personalization is refused', async () => {
    const a = createAttune({ site: 'shop-1', storage: 'memory' })
    instances.push(a)
    a.consent.deny()
    const root = createRoot(container)
    await act(async () => root.render(createElement(StrictMode, null, createElement(App, { attune: a }))))
    await vi.waitFor(() => expect(container.querySelector('section')!.hasAttribute('data-attune-shown')).toBe(true))
    expect(container.querySelector('section')!.textContent).toBe('Welcome')
    await act(async () => root.unmount())
  })

  it("reports a decided slot's exposure once half of it is in view, once per page view (an SPA navigation is one); none for a default shown for want of consent", async () => {
    // jsdom has no IntersectionObserver: this one lets the test say what is in view.
    const watched = new Set<Element>()
    let inView: IntersectionObserverCallback = () => {}
    class InView {
      constructor(callback: IntersectionObserverCallback) {
        inView = callback
      }
      observe(el: Element) {
        watched.add(el)
      }
      unobserve(el: Element) {
        watched.delete(el)
      }
      disconnect() {
        watched.clear()
      }
    }
    vi.stubGlobal('IntersectionObserver', InView)
    const show = (ratio: number) => {
      const entries = [...watched].map((target) => ({ target, intersectionRatio: ratio }) as unknown as IntersectionObserverEntry)
      inView(entries, {} as IntersectionObserver)
    }
    try {
      const a = await shopper()
      const exposures: [string, string | undefined][] = []
      a.on('exposure', (d) => exposures.push([d.slot, d.variant]))
      const root = createRoot(container)
      await act(async () => root.render(createElement(App, { attune: a })))
      await vi.waitFor(() => expect(container.querySelector('section')!.textContent).toBe('Running week'))
      expect([...watched]).toEqual([container.querySelector('section')])
      show(0.2)
      expect(exposures).toEqual([])
      show(0.6)
      show(1)
      expect(exposures).toEqual([['hero', 'running']])
      // An SPA navigation is a new page view: the slot, still mounted and in view, is exposed again.
      history.pushState(null, '', '/sale')
      a.page()
      show(1)
      expect(exposures).toEqual([['hero', 'running'], ['hero', 'running']])
      history.pushState(null, '', '/')
      await act(async () => root.unmount())

      const refused = createAttune({ site: 'shop-1', storage: 'memory' })
      instances.push(refused)
      refused.consent.deny()
      refused.on('exposure', (d) => exposures.push([d.slot, d.variant]))
      const other = createRoot(container)
      await act(async () => other.render(createElement(App, { attune: refused })))
      await vi.waitFor(() => expect(container.querySelector('section')!.hasAttribute('data-attune-shown')).toBe(true))
      expect(watched.size).toBe(0)
      await act(async () => other.unmount())
      expect(exposures).toHaveLength(2)
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('follows consent: a grant re-renders useConsent; a withdrawal takes the variant away', async () => {
    const a = await shopper()
    const root = createRoot(container)
    await act(async () => root.render(createElement(App, { attune: a })))
    await vi.waitFor(() => expect(container.querySelector('section')!.textContent).toBe('Running week'))
    await act(async () => a.consent.withdraw())
    expect(container.querySelector('#consent')!.textContent).toBe('off')
    expect(container.querySelector('section')!.textContent).toBe('Welcome')
    await act(async () => root.unmount())
  })

  it('decides a slot mounted after an SPA navigation afresh, from the profile as it is now', async () => {
    const a = createAttune({ site: 'shop-1', storage: 'memory' })
    instances.push(a)
    const ready = new Promise((resolve) => a.on('ready', resolve))
    a.consent.grant()
    await ready
    const root = createRoot(container)
    const at = (path: string, hero: boolean) => {
      history.pushState(null, '', path)
      a.page()
      return root.render(createElement(AttuneProvider, { attune: a, personalize: { config } }, hero ? createElement(Hero) : null))
    }
    try {
      await act(async () => at('/', true))
      await vi.waitFor(() => expect(container.querySelector('section')!.hasAttribute('data-attune-shown')).toBe(true))
      expect(container.querySelector('section')!.textContent).toBe('Welcome')
      await act(async () => at('/p/1', false))
      for (let i = 0; i < 3; i++) a.track('product_viewed', { id: `p${i}`, category: 'running' })
      await act(async () => at('/', true))
      expect(container.querySelector('section')!.textContent).toBe('Running week')
      expect(container.querySelector('section')!.hasAttribute('data-attune-shown')).toBe(true)
    } finally {
      await act(async () => root.unmount())
      history.replaceState(null, '', '/')
    }
  })

  it('imports without touching window (SSR)', async () => {
    const { window: saved } = globalThis
    vi.stubGlobal('window', undefined)
    try {
      vi.resetModules()
      await expect(import('../../../src/react/index')).resolves.toHaveProperty('useDecision')
    } finally {
      vi.stubGlobal('window', saved)
    }
  })
})
