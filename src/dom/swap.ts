import { attrProblem, isContent } from './nodes'

/** A change to an element of the slot that stays in place. Wire names: never minified. */
export interface Edit {
  /** CSS selector inside the slot; absent means the slot element itself. */
  select?: string
  /** New text content. */
  text?: string
  /** New attribute values (the allow-list of nodes.ts applies). */
  attrs?: Record<string, string>
}

/** What a variant puts into its slot: new children, edits of existing elements, or both. */
export interface Content {
  nodes?: DocumentFragment
  edits?: Edit[]
}

/** Why `edit` cannot be applied, whatever the page (a pure check the config guard shares), or undefined. */
export const editProblem = (edit: unknown, base = 'https://example.com/'): string | undefined => {
  const { select, text, attrs = {} } = (edit ?? {}) as Edit
  if (!edit || typeof edit != 'object' || (select !== undefined && typeof select != 'string')) return 'bad edit'
  if (text !== undefined && typeof text != 'string') return 'text must be a string'
  if (!attrs || typeof attrs != 'object' || Array.isArray(attrs)) return 'bad attrs'
  for (const name of Object.keys(attrs)) {
    const value = attrs[name]
    const why = typeof value != 'string' ? `${name} must be a string` : attrProblem(name, value, base)
    if (why) return why
  }
  return undefined
}

/**
 * Puts `content` into `slot` and returns the function that puts back exactly what was there: the
 * original child nodes themselves (not copies, so listeners and framework references survive)
 * and the original attribute values. Every edit target is found and every attribute checked
 * before anything changes; when one is missing or refused, nothing changes and the reason is
 * returned instead, so a slot never shows a half-applied variant.
 */
export const swap = (slot: Element, { nodes, edits = [] }: Content): (() => void) | string => {
  const base = slot.ownerDocument.baseURI
  const targets: Element[] = []
  for (const edit of edits) {
    let el: Element | null = slot
    try {
      if (edit?.select !== undefined) el = slot.querySelector(edit.select)
    } catch {
      el = null
    }
    const why = editProblem(edit, base)
    if (why) return why
    if (!el) return `no element matches ${String(edit.select)}`
    // The page's own <script type="application/ld+json">, <link> or <iframe> may sit in a slot:
    // changing their text or attributes would run or load code, so edits keep to content elements.
    if (el != slot && !isContent(el)) return `edits may not change <${el.localName}>`
    targets.push(el)
  }
  const undo: Array<() => void> = []
  const keepChildren = (el: Element): void => {
    const children = Array.from(el.childNodes)
    undo.push(() => el.replaceChildren(...children))
  }
  if (nodes) {
    keepChildren(slot)
    slot.replaceChildren(nodes)
  }
  edits.forEach(({ text, attrs = {} }, i) => {
    const el = targets[i] as Element
    if (text !== undefined) {
      keepChildren(el)
      el.textContent = text
    }
    for (const name of Object.keys(attrs)) {
      const old = el.getAttribute(name)
      undo.push(() => (old === null ? el.removeAttribute(name) : el.setAttribute(name, old)))
      el.setAttribute(name, attrs[name] as string)
    }
  })
  return () => {
    for (const fn of undo.reverse()) fn()
  }
}
