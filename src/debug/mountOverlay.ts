import type { Attune } from '../createAttune'
import type { Explanation, Reason } from '../decide/model'
import { SHOWN, SLOT, slotsIn } from '../dom/markup'
import type { Internals } from '../internals'
import { pageFacts } from '../page/facts'
import { adoptStyles } from '../ui/adoptStyles'
import { h } from '../ui/h'
import { traceSlot, type FactUsed } from './traceSlot'
import type { Preview } from './verifyPreview'

/** The overlay's element: a valid custom element name, so it takes a shadow root without being defined. */
export const OVERLAY_TAG = 'attune-debug'

/** The overlay's stylesheet. Outlines are placed by a second, generated sheet: no `style` attribute anywhere. */
const CSS = `:host{all:initial;position:fixed;inset:0;z-index:2147483647;pointer-events:none;font:13px/1.4 system-ui,sans-serif;color:#1f1f1f}
.outline{position:fixed;box-sizing:border-box;border:2px dashed #b3261e;top:0;left:0;width:0;height:0}
.outline.off{display:none}
.tag{position:absolute;bottom:100%;left:-2px;padding:1px 6px;background:#b3261e;color:#fff;font-weight:600;white-space:nowrap;max-width:20em;overflow:hidden;text-overflow:ellipsis}
aside{pointer-events:auto;position:fixed;top:0;right:0;box-sizing:border-box;width:min(26rem,100vw);max-height:100vh;overflow:auto;background:#fff;border:2px solid #1f1f1f;padding:.75em 1em}
h2{font-size:1.1em;margin:0}h3{font-size:1em;margin:1em 0 .25em}h4{font-size:.9em;margin:.6em 0 .2em}
p{margin:.25em 0}
button{font:inherit;margin:.25em .5em .25em 0;padding:.2em .6em;background:#fff;color:#1f1f1f;border:1px solid #1f1f1f;border-radius:4px;cursor:pointer}
button:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
section{border-top:1px solid #767676;margin-top:.5em}
dl{display:grid;grid-template-columns:auto 1fr;gap:0 .75em;margin:.25em 0}dt{font-weight:600}dd{margin:0}
ul{margin:0;padding-left:1.2em}
table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:1px 4px;border-bottom:1px solid #d0d0d0}td:first-child{overflow-wrap:anywhere}
code{font:12px ui-monospace,monospace}
.yes{color:#146c2e}.no{color:#b3261e}
[hidden]{display:none!important}`

/** A value as QA reads it: JSON, numbers to three decimals, long values cut. */
const show = (value: unknown): string => {
  if (value === undefined) return '—'
  const text = typeof value == 'number' ? String(Math.round(value * 1000) / 1000) : (JSON.stringify(value) ?? String(value))
  return text.length > 120 ? `${text.slice(0, 119)}…` : text
}

/** The decision's reason as a line of technical detail, beside `explain`'s sentence. */
const reasonDetail = (r: Reason): string => {
  switch (r.kind) {
    case 'experiment':
      return `experiment ${r.key}${r.sticky ? ', sticky assignment from the profile' : ', new assignment'}${r.bandit ? ', Thompson sampling' : ''}`
    case 'holdout':
      return `holdout of experiment ${r.key}: default content`
    case 'audience':
      return `audience ${r.audience}`
    case 'affinity':
      return `affinity: best tag ${r.tag}, summed score ${show(r.score)}`
    case 'forced':
      return 'forced with ?attune_force'
    default:
      return `default content: ${r.why}`
  }
}

/** `?attune_force=hero:running` as slot → variant, as attune/personalize reads it. */
const forced = (search: string): Record<string, string> => {
  const force: Record<string, string> = {}
  for (const pair of new URLSearchParams(search).get('attune_force')?.split(',') ?? []) {
    const [slot, id] = pair.split(':')
    if (slot && id) force[slot] = id
  }
  return force
}

