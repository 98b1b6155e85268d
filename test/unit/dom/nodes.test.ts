import { describe, expect, it } from 'vitest'
import { attrProblem, build, clean, nodesProblem, safeUrl } from '../../../src/dom/nodes'

const BASE = 'https://shop.example/'

const template = (html: string): DocumentFragment => {
  const t = document.createElement('template')
  t.innerHTML = html
  return t.content.cloneNode(true) as DocumentFragment
}

const serialise = (fragment: DocumentFragment): string => {
  const div = document.createElement('div')
  div.append(fragment)
  return div.innerHTML
}

describe('safeUrl', () => {
  it.each(['https://x.example/a', 'http://x.example', '/sale', 'sale.html', '?q=1', '#top', '//cdn.example/i.png'])('accepts %s', (url) => {
    expect(safeUrl(url, BASE)).toBe(true)
  })
  it.each(['javascript:alert(1)', ' JavaScript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>', 'blob:https://x/1', 'vbscript:x', 'file:///etc/passwd', 'http://[bad'])(
    'refuses %j',
    (url) => expect(safeUrl(url, BASE)).toBe(false),
  )
})

describe('attrProblem', () => {
  it.each([
    ['class', 'a b'],
    ['href', '/a'],
    ['aria-label', 'Close'],
    ['data-attune-track', 'product_added'],
    ['srcset', '/a.png 1x, https://cdn.example/b.png 2x'],
  ])('allows %s', (name, value) => expect(attrProblem(name, value, BASE)).toBeUndefined())
  it.each([
    ['onclick', 'x()'],
    ['ONERROR', 'x()'],
    ['style', 'color:red'],
    ['id', 'attune'],
    ['name', 'cookie'],
    ['srcdoc', '<script>'],
    ['formaction', '/x'],
    ['xlink:href', '/x'],
    ['href', 'javascript:x()'],
    ['src', 'data:image/png;base64,AA'],
    ['srcset', '/a.png 1x, javascript:x 2x'],
  ])('refuses %s=%j', (name, value) => expect(attrProblem(name, value, BASE)).toEqual(expect.any(String)))
})

describe('clean (page templates)', () => {
  it('keeps allowed content exactly', () => {
    const html = '<div class="hero"><h2>Run</h2><a href="/running" data-attune-track="hero_clicked">Shop <b>now</b></a><img src="/r.png" alt="Runner"></div>'
    const fragment = template(html)
    expect(clean(fragment, BASE)).toEqual([])
    expect(serialise(fragment)).toBe(html)
  })

  it('removes scripts, foreign content, handlers, clobbering names and bad URLs, and says what', () => {
    const fragment = template(
      '<p id="attune" onclick="x()" class="k">Hi<script>x()</script></p><svg><script>x()</script></svg><a href="javascript:x()" name="cookie">a</a><iframe srcdoc="<script>x()</script>"></iframe><!-- c --><img src=x onerror="x()">',
    )
    const removed = clean(fragment, BASE)
    expect(serialise(fragment)).toBe('<p class="k">Hi</p><a>a</a><img src="x">')
    expect(removed).toEqual(expect.arrayContaining(['<script>', '<svg>', '<iframe>', 'a comment', 'onclick on <p>', 'id on <p>', 'href on <a>', 'name on <a>', 'onerror on <img>']))
  })
})

describe('declarative content', () => {
  it('builds elements, attributes and text with no HTML parsing', () => {
    const fragment = build(
      [{ tag: 'a', attrs: { href: '/trail', class: 'cta' }, children: ['Trail <shoes>', { tag: 'strong', children: ['now'] }] }, ' & more'],
      document,
    )
    expect(typeof fragment).not.toBe('string')
    expect(serialise(fragment as DocumentFragment)).toBe('<a href="/trail" class="cta">Trail &lt;shoes&gt;<strong>now</strong></a> &amp; more')
  })

  it.each([
    ['not a list', { tag: 'p' }, /list of nodes/],
    ['a script', [{ tag: 'script', children: ['x()'] }], /tag script is not allowed/],
    ['an uppercase tag', [{ tag: 'SCRIPT' }], /not allowed/],
    ['a handler', [{ tag: 'img', attrs: { src: '/a.png', onerror: 'x()' } }], /onerror is not allowed/],
    ['a javascript: link', [{ tag: 'a', attrs: { href: 'javascript:x()' } }], /href must be an http\(s\) or relative URL/],
    ['a style', [{ tag: 'p', attrs: { style: 'x' } }], /style is not allowed/],
    ['a number attribute', [{ tag: 'p', attrs: { title: 1 } }], /title must be a string/],
    ['children that are not a list', [{ tag: 'p', children: 'x' }], /bad <p>/],
    ['attrs as a list', [{ tag: 'p', attrs: ['x'] }], /bad <p>/],
    ['a missing tag', [{ children: [] }], /tag undefined is not allowed/],
    ['null', [null], /not allowed/],
    ['a tree too deep', [Array.from({ length: 20 }).reduce<unknown>((child) => ({ tag: 'div', children: [child] }), 'x')], /deeper than 16/],
    ['too many nodes', Array.from({ length: 501 }, () => 'x'), /more than 500 nodes/],
  ])('refuses %s, building nothing', (_name, tree, why) => {
    expect(nodesProblem(tree)).toMatch(why)
    expect(build(tree, document)).toMatch(why)
  })
})
