// The injection test page's attune: the npm (ESM) build, one instance per group of slots.
import { createAttune } from '/esm/index.js'
import { personalize } from '/esm/personalize.js'

const frame = () => new Promise((done) => requestAnimationFrame(() => done()))

/**
 * Runs each group in turn: a fresh attune instance (memory storage, consent granted), the group's
 * `track` events, then `personalize(a, { config }).apply(root)` on the group's own element
 * (`[data-group="i"]`). The config arrives as JSON text, parsed here as if fetched from a server
 * (so an own `__proto__` key stays a key). Resolves, per group, with what `on('error')` heard and
 * each slot's explanation, which it also writes under the group with `textContent`, as a "why am I
 * seeing this" disclosure would.
 */
window.__run = async (groups) => {
  const results = []
  for (const [i, group] of groups.entries()) {
    const root = document.querySelector(`[data-group="${i}"]`)
    const a = createAttune({ site: 'shop-1', storage: 'memory' })
    const errors = []
    a.on('error', (e) => errors.push(`${e.code}: ${e.message}`))
    const ready = new Promise((done) => a.on('ready', done))
    a.consent.grant()
    await ready
    for (const [name, props] of group.track ?? []) a.track(name, props)
    const p = personalize(a, { config: JSON.parse(group.config), revealTimeoutMs: 10_000 })
    p.apply(root)
    const slots = Array.from(root.querySelectorAll('[data-attune-slot]'))
    for (let n = 0; n < 600 && slots.some((s) => !s.hasAttribute('data-attune-shown')); n++) await frame()
    const decisions = slots.map((s) => {
      const d = p.explain(s.getAttribute('data-attune-slot'))
      const why = document.createElement('p')
      why.className = 'why'
      why.textContent = d.text
      root.append(why)
      return { slot: d.slot, variant: d.variant ?? null, reason: d.reason.kind, text: d.text }
    })
    results.push({ errors, decisions })
  }
  return results
}
window.__loaded = true
