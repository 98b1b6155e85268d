import { describe, expect, it, vi } from 'vitest'
import { personalize } from '../../../src/personalize'
import { defineAttuneElements } from '../../../src/ui/index'
import { add, attune, granted, later, settle, shadow, text, until } from './harness'

const PAGE = `<section data-attune-slot="hero"><h2>Welcome</h2></section>
<template data-attune-variant="hero" data-attune-id="running" data-attune-tags="category:running"><h2>Running week</h2></template>`

const define = (...args: Parameters<typeof defineAttuneElements>): void => later(defineAttuneElements(...args))

/** The disclosure's button and panel. */
const parts = (el: Element) => {
  const root = shadow(el)
  const button = root.querySelector('button')!
  const panel = root.getElementById(button.getAttribute('aria-controls')!)!
  return { button, panel }
}

describe('defineAttuneElements', () => {
  it('defines nothing at import, the elements when called, and may be called twice', async () => {
    // Other test files may have defined them in their own window; this file's window starts bare.
    expect(customElements.get('attune-why')).toBeUndefined()
    const a = attune()
    define(a)
    expect(customElements.get('attune-why')).toBeDefined()
    expect(customElements.get('attune-preferences')).toBeDefined()
    const b = attune()
    expect(() => define(b, { preferencesUrl: '/prefs' })).not.toThrow()
    const why = add('<attune-why slot="hero"></attune-why>')
    parts(why).button.click()
    expect(shadow(why).querySelector('a')?.getAttribute('href')).toBe('/prefs')
  })

  it('throws a TypeError for what is not an instance, or a bad option', () => {
    expect(() => defineAttuneElements({} as never)).toThrow(/needs an instance from createAttune/)
    const a = attune()
    expect(() => defineAttuneElements(a, { personalizer: {} as never })).toThrow(/personalizer/)
    expect(() => defineAttuneElements(a, { preferencesUrl: 42 as never })).toThrow(/preferencesUrl/)
    expect(() => defineAttuneElements(a, { lastSync: 1 as never })).toThrow(/lastSync/)
  })
})

describe('<attune-why>', () => {
  it('is a closed disclosure button that opens a panel with the standard sentence when nothing was decided', () => {
    define(attune())
    const why = add('<attune-why slot="hero"></attune-why>')
    const { button, panel } = parts(why)
    expect(button.getAttribute('type')).toBe('button')
    expect(text(button)).toBe('Why am I seeing this?')
    expect(button.getAttribute('aria-expanded')).toBe('false')
    expect(panel.hidden).toBe(true)
    button.click()
    expect(button.getAttribute('aria-expanded')).toBe('true')
    expect(panel.hidden).toBe(false)
    expect(text(panel)).toBe('This is our standard content.')
    button.click()
    expect(panel.hidden).toBe(true)
  })

  it('closes on Escape and gives focus back to its button', () => {
    define(attune())
    const why = add('<attune-why slot="hero"></attune-why>')
    const { button, panel } = parts(why)
    button.click()
    panel.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }))
    expect(panel.hidden).toBe(true)
    expect(button.getAttribute('aria-expanded')).toBe('false')
    expect(shadow(why).activeElement).toBe(button)
  })

  it('says why the slot shows its variant, from the decision personalize made, and links to the preference center', async () => {
    document.body.insertAdjacentHTML('beforeend', PAGE)
    const a = await granted({ storage: 'memory' })
    for (let i = 0; i < 3; i++) a.track('product_viewed', { id: `p${i}`, category: 'running' })
    add('<attune-preferences id="my-data"></attune-preferences>')
    define(a)
    const p = personalize(a)
    later(p.stop)
    later(p.apply())
    const why = add('<attune-why slot="hero" label="Why this?"></attune-why>')
    await until(() => expect(document.querySelector('[data-attune-slot="hero"]')?.textContent).toBe('Running week'))
    const { button, panel } = parts(why)
    expect(text(button)).toBe('Why this?')
    button.click()
    expect(text(panel.querySelector('p'))).toBe('Shown because you viewed running products recently.')
    expect(panel.querySelector('a')?.getAttribute('href')).toBe('#my-data')
    // Withdrawal puts the page's content back, and the sentence with it.
    a.consent.withdraw()
    await until(() => expect(text(panel.querySelector('p'))).toBe('This is our standard content.'))
  })

  it('asks the personalizer for a slot it decided, never for one it did not (that would decide it)', async () => {
    const a = await granted({ storage: 'memory' })
    const explain = vi.fn(() => ({ slot: 'hero', variant: undefined, reason: { kind: 'default' as const, why: 'failed' as const }, text: 'This is our standard content' }))
    define(a, { personalizer: { explain } })
    const why = add('<attune-why slot="hero"></attune-why>')
    parts(why).button.click()
    expect(explain).not.toHaveBeenCalled()
    // attune/personalize emits `decision`; here the instance's own channel stands in for it.
    const { internals } = await import('../../../src/internals')
    internals.get(a)!.emit('decision', { slot: 'hero', variant: 'running', reason: { kind: 'affinity', tag: 'category:running', score: 3 }, text: 'Shown because you viewed running products recently' })
    await settle()
    expect(explain).toHaveBeenCalledWith('hero')
    // The personalizer knows better: the variant failed to render, the slot shows its default.
    expect(text(parts(why).panel.querySelector('p'))).toBe('This is our standard content.')
  })

  it('links only to http(s) or relative URLs', () => {
    define(attune(), { preferencesUrl: 'javascript:alert(1)' })
    const why = add('<attune-why slot="hero"></attune-why>')
    parts(why).button.click()
    expect(shadow(why).querySelector('a')).toBeNull()
    why.setAttribute('href', 'data:text/html,x')
    parts(why).button.click()
    expect(shadow(why).querySelector('a')).toBeNull()
    why.setAttribute('href', '/privacy#choices')
    parts(why).button.click()
    expect(shadow(why).querySelector('a')?.getAttribute('href')).toBe('/privacy#choices')
  })

  it('after stop, still discloses the standard sentence and nothing else', () => {
    const stop = defineAttuneElements(attune(), { preferencesUrl: '/prefs' })
    const why = add('<attune-why slot="hero"></attune-why>')
    stop()
    parts(why).button.click()
    expect(text(parts(why).panel)).toBe('This is our standard content.')
  })
})
