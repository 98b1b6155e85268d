// The agent console (demo/agent): looks a signed-in shopper up through this page's own server,
// which holds the admin key, and shows their recent research on the shop. Everything from the
// answer goes into the page as text (createElement/textContent), never as markup.

const $ = (id) => document.getElementById(id)

const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag)
  Object.assign(node, props)
  node.append(...children.filter((c) => c !== undefined && c !== null))
  return node
}

const when = (at) => {
  const date = new Date(at)
  return el('time', { dateTime: date.toISOString(), textContent: date.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) })
}

const money = (value, currency) => (typeof value === 'number' ? `${value.toFixed(2)}${currency ? ` ${currency}` : ''}` : '')

/** Why a slot showed what it showed, in the words an agent can repeat to the shopper. */
const why = (reason) => {
  if (!reason) return 'no reason recorded'
  const tag = typeof reason.tag === 'string' ? reason.tag : ''
  switch (reason.kind) {
    case 'affinity':
      return `they viewed ${tag.slice(tag.indexOf(':') + 1)} products recently (${tag})`
    case 'audience':
      return `they match the audience “${reason.audience}”`
    case 'experiment':
      return `experiment “${reason.key}”${reason.sticky ? ', the variant they were given before' : ''}`
    case 'holdout':
      return `they are in the holdout of experiment “${reason.key}” and see the standard content`
    case 'forced':
      return 'forced by shop staff for a test'
    case 'default':
      return 'nothing matched: the standard content'
    default:
      return String(reason.kind ?? 'unknown')
  }
}

let catalog = { shop: '', products: [] }
// Without it, products show by the names in their events, unlinked.
let catalogLoaded = Promise.resolve()

const productLine = (item) => {
  const p = item.product
  const known = catalog.products.find((x) => x.id === p.id)
  const name = p.name ?? known?.name ?? p.id
  const title = known ? el('a', { href: `${catalog.shop}/p/${known.slug}.html`, textContent: name, target: '_blank', rel: 'noopener' }) : el('span', { textContent: name })
  const facts = [p.category, money(p.price, p.currency), p.id].filter(Boolean).join(' · ')
  return el(
    'li',
    { className: 'product' },
    known ? el('img', { src: `/img/${encodeURIComponent(p.id)}.svg`, alt: '', width: 48, height: 40 }) : undefined,
    el('span', {}, el('strong', {}, title), el('br'), el('span', { className: 'muted', textContent: facts }), el('br'), when(item.at)),
  )
}

/** Each product once, at its latest time (the timeline is newest first). */
const latestPer = (items, key) => {
  const seen = new Set()
  return items.filter((item) => {
    const k = key(item)
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

const fill = (list, items, empty) => {
  list.replaceChildren(...(items.length ? items : [el('li', { className: 'muted', textContent: empty })]))
}

const show = (view) => {
  const t = view.timeline
  $('result-title').textContent = `Shopper ${view.userId}`
  const devices = view.visitors.length === 1 ? 'one browser' : `${view.visitors.length} browsers or devices`
  $('summary').replaceChildren(`Signed in on ${devices}. `, ...(view.lastSeen ? ['Last seen ', when(view.lastSeen), '.'] : ['Not seen yet.']))

  const products = (kind) => latestPer(t.filter((i) => i.kind === kind && i.product), (i) => i.product.id).slice(0, 12).map(productLine)
  fill($('viewed'), products('viewed'), 'No product viewed recently.')
  fill($('carted'), products('carted'), 'Nothing added to the cart.')

  const shown = latestPer(t.filter((i) => i.kind === 'exposure' && i.slot), (i) => `${i.slot}|${i.variant}`)
    .slice(0, 12)
    .map((i) => el('li', {}, el('strong', { textContent: `${i.slot}: ${i.variant ?? 'standard content'}` }), el('br'), `because ${why(i.reason)} · `, when(i.at)))
  fill($('shown'), shown, 'No personalised content shown yet.')

  const sessions = t
    .filter((i) => i.kind === 'session')
    .slice(0, 12)
    .map((i) => {
      const c = i.campaign
      const from = [c.utm_source && `from ${c.utm_source}`, c.utm_medium && `(${c.utm_medium})`, c.utm_campaign && `campaign “${c.utm_campaign}”`, c.referrer_host && `via ${c.referrer_host}`]
      const text = [from.filter(Boolean).join(' ') || 'direct visit', c.landing_path && `landed on ${c.landing_path}`].filter(Boolean).join(', ')
      return el('li', {}, el('span', { textContent: text }), ' · ', when(i.at))
    })
  fill($('sessions'), sessions, 'No visit recorded.')

  const orders = t
    .filter((i) => i.kind === 'order')
    .map((i) => el('li', {}, el('strong', { textContent: `Order ${i.orderId ?? '(no number)'}` }), ` ${money(i.value, i.currency)} · ${i.products.length} item(s) · `, when(i.at)))
  fill($('orders'), orders, 'No order.')

  // Zero-party data: what the shopper told the shop, last writer wins across their devices.
  const interests = new Map()
  for (const entry of Object.values(view.profile.devices)) {
    for (const [key, value] of Object.entries(entry.interests ?? {})) {
      if (!interests.has(key) || interests.get(key).t < value.t) interests.set(key, value)
    }
  }
  const rows = [...interests].flatMap(([key, value]) => [el('dt', { textContent: key }), el('dd', { textContent: String(value.v) })])
  $('interests').replaceChildren(...rows)
  $('interests').hidden = !rows.length
  $('no-interests').hidden = !!rows.length

  $('result').hidden = false
  $('result-title').focus()
}

const MESSAGES = {
  unknown_user: 'No shopper with this user id has signed in on the shop.',
  unauthorized: 'The console is not allowed to read shoppers (admin key).',
  attune_server_down: 'The attune server does not answer. Try again in a moment.',
}

const lookUp = async (event) => {
  event.preventDefault()
  const form = event.currentTarget
  const agent = form.agent.value.trim()
  const user = form.user.value.trim()
  const reason = form.reason.value.trim()
  if (!agent || !user) return
  $('status').textContent = `Looking up ${user}…`
  $('result').hidden = true
  try {
    const headers = { 'x-attune-actor': agent, ...(reason ? { 'x-attune-reason': reason } : {}) }
    const response = await fetch(`/api/users/${encodeURIComponent(user)}`, { headers })
    const body = await response.json().catch(() => ({}))
    if (!response.ok) {
      $('status').textContent = MESSAGES[body.reason] ?? MESSAGES[body.error] ?? `The look-up failed: ${body.message ?? body.reason ?? response.status}.`
      return
    }
    await catalogLoaded
    $('status').textContent = `Showing ${user}. This look-up is in the audit log as “${agent}”.`
    show(body)
  } catch {
    $('status').textContent = MESSAGES.attune_server_down
  }
}

const start = () => {
  $('lookup').addEventListener('submit', lookUp)
  catalogLoaded = fetch('/catalog.json')
    .then((response) => response.json())
    .then((json) => {
      catalog = json
    })
    .catch(() => {})
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true })
else start()
