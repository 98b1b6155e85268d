/**
 * Variant content, made safe (DESIGN.md promise 5). Content comes from two places: `<template>`
 * elements the site authored, and declarative node trees in the site config. Both pass the same
 * allow-list of tags and attributes, and every URL must be http(s) or relative. Trees are built
 * with `createElement`, `setAttribute` and text nodes only: no HTML string is ever parsed, so no
 * Trusted Types sink is touched and nothing mutates on re-parsing.
 */

import { safeUrl } from './url'

/** A declarative node: a text, or an element with attributes and children. Wire names: never minified. */
export type ContentNode = string | { tag: string; attrs?: Record<string, string>; children?: ContentNode[] }

/** Elements variant content may hold: text-level and sectioning HTML, lists, tables, images, links. */
const TAGS = new Set(
  (
    'a abbr article aside b bdi bdo blockquote br button caption cite code col colgroup data dd del details dfn div dl dt ' +
    'em figcaption figure footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li mark nav ol p picture pre q s samp section ' +
    'small source span strong sub summary sup table tbody td tfoot th thead time tr u ul wbr'
  ).split(' '),
)

/**
 * Attributes variant content may carry, besides `aria-*` and `data-*`. Not `id` or `name` (they
 * clobber `window` and `document` properties), not `style`, no event handlers, no `srcdoc`,
 * `formaction` or other URL-taking attribute beyond the three checked ones and `srcset`.
 */
const ATTRS = new Set(
  (
    'alt cite class colspan datetime decoding dir height hidden href lang loading media open rel reversed role rowspan ' +
    'scope sizes span src srcset start tabindex target title type value width'
  ).split(' '),
)

const URL_ATTRS = new Set(['href', 'src', 'cite'])

/** Deepest tree and most nodes a declarative variant may have. */
export const MAX_DEPTH = 16
export const MAX_NODES = 500

/**
 * True for an element variant content may hold: an HTML element on the tag allow-list. Not a
 * `<script>` (its text is code once its type changes), `<link>`, `<iframe>`, SVG or MathML.
 */
export const isContent = (el: Element): boolean => el.namespaceURI == 'http://www.w3.org/1999/xhtml' && TAGS.has(el.localName)

export { safeUrl }

/** Why `value` may not go into attribute `name`, or undefined when it may. */
export const attrProblem = (name: string, value: string, base: string): string | undefined => {
  const n = name.toLowerCase()
  if (!ATTRS.has(n) && !/^(aria|data)-[a-z0-9-]+$/.test(n)) return `attribute ${name} is not allowed`
  if (URL_ATTRS.has(n) && !safeUrl(value, base)) return `${name} must be an http(s) or relative URL`
  if (n == 'srcset' && !value.split(',').every((part) => safeUrl(part.trim().split(/\s+/)[0] ?? '', base))) {
    return 'srcset must hold http(s) or relative URLs'
  }
  return undefined
}

/**
 * Removes from `root` (a template's cloned content) every element outside the allow-list with
 * its subtree, every comment, and every attribute that {@link attrProblem} refuses. Returns what
 * was removed, for the error channel; an empty list means the content was already clean.
 */
export const clean = (root: DocumentFragment | Element, base: string): string[] => {
  const removed: string[] = []
  const visit = (parent: Node): void => {
    for (const node of Array.from(parent.childNodes)) {
      if (node.nodeType == 3) continue
      const el = node as Element
      // Only HTML elements: an <svg> or <math> subtree is foreign content, the home of mXSS.
      if (node.nodeType != 1 || !isContent(el)) {
        removed.push(node.nodeType == 1 ? `<${el.localName}>` : 'a comment')
        node.remove()
        continue
      }
      // A new element takes its place: a clone keeps a declarative shadow root (`<template
      // shadowrootmode shadowrootclonable>`), which this walk cannot see when it is closed.
      const copy = el.ownerDocument.createElement(el.localName)
      for (const { name, value } of Array.from(el.attributes)) {
        if (attrProblem(name, value, base)) removed.push(`${name} on <${el.localName}>`)
        else copy.setAttribute(name, value)
      }
      copy.append(...Array.from(el.childNodes))
      el.replaceWith(copy)
      visit(copy)
    }
  }
  visit(root)
  return removed
}

/**
 * Why a declarative tree cannot be shown, or undefined when it can: the first problem found.
 * Pure (URLs resolve against `base`), so the server's schema checks configs with it too.
 */
export const nodesProblem = (nodes: unknown, base = 'https://example.com/'): string | undefined => {
  let count = 0
  const check = (node: unknown, depth: number): void => {
    if (++count > MAX_NODES) throw `more than ${MAX_NODES} nodes`
    if (depth > MAX_DEPTH) throw `deeper than ${MAX_DEPTH} levels`
    if (typeof node == 'string') return
    const { tag, attrs = {}, children = [] } = (node ?? {}) as Exclude<ContentNode, string>
    if (typeof tag != 'string' || !TAGS.has(tag)) throw `tag ${String(tag)} is not allowed`
    if (!attrs || typeof attrs != 'object' || Array.isArray(attrs) || !Array.isArray(children)) throw `bad <${tag}>`
    for (const name of Object.keys(attrs)) {
      const value = attrs[name]
      const why = typeof value != 'string' ? `${name} must be a string` : attrProblem(name, value, base)
      if (why) throw why
    }
    for (const child of children) check(child, depth + 1)
  }
  try {
    if (!Array.isArray(nodes)) return 'content must be a list of nodes'
    for (const node of nodes) check(node, 1)
  } catch (why) {
    return String(why)
  }
  return undefined
}

/**
 * Builds a declarative tree into a fragment with `createElement`, `setAttribute` and text nodes,
 * or returns why it cannot ({@link nodesProblem}); nothing is built then, so a variant is never
 * shown half-way.
 */
export const build = (nodes: unknown, doc: Document): DocumentFragment | string => {
  const why = nodesProblem(nodes, doc.baseURI)
  if (why) return why
  const make = (node: ContentNode): Node => {
    if (typeof node == 'string') return doc.createTextNode(node)
    const el = doc.createElement(node.tag)
    for (const [name, value] of Object.entries(node.attrs ?? {})) el.setAttribute(name, value)
    el.append(...(node.children ?? []).map(make))
    return el
  }
  const fragment = doc.createDocumentFragment()
  fragment.append(...(nodes as ContentNode[]).map(make))
  return fragment
}