const factsTable = (facts: FactUsed[]): HTMLElement =>
  facts.length
    ? h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Fact'), h('th', { scope: 'col' }, 'Value'), h('th', { scope: 'col' }, 'Test'))),
        h(
          'tbody',
          {},
          ...facts.map((f) =>
            h(
              'tr',
              {},
              h('td', {}, h('code', {}, f.fact)),
              h('td', {}, h('code', {}, show(f.value))),
              h('td', {}, f.test ?? '', f.holds === undefined ? '' : h('span', { class: f.holds ? 'yes' : 'no' }, f.holds ? ' ✓ holds' : ' ✗ fails')),
            ),
          ),
        ),
      )
    : h('p', {}, 'None: no step of the decision read a fact.')

/**
 * Shows the QA overlay over the page, once the server has accepted a preview token: an outline
 * with a label on every slot (and on slots added later), and a panel with, per slot, the
 * candidate variants (tags with the profile's scores, audience and membership, experiments), the
 * chosen variant, the reason in words and in detail, and the facts the decision read. Everything
 * lives in one `<attune-debug>` element's shadow root, styled by constructable stylesheets, built
 * with `createElement` and text only. Returns `stop`, which removes that element and every
 * listener: the page is as it was.
 */
export const mountOverlay = (attune: Attune, inner: Internals, preview: Preview, close: () => void): (() => void) => {
  const doc = document
  const win = doc.defaultView as Window
  const host = doc.createElement(OVERLAY_TAG)
  const root = host.attachShadow({ mode: 'open' })
  adoptStyles(root, CSS)
  // The outlines' places: regenerated on scroll and resize, in a sheet of this overlay's own.
  let places: CSSStyleSheet | undefined
  try {
    places = new CSSStyleSheet()
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, places]
  } catch {
    // No constructable stylesheets (jsdom): the panel still says everything, the outlines stay unplaced.
  }

  const outlines = h('div', { 'aria-hidden': 'true' })
  const slotsList = h('div', {})
  const until = new Date(preview.expiresAt)
  const toggle = h('button', { type: 'button', 'aria-expanded': 'true', onclick: () => setOpen(slotsList.hidden) }, 'Hide details')
  const setOpen = (open: boolean): void => {
    slotsList.hidden = !open
    toggle.setAttribute('aria-expanded', String(open))
    toggle.textContent = open ? 'Hide details' : 'Show details'
  }
  const panel = h(
    'aside',
    { 'aria-label': 'attune QA overlay' },
    h('h2', {}, 'attune QA overlay'),
    h('p', {}, `Site ${preview.site}. Preview token valid until ${until.toLocaleString()}.`),
    preview.note && h('p', {}, `Note: ${preview.note}`),
    toggle,
    h('button', { type: 'button', onclick: close }, 'Close overlay'),
    slotsList,
  )
  root.replaceChildren(outlines, panel)

  let elements: Element[] = []
  let stopped = false

  const render = (): void => {
    elements = slotsIn(doc).filter((el) => !host.contains(el))
    const inspection = inner.inspect?.()
    const personalization = attune.consent.get().personalization
    const visitor = inner.profile.own()?.device ?? ''
    const force = forced(win.location.search)
    const now = pageFacts(win, inner.now())
    const boxes: HTMLElement[] = []
    const sections: HTMLElement[] = []
    elements.forEach((el, i) => {
      const slot = el.getAttribute(SLOT) ?? ''
      const decision: Explanation | undefined = inspection?.decisions.get(slot)
      const status = decision
        ? undefined
        : !inspection
          ? 'Not decided: attune/personalize is not running on this page.'
          : !personalization
            ? 'Not decided: the shopper has not granted personalization.'
            : el.hasAttribute(SHOWN)
              ? 'Not decided: shown with its default content before a decision could be made (the reveal timeout passed, or the config did not load).'
              : 'Not decided yet.'
      const trace = traceSlot(decision ?? { slot, variant: undefined, reason: { kind: 'default', why: 'not-ready' } }, {
        config: inspection?.config ?? {},
        // The facts the decision read; for a slot not decided, what a decision would read now.
        facts: (decision && inspection?.facts.get(slot)) || { profile: attune.profile.get(), ...now },
        visitor,
        force,
      })
      const chosen = decision ? (decision.variant ?? 'default content') : 'not decided'
      boxes.push(h('div', { class: `outline o${i}` }, h('span', { class: 'tag' }, `${slot} → ${chosen}`)))
      const id = `slot-${i}`
      sections.push(
        h(
          'section',
          { 'aria-labelledby': id },
          h('h3', { id }, `Slot “${slot}”`),
          status && h('p', {}, status),
          decision &&
            h(
              'dl',
              {},
              h('dt', {}, 'Chosen'),
              h('dd', {}, chosen),
              h('dt', {}, 'Reason'),
              h('dd', {}, decision.text),
              h('dt', {}, 'Detail'),
              h('dd', {}, reasonDetail(decision.reason)),
            ),
          h('h4', {}, 'Candidates'),
          trace.candidates.length
            ? h(
                'ul',
                {},
                ...trace.candidates.map((c) =>
                  h(
                    'li',
                    {},
                    h('code', {}, c.id),
                    c.chosen ? ' (chosen)' : '',
                    ` — tags: ${c.tags.length ? c.tags.map((t) => `${t.tag} ${show(t.score)}`).join(', ') : 'none'} (sum ${show(c.score)})`,
                    `; audience: ${c.audience ? `${c.audience.id} (${c.audience.holds ? 'in it' : 'not in it'})` : 'none'}`,
                    `; experiments: ${c.experiments.join(', ') || 'none'}`,
                  ),
                ),
              )
            : h('p', {}, 'None: the slot has no variants in the config or the page.'),
          h('h4', {}, 'Facts used'),
          factsTable(trace.facts),
        ),
      )
    })
    if (!elements.length) sections.push(h('p', {}, 'No slot ([data-attune-slot]) on this page.'))
    outlines.replaceChildren(...boxes)
    slotsList.replaceChildren(...sections)
    place()
  }

  /** Puts each outline over its slot, in viewport coordinates. */
  const place = (): void => {
    const rules = elements.map((el, i) => {
      const r = el.getBoundingClientRect()
      return r.width || r.height ? `.o${i}{top:${r.top}px;left:${r.left}px;width:${r.width}px;height:${r.height}px}` : `.o${i}{display:none}`
    })
    try {
      places?.replaceSync(rules.join('\n'))
    } catch {
      // A browser that refuses the sheet: the outlines stay where they are.
    }
  }

  let scheduled: 'render' | 'place' | undefined
  const frame = (fn: () => void): void => {
    if (win.requestAnimationFrame) win.requestAnimationFrame(fn)
    else setTimeout(fn, 16)
  }
  const schedule = (what: 'render' | 'place'): void => {
    if (scheduled == 'render' || scheduled == what) return
    const first = !scheduled
    scheduled = what
    if (!first) return
    frame(() => {
      const now = scheduled
      scheduled = undefined
      if (stopped) return
      try {
        if (now == 'render') render()
        else place()
      } catch (error) {
        inner.report('debug', 'The QA overlay failed to update; the page went on.', error)
      }
    })
  }
  const onPlace = (): void => schedule('place')

  // First, so that a failure leaves nothing behind: no listener is added yet, nothing is on the page.
  render()

  // Slots added, removed or revealed: the page changed, and so may have the decisions. The
  // overlay's own shadow tree is not part of what a document observer sees.
  const mutations = new MutationObserver((records) => {
    if (records.some((r) => r.type != 'childList' || ![...r.addedNodes, ...r.removedNodes].every((n) => n == host))) schedule('render')
  })
  mutations.observe(doc, { childList: true, subtree: true, attributes: true, attributeFilter: [SHOWN, SLOT] })
  const offs = [attune.on('decision', () => schedule('render')), attune.consent.on(() => schedule('render'))]
  win.addEventListener('scroll', onPlace, { capture: true, passive: true })
  win.addEventListener('resize', onPlace)
  // The token was checked once: the overlay goes when it expires.
  const expiry = setTimeout(close, Math.min(2 ** 31 - 1, Math.max(0, preview.expiresAt - inner.now())))

  ;(doc.body ?? doc.documentElement).append(host)
  place()

  return () => {
    if (stopped) return
    stopped = true
    clearTimeout(expiry)
    mutations.disconnect()
    for (const off of offs) off()
    win.removeEventListener('scroll', onPlace, { capture: true })
    win.removeEventListener('resize', onPlace)
    host.remove()
  }
}
