import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { ProductContext } from '../../../src/page/product'
import { productFromElement, productFromJsonLd } from '../../../src/page/product'

/** A fresh page with one JSON-LD script per value; strings are used as the script text verbatim. */
const page = (...scripts: unknown[]): Document => {
  const doc = document.implementation.createHTMLDocument()
  for (const value of scripts) {
    const script = doc.createElement('script')
    script.type = 'application/ld+json'
    script.textContent = typeof value == 'string' ? value : JSON.stringify(value)
    doc.head.append(script)
  }
  return doc
}

const nest = (value: unknown, arrays: number): unknown => (arrays ? nest([value], arrays - 1) : value)
// Empty objects: each one costs the walk a node while 10,000 of them stay under the 100 KB limit.
const junk = (n: number) => Array.from({ length: n }, () => ({}))
const long = (n: number, char = 'x') => char.repeat(n)

type Case = [string, unknown[], ProductContext | undefined]

describe('productFromJsonLd reads what retailers publish', () => {
  const cases: Case[] = [
    [
      'a Product with an offers array, a brand object and a breadcrumb category',
      [
        {
          '@context': 'https://schema.org/',
          '@type': 'Product',
          name: 'Pegasus 41 Road Running Shoes',
          image: ['https://shop.example/img/1.jpg', 'https://shop.example/img/2.jpg'],
          description: 'Responsive cushioning for everyday runs.',
          sku: 'FD2722-002',
          mpn: 'FD2722',
          brand: { '@type': 'Brand', name: 'Nike' },
          category: 'Shoes > Running',
          aggregateRating: { '@type': 'AggregateRating', ratingValue: '4.6', reviewCount: '1289' },
          offers: [
            {
              '@type': 'Offer',
              url: 'https://shop.example/p/FD2722-002',
              priceCurrency: 'USD',
              price: '140.00',
              availability: 'https://schema.org/InStock',
              seller: { '@type': 'Organization', name: 'Nike' },
            },
            { '@type': 'Offer', priceCurrency: 'USD', price: '99.00' },
          ],
        },
      ],
      { product_id: 'FD2722-002', name: 'Pegasus 41 Road Running Shoes', category: 'Shoes > Running', brand: 'Nike', price: 140, currency: 'USD' },
    ],
    [
      'a Product in an @graph after WebPage and BreadcrumbList (Yoast, Shopify themes)',
      [
        {
          '@context': 'https://schema.org',
          '@graph': [
            { '@type': 'WebPage', '@id': 'https://shop.example/p/trail#webpage', url: 'https://shop.example/p/trail', breadcrumb: { '@id': 'https://shop.example/p/trail#breadcrumb' } },
            {
              '@type': 'BreadcrumbList',
              '@id': 'https://shop.example/p/trail#breadcrumb',
              itemListElement: [
                { '@type': 'ListItem', position: 1, name: 'Home', item: 'https://shop.example/' },
                { '@type': 'ListItem', position: 2, name: 'Trail', item: 'https://shop.example/c/trail' },
              ],
            },
            {
              '@type': 'Product',
              '@id': 'https://shop.example/p/trail#product',
              name: 'Speedcross 6',
              sku: 12345,
              category: 'Shoes/Trail',
              brand: { '@type': 'Brand', name: 'Salomon' },
              offers: [{ '@type': 'Offer', price: '129.00', priceCurrency: 'EUR' }],
            },
          ],
        },
      ],
      { product_id: '12345', name: 'Speedcross 6', category: 'Shoes/Trail', brand: 'Salomon', price: 129, currency: 'EUR' },
    ],
    [
      'a ProductGroup of variants, by its productGroupID',
      [
        {
          '@context': 'https://schema.org/',
          '@type': 'ProductGroup',
          name: 'Wool winter coat',
          url: 'https://shop.example/coat',
          brand: { '@type': 'Brand', name: 'Good brand' },
          productGroupID: '44E01',
          variesBy: ['https://schema.org/size', 'https://schema.org/color'],
          hasVariant: [
            { '@type': 'Product', sku: '44E01-M11000', gtin14: '98766051104214', name: 'Small green coat', offers: { '@type': 'Offer', price: 39.99, priceCurrency: 'USD' } },
          ],
        },
      ],
      { product_id: '44E01', name: 'Wool winter coat', brand: 'Good brand' },
    ],
    [
      'an AggregateOffer by its lowPrice',
      [{ '@type': 'Product', sku: 'tv-55', name: 'TV', offers: { '@type': 'AggregateOffer', lowPrice: '449.5', highPrice: '599', priceCurrency: 'GBP', offerCount: 4 } }],
      { product_id: 'tv-55', name: 'TV', price: 449.5, currency: 'GBP' },
    ],
    [
      'the first offer that has a price, with its own currency',
      [{ '@type': 'Product', sku: 'a', offers: [null, { price: 'call us', priceCurrency: 'USD' }, { price: 0, priceCurrency: 'SEK' }] }],
      { product_id: 'a', price: 0, currency: 'SEK' },
    ],
    [
      'a Product as the mainEntity of an ItemPage',
      [{ '@context': 'https://schema.org', '@type': 'ItemPage', name: 'Shop', mainEntity: { '@type': 'Product', sku: 'main-1', name: 'Kettle' } }],
      { product_id: 'main-1', name: 'Kettle' },
    ],
    [
      'a Product as the itemOffered of a top-level Offer',
      [{ '@type': 'Offer', price: '5.00', priceCurrency: 'USD', itemOffered: { '@type': 'Product', sku: 'offered-1' } }],
      { product_id: 'offered-1' },
    ],
    [
      'a Product in a top-level array, after an Organization',
      [[{ '@type': 'Organization', name: 'Shop', '@id': 'org' }, { '@type': 'Product', sku: 'arr-1' }]],
      { product_id: 'arr-1' },
    ],
    [
      'the Product script when an Organization script comes first',
      [{ '@type': 'Organization', name: 'Shop', sku: 'not-a-product' }, { '@type': 'Product', sku: 'second-script' }],
      { product_id: 'second-script' },
    ],
    ['@type as an array', [{ '@type': ['Thing', 'Product'], sku: 't1' }], { product_id: 't1' }],
    ['@type as a full IRI', [{ '@type': 'https://schema.org/Product', sku: 't2' }], { product_id: 't2' }],
    ['@type as an http IRI', [{ '@type': 'http://schema.org/Product', sku: 't3' }], { product_id: 't3' }],
    ['@type as a compact IRI', [{ '@type': 'schema:Product', sku: 't4' }], { product_id: 't4' }],
    ['@type in odd case', [{ '@type': 'product', sku: 't5' }], { product_id: 't5' }],
    ['a brand as a plain string', [{ '@type': 'Product', sku: 'b', brand: ' Acme ' }], { product_id: 'b', brand: 'Acme' }],
    ['the first of a list of brands', [{ '@type': 'Product', sku: 'b', brand: [{ name: 'One' }, 'Two'] }], { product_id: 'b', brand: 'One' }],
    ['the last of a list of categories', [{ '@type': 'Product', sku: 'c', category: ['Shoes', 'Running'] }], { product_id: 'c', category: 'Running' }],
    ['a category given as a Thing', [{ '@type': 'Product', sku: 'c', category: { '@type': 'CategoryCode', name: 'Hats' } }], { product_id: 'c', category: 'Hats' }],
  ]
  it.each(cases)('%s', (_name, scripts, expected) => {
    expect(productFromJsonLd(page(...scripts))).toStrictEqual(expected)
  })
})

