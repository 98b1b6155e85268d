import type { Explanation } from '../decide/model'
import { localStore } from '../lib/localStore'
import { SHOWN, SLOT } from './markup'
import { safeUrl } from './url'
import { templateOf } from './templates'

/**
 * Painting a returning shopper's slots before the first frame. Deciding needs the page chunk and
 * an IndexedDB read, which on a fast page come after the browser's first paint. So the
 * personalizer keeps, per slot, the last variant it showed from a page template that needed no
 * cleaning, with that template's HTML; the paint snippet (paintEarly.ts) shows it as soon as the
 * parser has read the slot and the same template, the tag takes the slot over, and the
 * personalizer then decides as always. When the decision is the same (the common case: profiles
 * change slowly), nothing changes; when it is not, nothing changes either: the slot keeps what was
 * painted, explained by the decision kept with it, and the new decision is painted next time.
 *
 * Kept in localStorage (read synchronously), only while personalization is granted: the wipe of
 * personalization data removes it with the profile.
 */

/**
 * Slot → `[variant id, the template's outerHTML, the decision that chose it]`, under
 * `attune:paint:<site>`. The snippet reads the first two; the page chunk, the third.
 */
export type PaintCache = Record<string, [id: string, html: string, why?: Explanation]>

/** Slots painted and not decided yet by the personalizer: slot element → `[variant id, undo]`. */
export type Painted = Map<Element, [id: string, undo: () => void]>

/** What the paint snippet hands the tag on the queue stub (`attune.p`): what it painted, and how to stop painting. */
export interface EarlyPaint {
  painted: Painted
  stop(): void
}

export const paintKey = (site: string): string => `attune:paint:${site}`

/** What is kept for `site`; throws when storage is blocked or holds something unreadable. */
export const readPaint = (site: string): PaintCache => JSON.parse(localStore()?.getItem(paintKey(site)) || '{}')

/** Elements the snippet never copies: they run or load code, style the page, or change its base URL. */
const BLOCKED = /^(script|style|base|link|meta|iframe|frame|object|embed|form|input|template|noscript|svg|math)$/
/** Attributes the snippet copies as they are; `href` and `src` only as http(s) or relative URLs. */
const PLAIN = /^(class|title|alt|lang|dir|role|width|height|loading|decoding|(aria|data)-[\w-]+)$/

/**
 * A copy of template content made of new elements and text nodes, or a throw for anything the
 * snippet does not copy. What storage says is never trusted to make a template safe: the page chunk
 * keeps only templates its cleaning (nodes.ts, an allow-list) left unchanged, and this check of
 * its own, on what could run or load code, holds even if the stored entry was written by someone
 * else. A declarative shadow root, invisible to the HTML compared, is left behind.
 */
const rebuild = (doc: Document, node: Node): Node => {
  if (node.nodeType == 3) return doc.createTextNode(node.textContent as string)
  const el = node as Element
  if (node.nodeType != 1 || BLOCKED.test(el.localName)) throw el
  const copy = doc.createElement(el.localName)
  for (const { name, value } of Array.from(el.attributes)) {
    if (!PLAIN.test(name) && !(/^(href|src)$/.test(name) && safeUrl(value, doc.baseURI))) throw el
    copy.setAttribute(name, value)
  }
  copy.append(...Array.from(el.childNodes, (child) => rebuild(doc, child)))
  return copy
}

/**
 * Whether the parser is done with slot `el`: the document is parsed, or `template` (read whole,
 * since its HTML matched) comes after the slot and outside it. A node that follows the slot is
 * no proof: a script may have appended it while the parser is still inside the slot.
 */
const parsed = (doc: Document, el: Element, template: Element): boolean =>
  // DOCUMENT_POSITION_FOLLOWING (4), and not CONTAINED_BY (16).
  doc.readyState != 'loading' || (el.compareDocumentPosition(template) & 20) == 4

/**
 * Shows in each slot of `doc` not shown yet the variant `cache` keeps for it, when the page has
 * its template with exactly the HTML kept and the snippet may copy it, and marks the slot shown.
 * Records each painted slot in `painted` with how to put its default content back. A slot the
 * parser may still be filling is left for a later call. Anything unreadable or refused paints
 * nothing: that slot waits for its decision as before.
 */
export const paint = (doc: Document, cache: PaintCache, painted: Painted): void => {
  for (const el of Array.from(doc.querySelectorAll(`[${SLOT}]:not([${SHOWN}])`))) {
    try {
      const slot = el.getAttribute(SLOT) as string
      const [id, html] = (Object.hasOwn(cache, slot) && cache[slot]) || []
      const template = id ? templateOf(doc, slot, id) : undefined
      // Read, never written: only compared with what the personalizer read from the same template.
      // eslint-disable-next-line no-restricted-properties
      if (!template || template.outerHTML !== html || !parsed(doc, el, template)) continue
      const nodes = Array.from(template.content.childNodes, (child) => rebuild(doc, child))
      const children = Array.from(el.childNodes)
      el.replaceChildren(...nodes)
      el.setAttribute(SHOWN, '')
      painted.set(el, [
        id as string,
        () => {
          el.replaceChildren(...children)
          el.removeAttribute(SHOWN)
        },
      ])
    } catch {
      // Refused or unreadable: as above.
    }
  }
}

/** Puts back the default content of every slot still painted. */
export const unpaint = (painted: Painted | undefined): void => {
  for (const [, [, undo]] of painted ?? []) undo()
  painted?.clear()
}

/**
 * Keeps `entry` as what to paint in `slot` next time, or forgets the slot when there is none.
 * Never throws: a full or blocked storage only means the next page waits for its decision.
 */
export const keepPaint = (site: string, slot: string, entry: PaintCache[string] | undefined): void => {
  try {
    const cache = readPaint(site)
    if (!entry && !Object.hasOwn(cache, slot)) return
    if (entry) cache[slot] = entry
    else delete cache[slot]
    localStore()?.setItem(paintKey(site), JSON.stringify(cache))
  } catch {
    // As above.
  }
}

/**
 * Forgets every kept slot: with the profile (personalization denied or withdrawn), or when the
 * shopper changed it (a stated preference, a removed affinity, a new visitor). The page chunk
 * keeps each decision once, when it is first shown, so a decision made before is not kept again.
 */
export const forgetPaint = (site: string): void => {
  try {
    localStore()?.removeItem(paintKey(site))
  } catch {
    // Storage that refuses even a removal kept nothing to paint from either.
  }
}
