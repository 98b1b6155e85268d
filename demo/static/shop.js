// The demo shop's own script: a consent banner wired to attune, and a log of what attune did.
const $ = (id) => document.getElementById(id)
const log = (text) => {
  const item = document.createElement('li')
  item.textContent = text
  $('log').prepend(item)
}
const show = (state) => {
  $('consent').textContent = Object.entries(state).map(([p, on]) => `${p}: ${on ? 'granted' : 'denied'}`).join(', ')
}

attune('on', 'track', (e) => log(`${e.name} ${JSON.stringify(e.props)} (id ${e.id})`))
attune('on', 'consent', show)
attune('on', 'error', (e) => log(`error: ${e.message}`))
attune('ready', (state) => {
  show(state)
  log('ready')
})
attune((a) => {
  const decided = Object.values(a.consent.get()).some(Boolean)
  $('banner').hidden = decided
})
attune('track', 'page_opened', { path: location.pathname })

$('accept').addEventListener('click', () => {
  attune('consent', 'grant')
  $('banner').hidden = true
})
$('reject').addEventListener('click', () => {
  attune('consent', 'deny')
  $('banner').hidden = true
  log('rejected: events before the choice were dropped')
})
for (const button of document.querySelectorAll('[data-product]')) {
  button.addEventListener('click', () => attune('track', button.dataset.name, { product_id: button.dataset.product }))
}
