import { hasOwn, type JsonValue } from '../profile/model'
import type { Binding } from './createBinding'
import { h } from './h'
import { preferencesHref } from './safeUrl'

/** The attribute that makes an element a zero-party question: its value is the interest key. */
const ASK = 'data-attune-ask'

/** A question as its element declares it (README "Zero-party questions"). */
export interface Ask {
  /** The interest it writes: `profile.setInterest(key, answer)`. */
  key: string
  /** `data-attune-question`. */
  question: string
  /** `data-attune-options`, comma-separated; each is shown and stored as written (a string). */
  options: string[]
  /** `data-attune-perk`: what the shopper gets for answering. */
  perk: string | null
  /** `data-attune-thanks`: shown once answered. */
  thanks: string | null
  /** `data-attune-dismiss`: the label of the button that declines. */
  dismiss: string | null
}

/** The question `el` declares, or why it cannot be asked. */
const readAsk = (el: Element): Ask | string => {
  const get = (name: string): string | null => el.getAttribute(`data-attune-${name}`)
  const key = get('ask') ?? ''
  const question = get('question')?.trim() ?? ''
  const options = (get('options') ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
  if (!key || key.length > 100) return `${ASK} must name an interest key of 1–100 characters; got ${JSON.stringify(key)}`
  return question && options.length
    ? { key, question, options, perk: get('perk'), thanks: get('thanks'), dismiss: get('dismiss') }
    : `the question for "${key}" needs data-attune-question and data-attune-options`
}

/** The question on this page that writes interest `key`, if any: the preference center labels answers with it. */
export const askFor = (key: string): Ask | undefined => {
  for (const el of Array.from(document.querySelectorAll(`[${ASK}]`))) {
    const ask = el.getAttribute(ASK) === key && readAsk(el)
    if (ask && typeof ask != 'string') return ask
  }
  return undefined
}

/**
 * Asks the page's zero-party questions (`[data-attune-ask]`, and those added later): each is
 * rendered into its element — with `createElement` and text only — while `personalization` is
 * granted, the profile has loaded, and the profile holds no interest under its key. An answer is
 * stored at once with `profile.setInterest(key, option)`; "No thanks" stores `null` under the key,
 * so a question is never asked again once answered or dismissed, on any page or (with sync)
 * device, until the shopper removes that answer in the preference center. Withdrawal takes the
 * questions away. Returns stop, which puts every element back as it was.
 */
export const watchAsks = (binding: Binding): (() => void) => {
  const { attune, inner } = binding
  /** Elements we rendered into: what we appended, and whether the question is still open. */
  const shown = new Map<Element, { nodes: Node[]; open: boolean }>()
  const reported = new WeakSet<Element>()

  const revert = (el: Element): void => {
    for (const node of shown.get(el)?.nodes ?? []) node.parentNode?.removeChild(node)
    el.removeAttribute('data-attune-state')
    shown.delete(el)
  }

  const ask = (el: Element, q: Ask): void => {
    const href = preferencesHref(null, binding.options.preferencesUrl)
    const answer = (value: JsonValue): void => {
      if (!attune.consent.get().personalization) return revert(el)
      attune.profile.setInterest(q.key, value)
      const focused = form.contains(document.activeElement)
      const note = h(
        'p',
        { class: 'attune-ask-thanks', tabindex: '-1' },
        value === null ? 'OK, we won’t ask again.' : q.thanks || 'Thanks, saved.',
        href && ' ',
        href && h('a', { href }, 'Change it in your preferences'),
      )
      form.replaceWith(note)
      shown.set(el, { nodes: [note], open: false })
      el.setAttribute('data-attune-state', value === null ? 'dismissed' : 'answered')
      if (focused) note.focus()
      binding.changed()
    }
    const form = h(
      'fieldset',
      { class: 'attune-ask' },
      h('legend', { class: 'attune-ask-question' }, q.question),
      q.perk && h('p', { class: 'attune-ask-perk' }, q.perk),
      h('div', { class: 'attune-ask-options' }, ...q.options.map((o) => h('button', { type: 'button', class: 'attune-ask-option', onclick: () => answer(o) }, o))),
      h('button', { type: 'button', class: 'attune-ask-dismiss', onclick: () => answer(null) }, q.dismiss || 'No thanks'),
    )
    el.append(form)
    el.setAttribute('data-attune-state', 'asking')
    shown.set(el, { nodes: [form], open: true })
  }

  const evaluate = (): void => {
    const can = attune.consent.get().personalization && binding.loaded()
    const interests = can ? attune.profile.get().interests : {}
    for (const [el, { open }] of shown) {
      // Gone from the page, consent gone, or answered elsewhere (another question, the preference center, a tab).
      if (!el.isConnected || !can || (open && hasOwn(interests, el.getAttribute(ASK) ?? ''))) revert(el)
    }
    if (!can) return
    for (const el of Array.from(document.querySelectorAll(`[${ASK}]`))) {
      if (shown.has(el)) continue
      const q = readAsk(el)
      if (typeof q == 'string') {
        if (!reported.has(el)) inner?.report('config', `A zero-party question was not asked: ${q}.`)
        reported.add(el)
      } else if (!hasOwn(interests, q.key)) ask(el, q)
    }
  }

  const observer = new MutationObserver((records) => {
    const added = records.some((r) => Array.from(r.addedNodes).some((n) => n.nodeType == 1 && ((n as Element).matches(`[${ASK}]`) || !!(n as Element).querySelector(`[${ASK}]`))))
    if (added) evaluate()
  })
  observer.observe(document.documentElement, { childList: true, subtree: true })
  const off = binding.subscribe(evaluate)
  evaluate()
  return () => {
    off()
    observer.disconnect()
    for (const [el] of shown) revert(el)
  }
}
