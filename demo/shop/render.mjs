// The Trailhead Outfitters demo shop, rendered from catalog.json: every page is plain HTML built
// here (scripts/demo.mjs serves it), so a product page arrives with its schema.org Product JSON-LD
// already in it, as on a real shop, and attune reads category, brand and price from it.
import { readFileSync } from 'node:fs'

export const catalog = JSON.parse(readFileSync(new URL('./catalog.json', import.meta.url), 'utf8'))

/** attune's documented one-line queue stub (README, "Script tag"); the CSP allows it by its hash. */
export const QUEUE_STUB = 'window.attune=window.attune||function(){(attune.q=attune.q||[]).push(arguments)}'

/** attune's paint snippet, put inline as a server-side include (README, "Painted before the first frame"); the CSP allows it by its hash. */
let snippet
export const paintSnippet = () => (snippet ??= readFileSync(new URL('../../dist/attune-paint.min.js', import.meta.url), 'utf8').trim())

const { shop, categories, products } = catalog
const categoryOf = (id) => categories.find((c) => c.id === id)
const money = (n) => `€${n.toFixed(2)}`

const esc = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])

/** The attributes attune reads a product from (README, "Tracking": `data-attune-product*`). */
const productAttrs = (p) =>
  `data-attune-product="${esc(p.id)}" data-attune-product-name="${esc(p.name)}" data-attune-product-category="${esc(categoryOf(p.category).name)}" ` +
  `data-attune-product-brand="${esc(p.brand)}" data-attune-product-price="${p.price.toFixed(2)}" data-attune-product-currency="${shop.currency}"`

const card = (p, heading = 'h3') => `
      <li class="card" ${productAttrs(p)}>
        <a class="card-link" href="/p/${p.slug}.html">
          <img src="/img/${p.id}.svg" alt="" width="240" height="200" loading="lazy">
          <span class="card-brand">${esc(p.brand)}</span>
          <${heading} class="card-name">${esc(p.name)}</${heading}>
        </a>
        <p class="card-price">${money(p.price)}</p>
        <button type="button" class="button button-small" data-attune-track="product_added" data-add-to-cart><span data-label>Add to cart</span><span class="visually-hidden">: ${esc(p.name)}</span></button>
      </li>`

/** The disclosure beside a personalised slot; shop.js fills it from attune's `decision` events. */
const why = (slot, about, text = 'This is our standard content.') => `
      <details class="why" data-why="${slot}">
        <summary>Why am I seeing this<span class="visually-hidden"> ${about}</span>?</summary>
        <p data-why-text>${text}</p>
      </details>`

/**
 * Shelves filled by shop.js from the on-device profile once attune is ready (after consent); they
 * stay hidden until then. They come last in <main>, which is at least a viewport tall, so showing
 * them moves nothing that is in view.
 */
const shelves = () => `
    <section class="shelf" data-shelf="recommended" aria-labelledby="recommended-title" hidden>
      <h2 id="recommended-title">Because you liked <span data-liked>these</span></h2>
      ${why('recommended', 'selection', 'Ranked by how much you viewed, carted and bought each activity and brand on this device.')}
      <ul class="grid" data-shelf-list></ul>
    </section>
    <section class="shelf" data-shelf="recent" aria-labelledby="recent-title" hidden>
      <h2 id="recent-title">Recently viewed</h2>
      ${why('recent', 'list', 'These are the products you looked at on this device, newest first.')}
      <ul class="grid" data-shelf-list></ul>
    </section>`

