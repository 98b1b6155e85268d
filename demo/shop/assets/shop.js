// Trailhead Outfitters' own page script, on every page (loaded at the end of <body>, so its attune
// listeners are queued before attune can decide any slot). The shop's cart lives in its own
// localStorage key; everything personal comes from attune, and only after consent.
;(() => {
  const CART_KEY = 'trailhead:cart'
  const STANDARD = 'This is our standard content.'
  const page = document.body.dataset.page
  const $ = (selector, root = document) => root.querySelector(selector)
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector))
  const money = (n) => `€${n.toFixed(2)}`
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag)
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'text') node.textContent = v
      else if (v !== false && v != null) node.setAttribute(k, v === true ? '' : v)
    }
    node.append(...children.filter((c) => c != null))
    return node
  }

  // ---- the catalogue (the same file the pages are rendered from), fetched only when needed
  let catalogPromise
  const catalog = () =>
    (catalogPromise ??= fetch('/data/catalog.json').then((r) => {
      if (!r.ok) throw new Error(`catalog: HTTP ${r.status}`)
      return r.json()
    }))
  const categoryName = (data, id) => data.categories.find((c) => c.id === id)?.name ?? id

  // ---- the shop's cart: [{ id, qty }]
  const readCart = () => {
    try {
      const items = JSON.parse(localStorage.getItem(CART_KEY) ?? '[]')
      return Array.isArray(items) ? items.filter((i) => typeof i.id === 'string' && i.qty > 0) : []
    } catch {
      return []
    }
  }
  const writeCart = (items) => {
    try {
      localStorage.setItem(CART_KEY, JSON.stringify(items))
    } catch {
      // A full or blocked storage only costs the cart.
    }
    showCount()
  }
  const showCount = () => {
    const count = readCart().reduce((n, i) => n + i.qty, 0)
    for (const badge of $$('[data-cart-count]')) badge.textContent = String(count)
  }
  showCount()

  // Add to cart: attune records `product_added` by itself from data-attune-track and the
  // data-attune-product* attributes of the card; the shop only keeps its cart.
  document.addEventListener('click', (event) => {
    const button = event.target.closest?.('[data-add-to-cart]')
    const host = button?.closest('[data-attune-product]')
    if (!host) return
    const id = host.dataset.attuneProduct
    const items = readCart()
    const line = items.find((i) => i.id === id)
    if (line) line.qty += 1
    else items.push({ id, qty: 1 })
    writeCart(items)
    const name = host.dataset.attuneProductName
    const status = $('[data-added]', host) ?? $('[data-live]')
    if (status) status.textContent = `${name} is in your cart.`
    const text = $('[data-label]', button)
    if (text) {
      text.textContent = 'Added ✓'
      setTimeout(() => (text.textContent = 'Add to cart'), 1500)
    }
  })

  // ---- "Why am I seeing this?": every decision attune makes for a slot says why
  const sentence = (text) => (/[.!?]$/.test(text) ? text : `${text}.`)
  const setWhy = (slot, text) => {
    for (const p of $$(`[data-why="${CSS.escape(slot)}"] [data-why-text]`)) p.textContent = text
  }
  attune('on', 'decision', (d) => setWhy(d.slot, sentence(d.text || STANDARD)))

  // ---- when our attune server cannot be reached: say so kindly; the shop and the profile on this device keep working
  const notice = $('[data-service-notice]')
  let noticed = false
  attune('on', 'error', (error) => {
    if (error.code !== 'network' || noticed) return
    noticed = true
    $('[data-service-notice-text]', notice).textContent =
      'Our personalisation service is not reachable right now. The shop works as usual, and your suggestions come from what this browser remembers.'
    notice.hidden = false
  })
  $('[data-dismiss]', notice)?.addEventListener('click', () => (notice.hidden = true))

  // ---- shelves from the on-device profile: recently viewed, and "because you liked …"
  const current = $('[data-current-product]')?.dataset.attuneProduct
  const card = (data, p) =>
    el(
      'li',
      {
        class: 'card',
        'data-attune-product': p.id,
        'data-attune-product-name': p.name,
        'data-attune-product-category': categoryName(data, p.category),
        'data-attune-product-brand': p.brand,
        'data-attune-product-price': p.price.toFixed(2),
        'data-attune-product-currency': data.shop.currency,
      },
      el(
        'a',
        { class: 'card-link', href: `/p/${p.slug}.html` },
        el('img', { src: `/img/${p.id}.svg`, alt: '', width: 240, height: 200, loading: 'lazy' }),
        el('span', { class: 'card-brand', text: p.brand }),
        el('h3', { class: 'card-name', text: p.name }),
      ),
      el('p', { class: 'card-price', text: money(p.price) }),
      el('button', { type: 'button', class: 'button button-small', 'data-attune-track': 'product_added', 'data-add-to-cart': true }, el('span', { 'data-label': true, text: 'Add to cart' }), el('span', { class: 'visually-hidden', text: `: ${p.name}` })),
    )
  const fill = (name, data, list) => {
    const shelf = $(`[data-shelf="${name}"]`)
    if (!shelf) return undefined
    $('[data-shelf-list]', shelf).replaceChildren(...list.map((p) => card(data, p)))
    shelf.hidden = list.length === 0
    return shelf
  }
  /** Affinity key → words: `category:running` → "Running", `brand:lotus lab` → "Lotus Lab". */
  const label = (data, key) => {
    const [dimension, value] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)]
    if (dimension === 'category') return data.categories.find((c) => c.name.toLowerCase() === value)?.name ?? value
    if (dimension === 'brand') return data.products.find((p) => p.brand.toLowerCase() === value)?.brand ?? value
    return value
  }
  const renderShelves = async (profile) => {
    if (!$('[data-shelf]')) return
    const data = await catalog()
    const byId = new Map(data.products.map((p) => [p.id, p]))
    const viewed = profile.viewed.map((v) => byId.get(v.id)).filter((p) => p && p.id !== current)
    fill('recent', data, viewed.slice(0, 4))

    // Each product scores the profile's decayed affinity of its activity plus that of its brand.
    const affinity = (dimension, value) => profile.affinities[`${dimension}:${value.toLowerCase()}`] ?? 0
    const seen = new Set([...profile.viewed, ...profile.carted].map((v) => v.id))
    const ranked = data.products
      .filter((p) => p.id !== current)
      .map((p) => ({ p, score: affinity('category', categoryName(data, p.category)) + affinity('brand', p.brand) - (seen.has(p.id) ? 0.5 : 0) }))
      .filter((x) => x.score > 0.5)
      .sort((a, b) => b.score - a.score || a.p.price - b.p.price)
    const top = Object.entries(profile.affinities)
      .filter(([key]) => key.startsWith('category:') || key.startsWith('brand:'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 2)
    const shelf = fill('recommended', data, ranked.slice(0, 4).map((x) => x.p))
    if (shelf && top.length) {
      $('[data-liked]', shelf).textContent = top.map(([key]) => label(data, key)).join(' and ')
      $('[data-why-text]', shelf).textContent =
        `Ranked by what you viewed, carted and bought on this device: ${top.map(([key, score]) => `${label(data, key)} (score ${score.toFixed(1)})`).join(', ')}. ` +
        'Recent interest counts more; it halves every two weeks.'
    }
  }
  const hideShelves = () => {
    for (const shelf of $$('[data-shelf]')) shelf.hidden = true
  }
  attune('ready', () => {
    attune((a) => {
      renderShelves(a.profile.get()).catch(hideShelves)
    })
  })
  attune('on', 'consent', (state) => {
    if (state.personalization) return
    hideShelves()
    for (const d of $$('[data-why] [data-why-text]')) if (!d.closest('[data-shelf]')) d.textContent = STANDARD
  })

  // ---- cart page
  const lines = (data, items) =>
    items.map((i) => ({ ...i, p: data.products.find((p) => p.id === i.id) })).filter((l) => l.p)
  const total = (ls) => ls.reduce((sum, l) => sum + l.p.price * l.qty, 0)

  const renderCart = (data) => {
    const view = $('[data-cart-view]')
    const ls = lines(data, readCart())
    if (!ls.length) {
      view.replaceChildren(el('p', { text: 'Your cart is empty.' }), el('p', {}, el('a', { class: 'button', href: '/', text: 'Keep shopping' })))
      return ls
    }
    const rows = ls.map((l) =>
      el(
        'tr',
        {},
        el('th', { scope: 'row' }, el('a', { href: `/p/${l.p.slug}.html`, text: l.p.name }), el('span', { class: 'muted', text: ` ${l.p.brand}` })),
        el('td', {}, el('label', { class: 'visually-hidden', for: `qty-${l.id}`, text: `Quantity of ${l.p.name}` }), el('input', { id: `qty-${l.id}`, type: 'number', min: 0, max: 20, value: l.qty, 'data-qty': l.id, class: 'qty' })),
        el('td', { class: 'num', text: money(l.p.price * l.qty) }),
        el('td', {}, el('button', { type: 'button', class: 'link-button', 'data-remove': l.id }, 'Remove', el('span', { class: 'visually-hidden', text: ` ${l.p.name}` }))),
      ),
    )
    view.replaceChildren(
      el(
        'table',
        { class: 'cart-table' },
        el('caption', { class: 'visually-hidden', text: 'Products in your cart' }),
        el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Product' }), el('th', { scope: 'col', text: 'Quantity' }), el('th', { scope: 'col', class: 'num', text: 'Price' }), el('td'))),
        el('tbody', {}, ...rows),
        el('tfoot', {}, el('tr', {}, el('th', { scope: 'row', colspan: 2, text: 'Total' }), el('td', { class: 'num', text: money(total(ls)) }), el('td'))),
      ),
      el('p', { class: 'actions' }, el('a', { class: 'button', href: '/checkout.html', text: 'Go to checkout' }), ' ', el('a', { href: '/', text: 'Keep shopping' })),
    )
    return ls
  }

  if (page === 'cart') {
    catalog()
      .then((data) => {
        const ls = renderCart(data)
        attune('track', 'cart_viewed', { value: total(ls), currency: data.shop.currency })
        const view = $('[data-cart-view]')
        view.addEventListener('change', (event) => {
          const id = event.target.dataset?.qty
          if (!id) return
          const qty = Math.max(0, Math.min(20, Math.round(Number(event.target.value) || 0)))
          writeCart(readCart().map((i) => (i.id === id ? { ...i, qty } : i)).filter((i) => i.qty > 0))
          renderCart(data)
          $(`[data-qty="${CSS.escape(id)}"]`)?.focus()
        })
        view.addEventListener('click', (event) => {
          const id = event.target.closest?.('[data-remove]')?.dataset.remove
          if (!id) return
          writeCart(readCart().filter((i) => i.id !== id))
          renderCart(data)
          $('h1').focus?.()
        })
      })
      .catch(() => ($('[data-cart-view]').textContent = 'Sorry, the cart could not be loaded. Please reload the page.'))
  }

  // ---- checkout page: a fake order; attune learns from `order_completed` (README, "Tracking")
  if (page === 'checkout') {
    catalog()
      .then((data) => {
        const ls = lines(data, readCart())
        const summary = $('[data-summary]')
        const form = $('[data-checkout-form]')
        if (!ls.length) {
          summary.replaceChildren(el('p', { text: 'Your cart is empty.' }))
          form.hidden = true
          summary.append(el('p', {}, el('a', { class: 'button', href: '/', text: 'Keep shopping' })))
          return
        }
        const value = total(ls)
        summary.replaceChildren(
          el('ul', { class: 'summary-list' }, ...ls.map((l) => el('li', {}, el('span', { text: `${l.qty} × ${l.p.name}` }), el('span', { text: money(l.p.price * l.qty) })))),
          el('p', { class: 'summary-total' }, el('span', { text: 'Total' }), el('strong', { text: money(value) })),
        )
        attune('track', 'checkout_started', { value, currency: data.shop.currency })
        form.addEventListener('submit', (event) => {
          event.preventDefault()
          const orderId = `TH-${Date.now().toString(36).toUpperCase()}`
          attune('track', 'order_completed', {
            order_id: orderId,
            value,
            currency: data.shop.currency,
            products: ls.map((l) => ({ product_id: l.p.id, name: l.p.name, category: categoryName(data, l.p.category), brand: l.p.brand, price: l.p.price, quantity: l.qty })),
          })
          writeCart([])
          const done = el(
            'section',
            { class: 'panel confirmation', 'aria-labelledby': 'done-title' },
            el('h2', { id: 'done-title', tabindex: '-1', text: 'Thank you — your order is placed' }),
            el('p', { text: `Order ${orderId}, ${money(value)}. This is a demo, so nothing will ship and nothing was charged.` }),
            el('p', {}, el('a', { class: 'button', href: '/', text: 'Back to the shop' })),
          )
          $('[data-checkout]').replaceWith(done)
          $('#done-title').focus()
        })
      })
      .catch(() => ($('[data-summary]').textContent = 'Sorry, your order could not be loaded. Please reload the page.'))
  }

  // Shared with preferences.js.
  window.trailhead = { catalog, categoryName, label, el, $, $$ }
})()
