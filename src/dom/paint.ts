import { localStore } from '../lib/localStore'
import { SHOWN, SLOT } from './markup'
import { templateOf } from './templates'

/**
 * Painting a returning shopper's slots before the first frame. Deciding needs the page chunk and
 * an IndexedDB read, which on a fast page come after the browser's first paint; the script tag
 * itself runs before it. So the personalizer keeps, per slot, the last variant it showed from a
 * page template that needed no cleaning, with that template's HTML; the tag shows it at once
 * when the same template is on the page, and the personalizer then decides as always. When the
 * decision is the same (the common case: profiles change slowly), nothing changes; when it is
 * not, the slot shows the new decision once it is made.
 *
 * Kept in localStorage (read synchronously), only while personalization is granted: the wipe of
 * personalization data removes it with the profile.
 */

/** Slot → `[variant id, the template's innerHTML]`, under `attune:paint:<site>`. */
export type PaintCache = Record<string, [id: string, html: string]>

/** Slots the tag painted and the personalizer has not decided yet: slot element → `[variant id, undo]`. */
export type Painted = Map<Element, [id: string, undo: () => void]>

export const paintKey = (site: string): string => `attune:paint:${site}`

const read = (site: string): PaintCache => JSON.parse(localStore()?.getItem(paintKey(site)) || '{}')

/**
 * A copy of template content made of new elements and text nodes only, as `clean` (nodes.ts)
 * makes it: a declarative shadow root, invisible to `innerHTML`, is left behind.
 */
const rebuild = (doc: Document, node: Node): Node => {
  if (node.nodeType != 1) return doc.createTextNode(node.textContent ?? '')
  const el = node as Element
  const copy = doc.createElement(el.localName)
  for (const { name, value } of Array.from(el.attributes)) copy.setAttribute(name, value)
  copy.append(...Array.from(el.childNodes, (child) => rebuild(doc, child)))
  return copy
}

/**
 * Shows in each slot of `doc` not shown yet the variant kept for it, when the page has its
 * template with exactly the HTML kept, and marks the slot shown. Records each painted slot in
 * `painted` with how to put its default content back. Anything unreadable paints nothing.
 */
export const paint = (doc: Document, site: string, painted: Painted): void => {
  try {
    const cache = read(site)
    for (const el of Array.from(doc.querySelectorAll(`[${SLOT}]:not([${SHOWN}])`))) {
      const slot = el.getAttribute(SLOT) as string
      const [id, html] = (Object.hasOwn(cache, slot) && cache[slot]) || []
      const template = id ? templateOf(doc, slot, id) : undefined
      // Read, never written: only compared with what the personalizer read from the same template.
      // eslint-disable-next-line no-restricted-properties
      if (!template || template.innerHTML !== html) continue
      const children = Array.from(el.childNodes)
      el.replaceChildren(...Array.from(template.content.childNodes, (child) => rebuild(doc, child)))
      el.setAttribute(SHOWN, '')
      painted.set(el, [
        id as string,
        () => {
          el.replaceChildren(...children)
          el.removeAttribute(SHOWN)
        },
      ])
    }
  } catch {
    // No storage, or a value that is not ours: the slots wait for their decision as before.
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
export const keepPaint = (site: string, slot: string, entry: [string, string] | undefined): void => {
  try {
    const cache = read(site)
    if (entry) cache[slot] = entry
    else delete cache[slot]
    localStore()?.setItem(paintKey(site), JSON.stringify(cache))
  } catch {
    // As above.
  }
}

/** Forgets every kept slot: with the profile (personalization denied or withdrawn) or a new visitor. */
export const forgetPaint = (site: string): void => localStore()?.removeItem(paintKey(site))
