// "Your data and choices": what attune keeps about the shopper, in plain words, with export,
// delete and a consent switch per banner category. The switches go through the banner
// (CookieConsent), so the banner, its cookie and attune always agree.
;(() => {
  const { catalog, label, el, $ } = window.trailhead
  const status = $('[data-control-status]')
  const form = $('[data-choices]')
  const cc = () => window.CookieConsent

  // ---- consent
  const PURPOSE_WORDS = { personalization: 'On', measurement: 'On', sync: 'On' }
  const showConsent = (state) => {
    for (const dd of document.querySelectorAll('[data-purpose]')) {
      const on = state[dd.dataset.purpose]
      dd.textContent = on ? PURPOSE_WORDS[dd.dataset.purpose] : 'Off'
      dd.classList.toggle('on', !!on)
    }
    form.personalization.checked = !!state.personalization
    form.analytics.checked = !!state.measurement
  }
  attune((a) => showConsent(a.consent.get()))
  attune('on', 'consent', (state) => {
    showConsent(state)
    if (!state.personalization) showProfile(undefined)
  })
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const chosen = ['personalization', 'analytics'].filter((name) => form[name].checked)
    if (!cc()?.acceptCategory) {
      status.textContent = 'The consent banner has not loaded; please reload the page and try again.'
      return
    }
    cc().acceptCategory(chosen)
    cc().hide()
    status.textContent = chosen.length ? `Saved: ${chosen.join(' and ')} on.` : 'Saved: personalisation and analytics are off.'
  })

  // ---- the profile, in words
  const ago = (t) => {
    const minutes = Math.round((Date.now() - t) / 60_000)
    if (minutes < 1) return 'just now'
    if (minutes < 60) return `${minutes} min ago`
    const hours = Math.round(minutes / 60)
    return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`
  }
  const count = (n = 0, noun) => `${n} ${noun}${n === 1 ? '' : 's'}`
  const strength = (score) => (score >= 6 ? 'strong interest' : score >= 2 ? 'some interest' : 'a little interest')

  const showProfile = async (profile) => {
    const view = $('[data-profile]')
    if (!profile) {
      view.replaceChildren(el('p', { text: 'Nothing: personalisation is off, so nothing about you is stored.' }))
      return
    }
    const data = await catalog().catch(() => ({ categories: [], products: [] }))
    const byId = new Map(data.products.map((p) => [p.id, p]))
    const interests = Object.entries(profile.affinities)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
    const viewed = profile.viewed.slice(0, 8)
    const c = profile.counters
    const parts = [
      el('h3', { text: 'Your interests' }),
      interests.length
        ? el(
            'ul',
            { class: 'plain-list' },
            ...interests.map(([key, score]) =>
              el('li', {}, el('strong', { text: label(data, key) }), ` (${key.startsWith('brand:') ? 'brand' : 'activity'}): ${strength(score)}, score ${score.toFixed(1)}`),
            ),
          )
        : el('p', { text: 'None yet. Look at a few products and they will show here.' }),
      el('p', { class: 'muted', text: 'A view counts 1, adding to the cart 3 and buying 5; interest halves every two weeks.' }),
      el('h3', { text: 'Recently viewed' }),
      viewed.length
        ? el(
            'ul',
            { class: 'plain-list' },
            ...viewed.map((v) => {
              const p = byId.get(v.id)
              return el('li', {}, p ? el('a', { href: `/p/${p.slug}.html`, text: p.name }) : el('span', { text: v.id }), ` — ${ago(v.t)}`)
            }),
          )
        : el('p', { text: 'Nothing yet.' }),
      el('h3', { text: 'Activity' }),
      el(
        'p',
        {
          text:
            `${count(c.visits, 'visit')}, ${count(c.page_views, 'page')} seen, ${count(c.product_views, 'product view')}, ` +
            `${count(c.carts, 'product')} added to the cart, ${count(c.orders, 'order')}.`,
        },
      ),
    ]
    const tests = Object.entries(profile.experiments ?? {})
    if (tests.length) {
      parts.push(
        el('h3', { text: 'Tests you are part of' }),
        el('ul', { class: 'plain-list' }, ...tests.map(([key, variant]) => el('li', { text: `${key.replace(/-/g, ' ')}: version “${String(variant).replace(/-/g, ' ')}”` }))),
      )
    }
    view.replaceChildren(...parts)
  }
  attune('ready', () => attune((a) => showProfile(a.profile.get())))

  // ---- export and delete
  $('[data-export]').addEventListener('click', () => {
    attune((a) =>
      a.profile
        .export()
        .then((data) => {
          const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }))
          const link = el('a', { href: url, download: 'trailhead-my-data.json' })
          document.body.append(link)
          link.click()
          link.remove()
          setTimeout(() => URL.revokeObjectURL(url), 10_000)
          status.textContent = 'Your data was saved as trailhead-my-data.json.'
        })
        .catch(() => (status.textContent = 'Sorry, the export failed. Please try again.')),
    )
  })
  $('[data-delete]').addEventListener('click', () => {
    status.textContent = 'Deleting…'
    attune((a) =>
      a.profile
        .delete()
        .then(() => {
          // The banner remembers "necessary only", so the next page neither asks again nor turns attune back on.
          cc()?.acceptCategory?.([])
          showProfile(undefined)
          status.textContent = 'Deleted. Nothing about you is stored in this browser any more, our server was asked to erase its copy, and personalisation and analytics are off.'
        })
        .catch(() => (status.textContent = 'Sorry, deleting failed. Please try again.')),
    )
  })
})()