describe('productFromJsonLd picks the id', () => {
  const product = (fields: Record<string, unknown>) => [{ '@type': 'Product', ...fields }]
  const cases: Array<[string, Record<string, unknown>, string | undefined]> = [
    ['sku first', { '@id': 'x', gtin: 'g', gtin13: 'g13', mpn: 'm', productID: 'p', sku: 's' }, 's'],
    ['then productID', { '@id': 'x', gtin: 'g', gtin13: 'g13', mpn: 'm', productID: 'p' }, 'p'],
    ['then mpn', { '@id': 'x', gtin: 'g', gtin13: 'g13', mpn: 'm' }, 'm'],
    ['then gtin13', { '@id': 'x', gtin: 'g', gtin13: '4006381333931' }, '4006381333931'],
    ['then gtin', { '@id': 'x', gtin: 'g' }, 'g'],
    ['then @id', { '@id': 'https://shop.example/p/1#product' }, 'https://shop.example/p/1#product'],
    ['a number as a string', { sku: 4006381333931 }, '4006381333931'],
    ['trimmed', { sku: '  s-1\n' }, 's-1'],
    ['100 characters at most', { sku: long(100) }, long(100)],
    ['not a longer one: the next candidate instead', { sku: long(101), mpn: 'm' }, 'm'],
    ['not an empty or blank one', { sku: '', productID: '   ', mpn: 'm' }, 'm'],
    ['not an object, array or boolean', { sku: { value: 's' }, productID: ['p'], mpn: true, gtin: 'g' }, 'g'],
    ['none at all: no product', { name: 'Nameless', offers: { price: 1 } }, undefined],
  ]
  it.each(cases)('%s', (_name, fields, expected) => {
    expect(productFromJsonLd(page(...product(fields)))?.product_id).toBe(expected)
  })

  it('skips a Product without an id for the next one that has one', () => {
    const doc = page({ '@graph': [{ '@type': 'Product', name: 'No id' }, { '@type': 'Product', sku: 'has-id' }] })
    expect(productFromJsonLd(doc)).toStrictEqual({ product_id: 'has-id' })
  })
})