const layout = ({ api, title, description, page, main, head = '' }) => `<!doctype html>
<html lang="en" class="attune-loading">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${esc(title)}</title>
  <meta name="description" content="${esc(description)}">
  <script>${QUEUE_STUB}</script>
  <script async src="/dist/attune.min.js" data-attune-site="demo-shop" data-attune-endpoint="${esc(api)}" data-attune-consent="cookieconsent"></script>
  <script>${paintSnippet()}</script>
  <link rel="stylesheet" href="/dist/attune.css">
  <link rel="stylesheet" href="/vendor/cookieconsent/cookieconsent.css">
  <link rel="stylesheet" href="/assets/shop.css">
  <link rel="icon" href="/img/favicon.svg" type="image/svg+xml">
  <script defer src="/vendor/cookieconsent/cookieconsent.umd.js"></script>
  <script type="module" src="/assets/consent.js"></script>${head}
</head>
<body data-page="${page}">
  <a class="skip-link" href="#main">Skip to content</a>
  <header class="site-header">
    <div class="wrap header-row">
      <a class="logo" href="/"><span class="logo-mark" aria-hidden="true">▲</span> Trailhead <span class="logo-sub">Outfitters</span></a>
      <nav class="categories-nav" aria-label="Activities">
        <ul>${categories.map((c) => `<li><a href="/c/${c.id}.html">${esc(c.name)}</a></li>`).join('')}</ul>
      </nav>
      <nav class="tools-nav" aria-label="Your shop">
        <ul>
          <li><a href="/preferences.html">Your data</a></li>
          <li><a href="/cart.html">Cart <span class="cart-count" data-cart-count>0</span><span class="visually-hidden"> items</span></a></li>
        </ul>
      </nav>
    </div>
  </header>
  <main id="main" class="wrap" tabindex="-1">${main}
  </main>
  <footer class="site-footer">
    <div class="wrap footer-row">
      <p>Trailhead Outfitters is a demo shop for attune: nothing here is for sale and no order ships.</p>
      <p><button type="button" class="link-button" data-cc="show-preferencesModal">Cookie settings</button> · <a href="/preferences.html">Your data and choices</a></p>
    </div>
  </footer>
  <p class="visually-hidden" data-live role="status"></p>
  <div class="toast" data-service-notice role="status" hidden>
    <p data-service-notice-text></p>
    <button type="button" class="link-button" data-dismiss>Dismiss</button>
  </div>
  <script src="/assets/shop.js"></script>
</body>
</html>
`

const HERO_VARIANTS = {
  running: ['Picked for runners', 'Faster on every surface', 'Road racers, trail shoes and light layers for your next run.', 'Shop running'],
  hiking: ['Picked for hikers', 'Go further, stay dry', 'Waterproof boots, shells and packs for long days on the hill.', 'Shop hiking'],
  climbing: ['Picked for climbers', 'Send your next project', 'Shoes, harnesses and quickdraws from the brands climbers trust.', 'Shop climbing'],
  camping: ['Picked for campers', 'Sleep well under the stars', 'Light tents, warm bags and stoves for nights outdoors.', 'Shop camping'],
  yoga: ['Picked for you', 'Find your flow', 'Cork mats, blocks and soft layers for your practice.', 'Shop yoga'],
}

const heroBody = (kind, [eyebrow, heading, text, cta], href) => `
        <div class="hero-body hero-${kind}">
          <div class="hero-copy">
            <p class="hero-eyebrow">${eyebrow}</p>
            <h2 class="hero-title">${heading}</h2>
            <p class="hero-text">${text}</p>
            <a class="button button-light" href="${href}">${cta}</a>
          </div>
          <img class="hero-art" src="/img/hero-${kind === 'default' ? 'hiking' : kind}.svg" alt="" width="240" height="200">
        </div>`

