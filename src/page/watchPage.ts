import type { EventProps } from '../track'
import { productFromElement, productFromJsonLd } from './product'

/** What {@link watchPage} calls; both are the instance's guarded `page` and `track`. */
export interface WatchPageDeps {
  page(): void
  track(name: string, props?: EventProps): void
}

/**
 * Tracks what every shop needs without code: a `page_viewed` per page and per SPA navigation
 * (History API and `popstate`, the same URL never twice in a row), a `product_viewed` when the
 * page describes a schema.org Product in JSON-LD, and clicks on `[data-attune-track]` elements,
 * carrying their `data-attune-product*` context. Returns `stop`, which undoes all of it.
 */
export const watchPage = (win: Window, deps: WatchPageDeps): (() => void) => {
  const { document: doc, history, location } = win
  let live = true
  let last: string | undefined
  let timer: ReturnType<typeof setTimeout> | undefined

  const productView = (): void => {
    const product = productFromJsonLd(doc)
    if (product) deps.track('product_viewed', { ...product })
  }
  const view = (): void => {
    const here = location.pathname + location.search
    if (!live || here === last) return
    last = here
    deps.page()
    clearTimeout(timer)
    // An SPA renders the new page's JSON-LD after changing the URL; a parsing page, at DOMContentLoaded.
    if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', productView, { once: true })
    else timer = setTimeout(productView, 0)
  }
  const click = (event: Event): void => {
    const target = (event.target as Element | null)?.closest?.('[data-attune-track]')
    const name = target?.getAttribute('data-attune-track')
    if (!target || !name) return
    const product = productFromElement(target) ?? (name.startsWith('product_') ? productFromJsonLd(doc) : undefined)
    deps.track(name, { ...product })
  }
  const patch = (method: 'pushState' | 'replaceState'): (() => void) => {
    const original = history[method]
    const patched: History['pushState'] = (...args) => {
      original.apply(history, args)
      view()
    }
    history[method] = patched
    // Restore only if nobody wrapped it after us; otherwise our wrapper stays, inert (live = false).
    return () => {
      if (history[method] === patched) history[method] = original
    }
  }

  const unpatch = [patch('pushState'), patch('replaceState')]
  win.addEventListener('popstate', view)
  doc.addEventListener('click', click, true)
  view()
  return () => {
    live = false
    clearTimeout(timer)
    for (const undo of unpatch) undo()
    win.removeEventListener('popstate', view)
    doc.removeEventListener('click', click, true)
    doc.removeEventListener('DOMContentLoaded', productView)
  }
}
