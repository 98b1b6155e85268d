// The shop's catalogue, the same file the plain-HTML shop is rendered from, bundled into the app.
import data from '../../shop/catalog.json'

export type Product = (typeof data.products)[number]
export type Category = (typeof data.categories)[number]

export const { shop, categories, products } = data

export const categoryOf = (id: string): Category | undefined => categories.find((c) => c.id === id)
export const productOf = (slug: string): Product | undefined => products.find((p) => p.slug === slug)
export const money = (n: number): string => `€${n.toFixed(2)}`

/** The home hero's default content and one per `home-hero` variant of the site config (its id). */
export const HEROES: Record<string, { eyebrow: string; title: string; text: string; cta: string; href: string; art: string }> = {
  default: { eyebrow: 'New season', title: 'Gear for every trail', text: 'Shoes, packs, tents and mats, tested by our team in the Alps.', cta: 'Shop the new season', href: '/c/hiking', art: 'hiking' },
  running: { eyebrow: 'Picked for runners', title: 'Faster on every surface', text: 'Road racers, trail shoes and light layers for your next run.', cta: 'Shop running', href: '/c/running', art: 'running' },
  hiking: { eyebrow: 'Picked for hikers', title: 'Go further, stay dry', text: 'Waterproof boots, shells and packs for long days on the hill.', cta: 'Shop hiking', href: '/c/hiking', art: 'hiking' },
  climbing: { eyebrow: 'Picked for climbers', title: 'Send your next project', text: 'Shoes, harnesses and quickdraws from the brands climbers trust.', cta: 'Shop climbing', href: '/c/climbing', art: 'climbing' },
  camping: { eyebrow: 'Picked for campers', title: 'Sleep well under the stars', text: 'Light tents, warm bags and stoves for nights outdoors.', cta: 'Shop camping', href: '/c/camping', art: 'camping' },
  yoga: { eyebrow: 'Picked for you', title: 'Find your flow', text: 'Cork mats, blocks and soft layers for your practice.', cta: 'Shop yoga', href: '/c/yoga', art: 'yoga' },
}

/** The page title for `path`, set before the URL changes so attune's `page_viewed` carries it. */
export const titleOf = (path: string): string => {
  const category = /^\/c\/([\w-]+)$/.exec(path)?.[1]
  const product = /^\/p\/([\w-]+)$/.exec(path)?.[1]
  if (path === '/') return `${shop.name} — gear for running, hiking, climbing, camping and yoga`
  if (path === '/preferences') return `Your data and choices — ${shop.name}`
  if (category && categoryOf(category)) return `${categoryOf(category)?.name} — ${shop.name}`
  const p = product ? productOf(product) : undefined
  if (p) return `${p.name} by ${p.brand} — ${shop.name}`
  return `Not found — ${shop.name}`
}
