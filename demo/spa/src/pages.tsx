// The app's pages: home, an activity, a product; the same URLs as the plain-HTML shop, without `.html`.
import { useEffect, useState } from 'react'
import { categories, categoryOf, money, productOf, products, shop, type Product } from './catalog'
import { Hero } from './Hero'
import { Link } from './router'

/** The `data-attune-product*` attributes attune/auto reads a clicked product from. */
const productAttrs = (p: Product) => ({
  'data-attune-product': p.id,
  'data-attune-product-name': p.name,
  'data-attune-product-category': categoryOf(p.category)?.name,
  'data-attune-product-brand': p.brand,
  'data-attune-product-price': p.price.toFixed(2),
  'data-attune-product-currency': shop.currency,
})

/** attune/auto records `product_added` from `data-attune-track` by itself; the app only says so. */
const AddToCart = ({ name, small }: { name: string; small?: boolean }) => {
  const [added, setAdded] = useState(false)
  useEffect(() => {
    if (!added) return undefined
    const timer = setTimeout(() => setAdded(false), 1500)
    return () => clearTimeout(timer)
  }, [added])
  return (
    <button type="button" className={small ? 'button button-small' : 'button'} data-attune-track="product_added" onClick={() => setAdded(true)}>
      {added ? 'Added ✓' : 'Add to cart'}
      <span className="visually-hidden">: {name}</span>
    </button>
  )
}

const Card = ({ product: p }: { product: Product }) => (
  <li className="card" {...productAttrs(p)}>
    <Link className="card-link" href={`/p/${p.slug}`}>
      <img src={`/img/${p.id}.svg`} alt="" width={240} height={200} loading="lazy" />
      <span className="card-brand">{p.brand}</span>
      <h3 className="card-name">{p.name}</h3>
    </Link>
    <p className="card-price">{money(p.price)}</p>
    <AddToCart name={p.name} small />
  </li>
)

const PICKS = ['TH-RUN-01', 'TH-HIK-03', 'TH-CLB-01', 'TH-CMP-01', 'TH-YOG-01', 'TH-RUN-02', 'TH-HIK-01', 'TH-CMP-02']

export const Home = () => (
  <>
    <h1 className="visually-hidden">{shop.name}</h1>
    <Hero />
    <section aria-labelledby="activities-title">
      <h2 id="activities-title">Shop by activity</h2>
      <ul className="tiles">
        {categories.map((c) => (
          <li key={c.id}>
            <Link className={`tile tile-${c.id}`} href={`/c/${c.id}`}>
              <img src={`/img/cat-${c.id}.svg`} alt="" width={120} height={100} />
              <span>{c.name}</span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
    <section aria-labelledby="picks-title">
      <h2 id="picks-title">Staff picks</h2>
      <ul className="grid">
        {PICKS.map((id) => products.find((p) => p.id === id)).map((p) => p && <Card key={p.id} product={p} />)}
      </ul>
    </section>
  </>
)

export const CategoryPage = ({ id }: { id: string }) => {
  const c = categoryOf(id)
  if (!c) return <NotFound />
  const list = products.filter((p) => p.category === id)
  return (
    <>
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <ol>
          <li><Link href="/">Home</Link></li>
          <li><Link href={`/c/${c.id}`} aria-current="page">{c.name}</Link></li>
        </ol>
      </nav>
      <h1>{c.name}</h1>
      <p className="lede">{c.blurb}</p>
      <p className="count">{list.length} products</p>
      <ul className="grid">
        {list.map((p) => <Card key={p.id} product={p} />)}
      </ul>
    </>
  )
}

/**
 * schema.org Product JSON-LD, as on the shop's product pages: attune/auto reads category, brand
 * and price from it after each navigation, so the app tracks `product_viewed` with no code.
 */
const JsonLd = ({ product: p }: { product: Product }) => (
  <script type="application/ld+json">
    {JSON.stringify({
      '@context': 'https://schema.org',
      '@type': 'Product',
      sku: p.id,
      name: p.name,
      description: p.description,
      category: categoryOf(p.category)?.name,
      brand: { '@type': 'Brand', name: p.brand },
      image: `${location.origin}/img/${p.id}.svg`,
      url: `${location.origin}/p/${p.slug}`,
      offers: { '@type': 'Offer', price: p.price.toFixed(2), priceCurrency: shop.currency, availability: 'https://schema.org/InStock' },
    })}
  </script>
)

export const ProductPage = ({ slug }: { slug: string }) => {
  const p = productOf(slug)
  const c = p && categoryOf(p.category)
  if (!p || !c) return <NotFound />
  const more = products.filter((x) => x.category === p.category && x.id !== p.id).slice(0, 4)
  return (
    <>
      <JsonLd product={p} />
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <ol>
          <li><Link href="/">Home</Link></li>
          <li><Link href={`/c/${c.id}`}>{c.name}</Link></li>
          <li><Link href={`/p/${p.slug}`} aria-current="page">{p.name}</Link></li>
        </ol>
      </nav>
      <article className="product" {...productAttrs(p)}>
        <div className="product-media">
          <img src={`/img/${p.id}.svg`} alt={`Illustration of the ${p.name}`} width={600} height={500} />
        </div>
        <div className="product-info">
          <p className="product-brand">{p.brand}</p>
          <h1>{p.name}</h1>
          <p className="product-price">{money(p.price)}</p>
          <p>{p.description}</p>
          <p><AddToCart name={p.name} /></p>
          <dl className="specs">
            <div><dt>Brand</dt><dd>{p.brand}</dd></div>
            <div><dt>Activity</dt><dd><Link href={`/c/${c.id}`}>{c.name}</Link></dd></div>
            <div><dt>Item number</dt><dd>{p.id}</dd></div>
          </dl>
        </div>
      </article>
      <section aria-labelledby="more-title">
        <h2 id="more-title">More for {c.name.toLowerCase()}</h2>
        <ul className="grid">
          {more.map((x) => <Card key={x.id} product={x} />)}
        </ul>
      </section>
    </>
  )
}

export const NotFound = () => (
  <>
    <h1>We could not find that page</h1>
    <p><Link href="/">Back to the shop</Link></p>
  </>
)
