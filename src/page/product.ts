/** A product the page is about, as sent with events. Field names are wire names: never minified. */
export interface ProductContext {
  /** The retailer's product id, preferably its SKU. Trimmed, 1 to 100 characters. */
  product_id: string
  /** Product name as the page shows it. */
  name?: string
  /** Category as the page writes it: one name, or a whole breadcrumb such as `Shoes > Running`. */
  category?: string
  /** Brand name. */
  brand?: string
  /**
   * Price, never negative: in JSON-LD, that of the first offer that has one (the lowest price of
   * an aggregate offer). Numbers with a currency sign or thousands separators are not read.
   */
  price?: number
  /** Currency of that price as the page writes it, normally ISO 4217 such as `EUR`; only given with a price. */
  currency?: string
}

type Json = Record<string, unknown>

// `schema:Product` and `https://schema.org/Product` are valid JSON-LD too. A ProductGroup is the
// page of a product sold in variants: a product page as far as a shopper's interests go.
const PRODUCT = /(^|[/:])Product(Group)?$/i

const list = (value: unknown): unknown[] => ([] as unknown[]).concat(value)

// Page text is untrusted and unbounded: every string kept is trimmed and cut to 200 characters.
const clean = (value: unknown): string | undefined =>
  typeof value == 'string' ? value.trim().slice(0, 200) || undefined : undefined

// Prices come as numbers or numeric strings ("129.00"). The pattern (which `test` applies to the
// value turned into a string) rules out "", "-5", "Infinity", null and booleans, for which `+`
// gives numbers; anything else `+` cannot read becomes NaN and fails `< Infinity`.
const num = (value: unknown): number | undefined =>
  /^\s*\.?\d/.test(value as string) && +(value as string) < Infinity ? +(value as string) : undefined

// The first usable id. An id is never cut (a cut id could name another product): a longer one
// is more likely a URL or junk, so the next candidate is tried instead.
const ident = (...candidates: unknown[]): string | undefined =>
  candidates.map((v) => clean(typeof v == 'number' ? '' + v : v)).find((id) => id && id.length <= 100)

// schema.org text may come as a list (the first item is kept) or as a Thing with a `name`, such as a Brand.
const text = (value: unknown): string | undefined => {
  const first = list(value)[0]
  return clean(first && typeof first == 'object' ? (first as Json).name : first)
}

// Absent fields are left out rather than set to `undefined`, so that `{ ...fromJsonLd, ...fromElement }`
// never erases a value with a missing one.
const tidy = (product: Partial<ProductContext>): ProductContext | undefined => {
  if (!product.product_id) return undefined
  for (const key in product) if (product[key as keyof ProductContext] === undefined) delete product[key as keyof ProductContext]
  return product as ProductContext
}

const fromLd = (node: Json): ProductContext | undefined => {
  let price: number | undefined
  let currency: string | undefined
  for (const offer of list(node.offers)) {
    // `Object()` turns null and primitives into something safe to read properties from.
    const o = Object(offer) as Json
    // `lowPrice` is how an AggregateOffer (several sellers or variants) gives its price.
    if ((price = num(o.price ?? o.lowPrice)) !== undefined) {
      currency = clean(o.priceCurrency)
      break
    }
  }
  return tidy({
    product_id: ident(node.sku, node.productID, node.productGroupID, node.mpn, node.gtin13, node.gtin, node['@id']),
    name: text(node.name),
    // A list of categories goes from broad to narrow: the last is the most telling.
    category: text(list(node.category).pop()),
    brand: text(node.brand),
    price,
    currency,
  })
}

/**
 * Reads the product a page is about from its schema.org JSON-LD, which most shops already
 * publish for search engines. Returns the first `Product` or `ProductGroup` that has an id,
 * looking through top-level arrays, `@graph`, `mainEntity` and `itemOffered` only, so the list of
 * a category page or a product's "related" items are never taken for the page's product.
 * The id is the first of `sku`, `productID`, `productGroupID`, `mpn`, `gtin13`, `gtin`
 * and `@id` that is a string or number of 1 to 100 characters.
 * Never throws: unparsable scripts are skipped, and work is bounded (scripts over 100 KB are
 * ignored, and the walk stops 8 levels deep or after 2,000 objects over the whole page).
 */
export const productFromJsonLd = (doc: Document): ProductContext | undefined => {
  let budget = 2000
  let product: ProductContext | undefined
  const walk = (node: unknown, level: number): ProductContext | undefined => {
    if (level > 8 || !node || typeof node != 'object' || --budget < 0) return undefined
    const o = node as Json
    // An array has no `@type`, so only the second line applies to it.
    let found: ProductContext | undefined = list(o['@type']).some((t) => PRODUCT.test(t as string)) ? fromLd(o) : undefined
    for (const kid of Array.isArray(o) ? o : [o['@graph'], o.mainEntity, o.itemOffered]) found ??= walk(kid, level + 1)
    return found
  }
  for (const script of doc.querySelectorAll('script[type="application/ld+json"]')) {
    const json = script.textContent ?? ''
    if (json.length > 100_000) continue
    try {
      product ??= walk(JSON.parse(json), 1)
    } catch {
      // Broken JSON-LD is common (CMS templates, trailing commas): it only costs us that script.
    }
  }
  return product
}

/**
 * Reads the product named by `data-attune-product` on `el` or its nearest ancestor, with the
 * optional `data-attune-product-name`, `-category`, `-brand`, `-price` and `-currency` of that
 * same element, cleaned as {@link productFromJsonLd} cleans JSON-LD. Returns `undefined` when
 * there is no such element or its id is empty or over 100 characters.
 * @example <article data-attune-product="sku-123" data-attune-product-price="129.00"><button>Add</button></article>
 */
export const productFromElement = (el: Element): ProductContext | undefined => {
  // Event targets are not always elements (a text node, the document), hence `?.`.
  const host = el.closest?.('[data-attune-product]')
  const attr = (suffix: string) => host?.getAttribute('data-attune-product' + suffix)
  // Read as the JSON-LD it stands for, so both sources are cleaned by the same code.
  return fromLd({
    sku: attr(''),
    name: attr('-name'),
    category: attr('-category'),
    brand: attr('-brand'),
    offers: { price: attr('-price'), priceCurrency: attr('-currency') },
  })
}