export const home = ({ api }) => {
  const picks = ['TH-RUN-01', 'TH-HIK-03', 'TH-CLB-01', 'TH-CMP-01', 'TH-YOG-01', 'TH-RUN-02', 'TH-HIK-01', 'TH-CMP-02'].map((id) => products.find((p) => p.id === id))
  return layout({
    api,
    page: 'home',
    title: `${shop.name} — gear for running, hiking, climbing, camping and yoga`,
    description: 'Outdoor gear for running, hiking, climbing, camping and yoga. An attune demo shop.',
    main: `
    <h1 class="visually-hidden">${shop.name}</h1>
    <div class="slot-wrap">
      <section class="hero" data-attune-slot="home-hero" aria-label="Featured">${heroBody('default', ['New season', 'Gear for every trail', 'Shoes, packs, tents and mats, tested by our team in the Alps.', 'Shop the new season'], '/c/hiking.html')}
      </section>
${Object.entries(HERO_VARIANTS)
  .map(([id, words]) => `      <template data-attune-variant="home-hero" data-attune-id="${id}" data-attune-tags="category:${id}">${heroBody(id, words, `/c/${id}.html`)}
      </template>`)
  .join('\n')}
      ${why('home-hero', 'featured banner')}
    </div>
    <section aria-labelledby="activities-title">
      <h2 id="activities-title">Shop by activity</h2>
      <ul class="tiles">
${categories.map((c) => `        <li><a class="tile tile-${c.id}" href="/c/${c.id}.html"><img src="/img/cat-${c.id}.svg" alt="" width="120" height="100"><span>${esc(c.name)}</span></a></li>`).join('\n')}
      </ul>
    </section>
    <section aria-labelledby="picks-title">
      <h2 id="picks-title">Staff picks</h2>
      <ul class="grid">${picks.map((p) => card(p)).join('')}
      </ul>
    </section>${shelves()}`,
  })
}

export const category = ({ api, id }) => {
  const c = categoryOf(id)
  if (!c) return undefined
  const list = products.filter((p) => p.category === id)
  return layout({
    api,
    page: 'category',
    title: `${c.name} — ${shop.name}`,
    description: c.blurb,
    main: `
    <nav class="breadcrumb" aria-label="Breadcrumb"><ol><li><a href="/">Home</a></li><li><a href="/c/${c.id}.html" aria-current="page">${esc(c.name)}</a></li></ol></nav>
    <h1>${esc(c.name)}</h1>
    <p class="lede">${esc(c.blurb)}</p>
    <div class="slot-wrap">
      <section class="banner" data-attune-slot="category-banner" aria-label="Offers">
        <p class="banner-title">Free delivery on orders over €50</p>
        <p class="banner-text">Delivered in 2–4 working days anywhere in the EU.</p>
      </section>
      ${why('category-banner', 'offer')}
    </div>
    <p class="count">${list.length} products</p>
    <ul class="grid">${list.map((p) => card(p, 'h2')).join('')}
    </ul>`,
  })
}

/** schema.org Product JSON-LD, as shops publish it for search engines; `<` escaped so no string ends the script. */
const jsonLd = (p, origin) => {
  const data = {
    '@context': 'https://schema.org',
    '@type': 'Product',
    sku: p.id,
    name: p.name,
    description: p.description,
    category: categoryOf(p.category).name,
    brand: { '@type': 'Brand', name: p.brand },
    image: `${origin}/img/${p.id}.svg`,
    url: `${origin}/p/${p.slug}.html`,
    offers: { '@type': 'Offer', price: p.price.toFixed(2), priceCurrency: shop.currency, availability: 'https://schema.org/InStock' },
  }
  return `\n  <script type="application/ld+json">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>`
}

