/**
 * `attune/ui`: what the shopper sees of attune (DESIGN.md promise 6) — `<attune-why>`, which says
 * in one sentence why a slot shows what it shows; `<attune-preferences>`, the preference center;
 * and zero-party questions declared with `data-attune-ask`. `defineAttuneElements(attune)`
 * registers them; importing this module does nothing.
 */
export { defineAttuneElements } from './defineAttuneElements'
export type { AttuneElementsOptions } from './createBinding'
