import type { Attune } from '../createAttune'
import { internals } from '../internals'
import { createBinding, type AttuneElementsOptions, type Binding } from './createBinding'
import { mountPreferences } from './mountPreferences'
import { mountWhy } from './mountWhy'
import { watchAsks } from './watchAsks'

type Mount = (host: HTMLElement, binding: Binding | undefined) => () => void

/** What the elements follow: the instance of the latest `defineAttuneElements` call, until its stop. */
let binding: Binding | undefined
let stopAsks: (() => void) | undefined
/** Every connected element, re-mounted when the binding changes. */
const hosts = new Set<{ _mount(): void }>()

/**
 * Defines custom element `name` once per page (a second call, or another copy of attune/ui
 * that got there first, leaves it as it is). Custom elements must be classes; this one only
 * hands its host to `mount` and calls the unmount it returns.
 */
const define = (name: string, mount: Mount, observed: string[]): void => {
  if (customElements.get(name)) return
  customElements.define(
    name,
    class extends HTMLElement {
      static observedAttributes = observed
      _off?: () => void
      connectedCallback() {
        hosts.add(this)
        this._mount()
      }
      disconnectedCallback() {
        hosts.delete(this)
        this._off?.()
        this._off = undefined
      }
      attributeChangedCallback() {
        if (hosts.has(this)) this._mount()
      }
      _mount() {
        this._off?.()
        try {
          this._off = mount(this, binding)
        } catch (error) {
          // A bug of ours, or a browser without shadow DOM: the page goes on without this element.
          this._off = undefined
          binding?.inner?.report('callback', `<${name}> could not be shown; the page went on.`, error)
        }
      }
    },
  )
}

/**
 * Registers `<attune-why>` and `<attune-preferences>` for `attune`, and starts asking the page's
 * zero-party questions (`data-attune-ask`). Nothing happens at import: this call is what defines
 * the elements. Calling it again moves every element to the new instance and options. Throws a
 * `TypeError` when `attune` is not an instance from `createAttune` or an option is wrong; does
 * nothing outside a browser (SSR). Returns `stop`: questions are taken back off the page and the
 * elements show that preferences are unavailable (custom elements cannot be undefined).
 */
export const defineAttuneElements = (attune: Attune, options: AttuneElementsOptions = {}): (() => void) => {
  if (!internals.get(attune)) throw new TypeError('attune: defineAttuneElements(attune) needs an instance from createAttune.')
  const { personalizer, preferencesUrl, lastSync } = options
  if (personalizer !== undefined && typeof personalizer?.explain != 'function') {
    throw new TypeError('attune: defineAttuneElements option "personalizer" must be what personalize(attune) returned.')
  }
  if (preferencesUrl !== undefined && typeof preferencesUrl != 'string') {
    throw new TypeError(`attune: defineAttuneElements option "preferencesUrl" must be a URL string, e.g. '/privacy#preferences'; got ${typeof preferencesUrl}.`)
  }
  if (lastSync !== undefined && typeof lastSync != 'function') {
    throw new TypeError('attune: defineAttuneElements option "lastSync" must be a function returning epoch ms or undefined.')
  }
  if (typeof window == 'undefined' || typeof customElements == 'undefined') return () => {}
  stopAsks?.()
  binding?.stop()
  const mine = (binding = createBinding(attune, { ...options }))
  define('attune-why', mountWhy, ['slot', 'href', 'label'])
  define('attune-preferences', mountPreferences, ['heading', 'heading-level'])
  const remount = (): void => {
    for (const host of [...hosts]) host._mount()
  }
  remount()
  const stop = (stopAsks = watchAsks(mine))
  return () => {
    if (binding !== mine) return
    stop()
    mine.stop()
    binding = stopAsks = undefined
    remount()
  }
}