export const product = ({ api, origin, slug }) => {
  const p = products.find((x) => x.slug === slug)
  if (!p) return undefined
  const c = categoryOf(p.category)
  return layout({
    api,
    page: 'product',
    title: `${p.name} by ${p.brand} — ${shop.name}`,
    description: p.description,
    head: jsonLd(p, origin),
    main: `
    <nav class="breadcrumb" aria-label="Breadcrumb"><ol><li><a href="/">Home</a></li><li><a href="/c/${c.id}.html">${esc(c.name)}</a></li><li><a href="/p/${p.slug}.html" aria-current="page">${esc(p.name)}</a></li></ol></nav>
    <article class="product" ${productAttrs(p)} data-current-product>
      <div class="product-media"><img src="/img/${p.id}.svg" alt="Illustration of the ${esc(p.name)}" width="600" height="500"></div>
      <div class="product-info">
        <p class="product-brand">${esc(p.brand)}</p>
        <h1>${esc(p.name)}</h1>
        <p class="product-price">${money(p.price)}</p>
        <p>${esc(p.description)}</p>
        <p><button type="button" class="button" data-attune-track="product_added" data-add-to-cart><span data-label>Add to cart</span></button></p>
        <p class="added" data-added role="status"></p>
        <div class="slot-wrap">
          <section class="shipping" data-attune-slot="shipping-message" aria-label="Delivery">
            <p class="ship-title">Delivered in 2–4 working days</p>
            <p class="ship-text">Free delivery on orders over €50.</p>
          </section>
          ${why('shipping-message', 'delivery message')}
        </div>
        <dl class="specs">
          <div><dt>Brand</dt><dd>${esc(p.brand)}</dd></div>
          <div><dt>Activity</dt><dd><a href="/c/${c.id}.html">${esc(c.name)}</a></dd></div>
          <div><dt>Item number</dt><dd>${esc(p.id)}</dd></div>
        </dl>
      </div>
    </article>${shelves()}`,
  })
}

export const cart = ({ api }) =>
  layout({
    api,
    page: 'cart',
    title: `Your cart — ${shop.name}`,
    description: 'The products in your cart.',
    main: `
    <h1>Your cart</h1>
    <div data-cart-view><p>Loading your cart…</p></div>`,
  })

export const checkout = ({ api }) =>
  layout({
    api,
    page: 'checkout',
    title: `Checkout — ${shop.name}`,
    description: 'Check out (a demo: nothing is charged and nothing ships).',
    main: `
    <h1>Checkout</h1>
    <p class="lede">This is a demo: no payment is taken and nothing ships.</p>
    <div class="checkout" data-checkout>
      <form class="form" data-checkout-form>
        <fieldset>
          <legend>Delivery address</legend>
          <p><label for="name">Full name</label><input id="name" name="name" autocomplete="name" required></p>
          <p><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="email" required></p>
          <p><label for="street">Street and number</label><input id="street" name="street" autocomplete="street-address" required></p>
          <div class="form-row">
            <p><label for="postcode">Postcode</label><input id="postcode" name="postcode" autocomplete="postal-code" required></p>
            <p><label for="city">City</label><input id="city" name="city" autocomplete="address-level2" required></p>
          </div>
          <p><label for="country">Country</label><select id="country" name="country" autocomplete="country-name"><option>Austria</option><option>France</option><option>Germany</option><option>Italy</option><option>Netherlands</option><option>Spain</option></select></p>
        </fieldset>
        <p><button class="button" type="submit">Place order</button></p>
      </form>
      <aside class="summary" aria-labelledby="summary-title">
        <h2 id="summary-title">Order summary</h2>
        <div data-summary><p>Loading…</p></div>
      </aside>
    </div>`,
  })

export const preferences = ({ api }) =>
  layout({
    api,
    page: 'preferences',
    title: `Your data and choices — ${shop.name}`,
    description: 'What this shop knows about you, why, and how to change it.',
    head: '\n  <script defer src="/assets/preferences.js"></script>',
    main: `
    <h1>Your data and choices</h1>
    <p class="lede">What Trailhead Outfitters has learnt about you is kept in this browser. Here you can see it, take a copy, delete it, and choose what we may do with it.</p>
    <section class="panel" aria-labelledby="choices-title">
      <h2 id="choices-title">Your choices</h2>
      <form class="choices" data-choices>
        <p class="toggle"><input type="checkbox" id="choice-personalization" name="personalization"><label for="choice-personalization"><strong>Personalisation</strong> — remember what you look at on this device to pick content for you, and keep that profile in step across your devices.</label></p>
        <p class="toggle"><input type="checkbox" id="choice-analytics" name="analytics"><label for="choice-analytics"><strong>Analytics</strong> — send what you do here to our server so we can see what works.</label></p>
        <p><button type="submit" class="button">Save my choices</button></p>
      </form>
      <h3>What that allows now</h3>
      <dl class="purposes" data-purposes>
        <div><dt>Personalised content on this device</dt><dd data-purpose="personalization">Off</dd></div>
        <div><dt>Sending events to our server</dt><dd data-purpose="measurement">Off</dd></div>
        <div><dt>Syncing your profile across devices</dt><dd data-purpose="sync">Off</dd></div>
      </dl>
    </section>
    <section class="panel" aria-labelledby="known-title">
      <h2 id="known-title">What we have learnt</h2>
      <div data-profile><p>Nothing: personalisation is off, so nothing about you is stored.</p></div>
    </section>
    <section class="panel" aria-labelledby="control-title">
      <h2 id="control-title">Take it with you, or delete it</h2>
      <p>Export gives you everything stored about you as a JSON file. Delete removes it from this browser, asks our server to erase its copy, and turns personalisation and analytics off.</p>
      <p class="actions"><button type="button" class="button" data-export>Export my data</button> <button type="button" class="button button-danger" data-delete>Delete my data</button></p>
      <p data-control-status role="status"></p>
    </section>`,
  })