describe('productFromJsonLd cleans values', () => {
  const cases: Array<[string, Record<string, unknown>, Partial<ProductContext>]> = [
    ['trims strings', { name: '  Kettle \n', category: '\tKitchen ' }, { name: 'Kettle', category: 'Kitchen' }],
    ['cuts strings to 200 characters', { name: long(300), brand: { name: long(250, 'b') } }, { name: long(200), brand: long(200, 'b') }],
    ['drops blank strings', { name: '   ', brand: { name: '' } }, {}],
    ['drops non-text values', { name: 42, category: { '@id': '#cat' }, brand: null }, {}],
    ['reads a numeric-string price', { offers: { price: ' 129.00 ', priceCurrency: ' EUR ' } }, { price: 129, currency: 'EUR' }],
    ['reads a number price', { offers: { price: 19.99 } }, { price: 19.99 }],
    ['ignores a price it cannot read', { offers: { price: '1,299.00', priceCurrency: 'USD' } }, {}],
    ['ignores a price with a currency sign', { offers: { price: '$12' } }, {}],
    ['ignores a negative price', { offers: { price: -5 } }, {}],
    ['ignores an empty price', { offers: { price: '' } }, {}],
    ['ignores a boolean or null price', { offers: [{ price: true }, { price: null }] }, {}],
    ['ignores offers that are not objects', { offers: ['12', 7, null] }, {}],
  ]
  it.each(cases)('%s', (_name, fields, expected) => {
    expect(productFromJsonLd(page({ '@type': 'Product', sku: 's', ...fields }))).toStrictEqual({ product_id: 's', ...expected })
  })

  it('ignores a price that JSON reads as Infinity', () => {
    expect(productFromJsonLd(page('{"@type":"Product","sku":"s","offers":{"price":1e999}}'))).toStrictEqual({ product_id: 's' })
  })
})

describe('productFromJsonLd survives malformed and hostile pages', () => {
  const product = { '@type': 'Product', sku: 'ok' }
  const cases: Array<[string, unknown[], ProductContext | undefined]> = [
    ['no scripts', [], undefined],
    ['invalid JSON', ['{"@type": "Product", "sku": "x",}'], undefined],
    ['invalid JSON, then a valid Product', ['{not json', product], { product_id: 'ok' }],
    ['an empty script', [''], undefined],
    ['null', ['null'], undefined],
    ['a number, a string, true', ['42', '"Product"', 'true'], undefined],
    ['empty array and object', ['[]', '{}'], undefined],
    ['@type that is not text', [{ '@type': 42, sku: 'a' }, { '@type': { '@id': 'Product' }, sku: 'b' }, { '@type': null, sku: 'c' }], undefined],
    ['@graph, mainEntity and itemOffered that are not objects', [{ '@graph': 'x', mainEntity: 5, itemOffered: null }], undefined],
    [
      'the products of a category page ItemList are not the page product',
      [{ '@type': 'ItemList', itemListElement: [{ '@type': 'ListItem', position: 1, item: { '@type': 'Product', sku: 'listed' } }] }],
      undefined,
    ],
    ['related products are not the page product', [{ '@type': 'WebPage', isRelatedTo: { '@type': 'Product', sku: 'related' } }], undefined],
    ['a Product 8 levels deep is found', [nest(product, 7)], { product_id: 'ok' }],
    ['a Product 9 levels deep is not', [nest(product, 8)], undefined],
    ['10,000 nested arrays', ['['.repeat(10_000) + ']'.repeat(10_000)], undefined],
    ['10,000 nested objects', ['{"@graph":'.repeat(10_000) + '1' + '}'.repeat(10_000)], undefined],
    ['a Product early in a 10,000-node @graph', [{ '@graph': [...junk(10), product, ...junk(9_990)] }], { product_id: 'ok' }],
    ['a Product late in a 10,000-node @graph (past the walk budget)', [{ '@graph': [...junk(9_999), product] }], undefined],
    ['a Product after a script that used up the walk budget', [{ '@graph': junk(2_000) }, product], undefined],
    ['a Product after a script of fewer nodes', [{ '@graph': junk(1_990) }, product], { product_id: 'ok' }],
  ]
  it.each(cases)('%s', (_name, scripts, expected) => {
    expect(productFromJsonLd(page(...scripts))).toStrictEqual(expected)
  })

  it('ignores a script over 100 KB, even a valid Product', () => {
    const big = JSON.stringify({ ...product, description: long(100_000) })
    expect(productFromJsonLd(page(big))).toBeUndefined()
    expect(productFromJsonLd(page(big, { '@type': 'Product', sku: 'small' }))).toStrictEqual({ product_id: 'small' })
  })

  it('reads only script elements of type application/ld+json', () => {
    const doc = page()
    for (const type of ['application/json', 'text/javascript', '']) {
      const script = doc.createElement('script')
      script.setAttribute('type', type)
      script.textContent = JSON.stringify(product)
      doc.head.append(script)
    }
    const div = doc.createElement('div')
    div.setAttribute('type', 'application/ld+json')
    div.textContent = JSON.stringify(product)
    doc.body.append(div)
    expect(productFromJsonLd(doc)).toBeUndefined()
  })

  it('does not let __proto__ keys pollute Object.prototype or leak into the result', () => {
    const json =
      '{"@type":"Product","sku":"p","__proto__":{"polluted":"yes","name":"evil"},' +
      '"constructor":{"prototype":{"polluted":"yes"}},' +
      '"brand":{"__proto__":{"name":"evil"}},"offers":{"__proto__":{"price":5,"priceCurrency":"EVL"}}}'
    const found = productFromJsonLd(page(json))
    expect(found).toStrictEqual({ product_id: 'p' })
    expect(Object.getPrototypeOf(found)).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
  })

  it('never throws, whatever the JSON', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 6 }), { maxLength: 3 }), (values) => {
        const found = productFromJsonLd(page(...values.map((value) => JSON.stringify(value) ?? 'null')))
        expect(found === undefined || typeof found.product_id == 'string').toBe(true)
      }),
      { numRuns: 200 },
    )
  })

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        expect(() => productFromJsonLd(page(text))).not.toThrow()
      }),
    )
  })
})

