import { describe, expect, it } from 'vitest'
import type { Attune } from '../../../src/createAttune'
import { personalize } from '../../../src/personalize'
import { defineAttuneElements } from '../../../src/ui/index'
import { add, attune, button, errors, granted, later, ready, settle, text, until } from './harness'

const SIZE =
  '<div data-attune-ask="size" data-attune-question="Your shoe size?" data-attune-options="38, 39,40" data-attune-perk="Tell us your size, get free returns"></div>'

const define = (a: Attune, options?: Parameters<typeof defineAttuneElements>[1]): void => later(defineAttuneElements(a, options))
const asking = (el: Element) => until(() => expect(el.getAttribute('data-attune-state')).toBe('asking'))

describe('zero-party questions (data-attune-ask)', () => {
  it('are not shown, and store nothing, without personalization consent', async () => {
    const el = add(SIZE)
    const a = attune()
    define(a)
    await settle()
    a.consent.grant(['measurement'])
    await ready(a)
    await settle()
    expect(el.childNodes).toHaveLength(0)
    expect(el.hasAttribute('data-attune-state')).toBe(false)
    a.consent.withdraw()
    await settle()
    expect(await indexedDB.databases()).toEqual([])
    expect(localStorage.length).toBe(0)
  })

  it('are shown once the profile has loaded: the question, the perk, one button per option and "No thanks"', async () => {
    const el = add(SIZE)
    const a = attune()
    define(a)
    a.consent.grant()
    await asking(el)
    const fieldset = el.querySelector('fieldset')!
    expect(text(fieldset.querySelector('legend'))).toBe('Your shoe size?')
    expect(text(fieldset.querySelector('.attune-ask-perk'))).toBe('Tell us your size, get free returns')
    expect(Array.from(fieldset.querySelectorAll('button'), text)).toEqual(['38', '39', '40', 'No thanks'])
    expect(Array.from(fieldset.querySelectorAll('button'), (b) => b.type)).toEqual(['button', 'button', 'button', 'button'])
  })

  it('render attribute text as text, never as markup', async () => {
    const el = add('<div data-attune-ask="x" data-attune-question="&lt;img src=x onerror=alert(1)&gt;" data-attune-options="&lt;b&gt;a&lt;/b&gt;"></div>')
    define(await granted())
    await asking(el)
    expect(el.querySelector('img, b')).toBeNull()
    expect(text(el.querySelector('legend'))).toBe('<img src=x onerror=alert(1)>')
  })

  it('store the answer as an interest at once, and slots decided afterwards use it', async () => {
    const el = add(SIZE)
    const a = await granted({ storage: 'memory' })
    define(a)
    const p = personalize(a, {
      config: {
        audiences: [{ id: 'size-40', condition: { fact: 'profile.interests.size', op: 'eq', value: '40' } }],
        variants: { sizes: [{ id: 'in-stock-40', audience: 'size-40', content: [{ tag: 'p', children: ['Size 40 in stock'] }] }] },
      },
    })
    later(p.stop)
    later(p.apply())
    await asking(el)
    const forty = button(el, '40')
    forty.focus()
    forty.click()
    expect(a.profile.get().interests).toEqual({ size: '40' })
    expect(el.getAttribute('data-attune-state')).toBe('answered')
    expect(text(el)).toBe('Thanks, saved.')
    // Keyboard users are not dropped on <body>: focus moves to the note that replaced the buttons.
    expect(document.activeElement).toBe(el.querySelector('.attune-ask-thanks'))
    expect(p.decide('sizes')).toMatchObject({ variant: 'in-stock-40', reason: { kind: 'audience', audience: 'size-40' } })
    // A slot rendered after the answer shows the variant the answer chose.
    const slot = add('<section data-attune-slot="sizes"><p>Our sizes</p></section>')
    await until(() => expect(text(slot)).toBe('Size 40 in stock'))
  })

  it('are never asked again once answered, on a later page', async () => {
    const a = await granted()
    define(a)
    const el = add(SIZE)
    await asking(el)
    button(el, '39').click()
    await settle()
    await a.destroy()
    document.body.replaceChildren()
    const b = attune()
    define(b)
    const again = add(SIZE)
    await ready(b)
    await until(() => expect(b.profile.get().interests).toEqual({ size: '39' }))
    await settle()
    expect(again.childNodes).toHaveLength(0)
  })

  it('remember "No thanks" as null under the key, so the question is not asked again', async () => {
    const a = await granted()
    define(a, { preferencesUrl: '/privacy' })
    const el = add(SIZE.replace('<div', '<div data-attune-dismiss="Not now"'))
    await asking(el)
    button(el, 'Not now').click()
    expect(a.profile.get().interests).toEqual({ size: null })
    expect(el.getAttribute('data-attune-state')).toBe('dismissed')
    expect(text(el)).toBe('OK, we won’t ask again. Change it in your preferences')
    expect(el.querySelector('a')?.getAttribute('href')).toBe('/privacy')
    const second = add(SIZE)
    await settle()
    expect(second.childNodes).toHaveLength(0)
  })

  it('ask questions added to the page later, and take back an open one answered elsewhere', async () => {
    const a = await granted()
    define(a)
    await settle()
    const el = add(SIZE)
    await asking(el)
    a.profile.setInterest('size', '38')
    a.track('page_viewed')
    await until(() => expect(el.childNodes).toHaveLength(0))
    expect(el.hasAttribute('data-attune-state')).toBe(false)
  })

  it('are taken off the page on withdrawal and by stop(), leaving the element exactly as it was', async () => {
    const el = add(SIZE)
    const before = document.body.innerHTML
    const a = await granted()
    const stop = defineAttuneElements(a)
    await asking(el)
    a.consent.withdraw()
    await until(() => expect(document.body.innerHTML).toBe(before))
    a.consent.grant()
    await asking(el)
    stop()
    expect(document.body.innerHTML).toBe(before)
  })

  it('report a question without options once, and ask nothing', async () => {
    const el = add('<div data-attune-ask="size" data-attune-question="Your size?"></div>')
    const a = await granted()
    define(a)
    a.track('page_viewed')
    await settle()
    a.track('page_viewed')
    await settle()
    expect(el.childNodes).toHaveLength(0)
    expect(errors.map((e) => [e.code, e.message])).toEqual([
      ['config', 'A zero-party question was not asked: the question for "size" needs data-attune-question and data-attune-options.'],
    ])
  })
})
