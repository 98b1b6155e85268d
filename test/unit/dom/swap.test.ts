import { beforeEach, describe, expect, it } from 'vitest'
import { swap } from '../../../src/dom/swap'

let slot: HTMLElement

beforeEach(() => {
  document.body.innerHTML = '<section data-attune-slot="hero" class="hero"><h2 title="Sale">Summer <em>sale</em></h2><a href="/sale">Shop</a></section>'
  slot = document.querySelector('section')!
})

const fragment = (...texts: string[]): DocumentFragment => {
  const f = document.createDocumentFragment()
  for (const t of texts) f.append(Object.assign(document.createElement('p'), { textContent: t }))
  return f
}

describe('swap', () => {
  it('replaces the children and reverts to the exact original DOM, the same nodes', () => {
    const before = slot.innerHTML
    const heading = slot.querySelector('h2')
    const revert = swap(slot, { nodes: fragment('Trail week') })
    expect(typeof revert).toBe('function')
    expect(slot.innerHTML).toBe('<p>Trail week</p>')
    ;(revert as () => void)()
    expect(slot.innerHTML).toBe(before)
    expect(slot.querySelector('h2')).toBe(heading)
  })

  it('edits text and attributes of existing elements, and reverts them', () => {
    const before = slot.outerHTML
    const revert = swap(slot, {
      edits: [
        { select: 'h2', text: 'Running week', attrs: { title: 'Running', 'data-x': '1' } },
        { attrs: { class: 'hero hero--running' } },
      ],
    })
    expect(slot.querySelector('h2')!.outerHTML).toBe('<h2 title="Running" data-x="1">Running week</h2>')
    expect(slot.className).toBe('hero hero--running')
    ;(revert as () => void)()
    expect(slot.outerHTML).toBe(before)
  })

  it('changes nothing when one edit target is missing', () => {
    const before = slot.outerHTML
    expect(swap(slot, { nodes: fragment('x'), edits: [{ select: 'h2', text: 'ok' }, { select: '.missing', text: 'no' }] })).toMatch(/no element matches \.missing/)
    expect(slot.outerHTML).toBe(before)
  })

  it.each([
    ['a refused attribute', { select: 'a', attrs: { onclick: 'x()' } }, /onclick is not allowed/],
    ['a javascript: URL', { select: 'a', attrs: { href: 'javascript:x()' } }, /href must be/],
    ['an invalid selector', { select: '<<', text: 'x' }, /no element matches/],
    ['text that is not a string', { text: 5 }, /text must be a string/],
    ['an edit that is not an object', 'h2', /bad edit/],
  ])('changes nothing for %s', (_name, edit, why) => {
    const before = slot.outerHTML
    expect(swap(slot, { edits: [edit as never] })).toMatch(why)
    expect(slot.outerHTML).toBe(before)
  })
})