describe('productFromElement', () => {
  const build = (markup: string): Document => {
    const doc = document.implementation.createHTMLDocument()
    doc.body.innerHTML = markup
    return doc
  }
  const target = (doc: Document) => doc.querySelector('#target') as Element

  const cases: Array<[string, string, ProductContext | undefined]> = [
    [
      'reads every attribute of the element itself',
      `<a id="target" data-attune-product=" sku-123 " data-attune-product-name="Trail Shoe" data-attune-product-category="Shoes > Trail"
          data-attune-product-brand="Acme" data-attune-product-price="129.00" data-attune-product-currency="EUR">Add</a>`,
      { product_id: 'sku-123', name: 'Trail Shoe', category: 'Shoes > Trail', brand: 'Acme', price: 129, currency: 'EUR' },
    ],
    [
      'reads them from the nearest ancestor with data-attune-product',
      `<article data-attune-product="outer"><div data-attune-product="card" data-attune-product-price="19.9"><p><button id="target">Add</button></p></div></article>`,
      { product_id: 'card', price: 19.9 },
    ],
    [
      'does not mix in attributes of other elements',
      `<div data-attune-product-brand="Other"><div data-attune-product="own"><span id="target" data-attune-product-name="Not the host">x</span></div></div>`,
      { product_id: 'own' },
    ],
    ['returns undefined outside any product', `<div data-attune-product-name="No id"><button id="target">x</button></div>`, undefined],
    ['returns undefined for an empty id', `<button id="target" data-attune-product="  " data-attune-product-name="Blank">x</button>`, undefined],
    ['returns undefined for an id over 100 characters', `<button id="target" data-attune-product="${long(101)}">x</button>`, undefined],
    [
      'drops a price it cannot read, and blank values',
      `<button id="target" data-attune-product="p" data-attune-product-price="$12" data-attune-product-name=" " data-attune-product-brand="">x</button>`,
      { product_id: 'p' },
    ],
    [
      'cuts long values to 200 characters',
      `<button id="target" data-attune-product="p" data-attune-product-name="${long(500)}">x</button>`,
      { product_id: 'p', name: long(200) },
    ],
  ]
  it.each(cases)('%s', (_name, markup, expected) => {
    expect(productFromElement(target(build(markup)))).toStrictEqual(expected)
  })

  it('returns undefined for an event target that is not an element', () => {
    const doc = build('<p data-attune-product="p">text</p>')
    const text = doc.querySelector('p')?.firstChild as unknown as Element
    expect(productFromElement(text)).toBeUndefined()
    expect(productFromElement(doc as unknown as Element)).toBeUndefined()
  })

  it('only reads the page', () => {
    const doc = build('<div data-attune-product="p" data-attune-product-name=" Spaced "><b id="target">x</b></div>')
    const before = doc.documentElement.outerHTML
    productFromElement(target(doc))
    expect(doc.documentElement.outerHTML).toBe(before)
  })
})
