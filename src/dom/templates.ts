import type { SiteConfig, Variant } from '../decide/model'
import { TEMPLATE } from './markup'

const ID = /^[\w-]{1,64}$/

/**
 * Slot names the config guard refuses as keys of `variants`: one such template would make the
 * whole config invalid (every slot on default), and `__proto__` would set the map's prototype.
 */
const RESERVED = /^(__proto__|constructor|prototype)$/

const templates = (doc: Document): HTMLTemplateElement[] => Array.from(doc.querySelectorAll<HTMLTemplateElement>(TEMPLATE))

/** The page's `<template>` for variant `id` of `slot`, if there is one. */
export const templateOf = (doc: Document, slot: string, id: string): HTMLTemplateElement | undefined =>
  templates(doc).find((t) => t.dataset.attuneVariant === slot && t.dataset.attuneId === id)

/**
 * The site config, one `checkConfig` accepted (an unchecked one can throw here), with the page's
 * variant templates added. A template becomes a variant of its slot, with `data-attune-tags`
 * (space- or comma-separated `dimension:value`), `data-attune-audience` and `data-attune-weight`;
 * when the config already lists its id, the config's fields win and the template's fill the gaps.
 * A template with a malformed slot or id, or naming an audience the config lacks, is left out and
 * its problem returned, so one bad template never costs the others.
 */
export const withTemplates = (config: SiteConfig, doc: Document): { config: SiteConfig; problems: string[] } => {
  const variants: Record<string, Variant[]> = { ...config.variants }
  const problems: string[] = []
  for (const t of templates(doc)) {
    const { attuneVariant: slot = '', attuneId: id = '', attuneTags: tags, attuneAudience: audience, attuneWeight: weight } = t.dataset
    const why =
      !ID.test(slot) || !ID.test(id)
        ? 'needs a slot and an id of letters, digits, _ and -'
        : RESERVED.test(slot)
          ? 'names a reserved slot'
          : audience && !config.audiences?.some((a) => a.id === audience)
            ? `names the unknown audience ${audience}`
            : weight && !(Number(weight) >= 0)
              ? 'has a bad weight'
              : ''
    if (why) {
      problems.push(`The template of variant ${JSON.stringify(id)} of slot ${JSON.stringify(slot)} ${why}; it was left out.`)
      continue
    }
    const variant: Variant = { id }
    if (tags) variant.tags = tags.split(/[\s,]+/).filter(Boolean)
    if (audience) variant.audience = audience
    if (weight) variant.weight = Number(weight)
    const list = Object.hasOwn(variants, slot) ? (variants[slot] as Variant[]) : []
    const i = list.findIndex((v) => v.id === id)
    variants[slot] = i < 0 ? [...list, variant] : list.map((v, j) => (j == i ? { ...variant, ...v } : v))
  }
  return { config: { ...config, variants }, problems }
}
