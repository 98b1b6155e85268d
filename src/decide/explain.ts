import type { Decision, Facts } from './model'

/**
 * An id or tag value as words ("returning-runners" → "returning runners"), or undefined when it
 * does not read as words (a UUID, a SKU): shoppers are never shown raw ids.
 */
const words = (id: string): string | undefined => {
  const w = id.replace(/[-_\s]+/g, ' ').trim()
  return /^[\p{L} ]{1,40}$/u.test(w) ? w : undefined
}

/**
 * One short, kind English sentence telling the shopper why a slot shows what it shows, for the
 * "why am I seeing this" disclosure. Affinity names the tag's value ("category:running" →
 * "running"), audience the audience id as words; when those do not read as words, the sentence
 * stays general. `facts` is accepted for the client's `explain(slot)`, which has them at hand;
 * today's sentences need only the decision.
 */
export const explain = (decision: Decision, _facts?: Facts): string => {
  const r = decision.reason
  const w = words(r.kind == 'audience' ? r.audience : r.kind == 'affinity' ? r.tag.slice(r.tag.indexOf(':') + 1) : '')
  switch (r.kind) {
    case 'forced':
      return 'Forced for testing'
    case 'experiment':
      return 'Shown as part of an experiment to improve this page'
    case 'audience':
      return w ? `Shown because you match “${w}”` : 'Picked for shoppers like you'
    case 'affinity':
      return w ? `Shown because you viewed ${w} products recently` : 'Picked from products you viewed recently'
    default:
      return 'This is our standard content'
  }
}