export const notFound = ({ api }) =>
  layout({
    api,
    page: 'not-found',
    title: `Not found — ${shop.name}`,
    description: 'This page does not exist.',
    main: `
    <h1>We could not find that page</h1>
    <p><a href="/">Back to the shop</a></p>`,
  })

// Pictures: one small SVG per product and activity, drawn here (no photos, no network).
const GLYPHS = {
  running: '<path d="M40 150 q10-40 40-42 l30 -18 q18 20 40 18 q30 0 50 30 q10 12 0 20 H48 q-12 0 -8 -8z"/><path d="M44 168 h152" stroke-width="8" stroke="currentColor" fill="none"/>',
  hiking: '<path d="M20 180 L90 70 L120 115 L150 80 L220 180z"/><path d="M90 70 L104 92 L82 96z" fill="#fff" opacity=".8"/>',
  climbing: '<rect x="70" y="40" width="100" height="150" rx="50" fill="none" stroke="currentColor" stroke-width="16"/><path d="M160 80 L160 150" stroke="#fff" stroke-width="10"/>',
  camping: '<path d="M30 180 L120 50 L210 180z"/><path d="M120 50 L100 180 H140z" fill="#fff" opacity=".7"/>',
  yoga: '<rect x="40" y="120" width="150" height="40" rx="6"/><circle cx="190" cy="140" r="30"/><circle cx="190" cy="140" r="12" fill="#fff" opacity=".7"/>',
}

const svg = (color, glyph, background = true) =>
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 200" width="240" height="200">${background ? `<rect width="240" height="200" fill="${color}" opacity=".18"/>` : ''}<g fill="${color}" color="${color}">${glyph}</g></svg>`

/** The picture at `/img/<name>.svg`, or undefined. */
export const image = (name) => {
  const p = products.find((x) => x.id === name)
  if (p) return svg(p.color, GLYPHS[p.category])
  const c = /^cat-(\w+)$/.exec(name)?.[1]
  if (c && GLYPHS[c]) return svg('#1f5f4a', GLYPHS[c])
  const hero = /^hero-(\w+)$/.exec(name)?.[1]
  if (hero && GLYPHS[hero]) return svg('#fff', GLYPHS[hero], false)
  if (name === 'favicon') return svg('#1f5f4a', GLYPHS.hiking)
  return undefined
}

/** The page at `path`, or undefined. `origin` is the shop's, `api` the attune server's. */
export const page = (path, { api, origin }) => {
  if (path === '/' || path === '/index.html') return home({ api })
  if (path === '/cart.html') return cart({ api })
  if (path === '/checkout.html') return checkout({ api })
  if (path === '/preferences.html') return preferences({ api })
  const c = /^\/c\/([\w-]+)\.html$/.exec(path)
  if (c) return category({ api, id: c[1] })
  const p = /^\/p\/([\w-]+)\.html$/.exec(path)
  if (p) return product({ api, origin, slug: p[1] })
  return undefined
}
