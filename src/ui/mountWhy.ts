import { adoptStyles } from './adoptStyles'
import type { Binding } from './createBinding'
import { sentence } from './describe'
import { h } from './h'
import { preferencesHref } from './safeUrl'

/** The disclosure's stylesheet; every colour and size is a custom property with a default. */
const CSS = `:host{display:inline-block;font-family:var(--attune-font,inherit);font-size:var(--attune-font-size,inherit);color:var(--attune-color,#1f1f1f)}
[hidden]{display:none!important}
button{font:inherit;color:var(--attune-accent,#0b57d0);background:none;border:0;padding:.25em 0;text-decoration:underline;cursor:pointer}
button:focus-visible,a:focus-visible{outline:3px solid var(--attune-focus,#0b57d0);outline-offset:2px;border-radius:2px}
.panel{margin:.25em 0 0;padding:.75em 1em;max-width:32em;background:var(--attune-background,#fff);border:1px solid var(--attune-border,#767676);border-radius:var(--attune-radius,8px)}
p{margin:0}p+p{margin-top:.5em}
a{color:var(--attune-accent,#0b57d0)}`

/**
 * `<attune-why slot="hero">`: a button that discloses, in one plain sentence, why slot `hero`
 * shows what it shows (the decision's `text`), with a link to the preference center. A slot not
 * decided on this page shows "This is our standard content." Escape closes it. Returns unmount.
 */
export const mountWhy = (host: HTMLElement, binding: Binding | undefined): (() => void) => {
  const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' })
  adoptStyles(root, CSS)
  const label = host.getAttribute('label') || 'Why am I seeing this?'
  const panel = h('div', { id: 'why', class: 'panel', part: 'panel', hidden: true })
  const render = (): void => {
    const href = preferencesHref(host.getAttribute('href'), binding?.options.preferencesUrl)
    panel.replaceChildren(h('p', {}, sentence(binding?.explain(host.getAttribute('slot') ?? '')?.text ?? 'This is our standard content')))
    if (href) panel.append(h('p', {}, h('a', { href, part: 'link' }, 'See and change what we know about you')))
  }
  const toggle = (open: boolean): void => {
    button.setAttribute('aria-expanded', String(open))
    panel.hidden = !open
    if (open) render()
  }
  const button = h('button', { type: 'button', part: 'button', 'aria-expanded': 'false', 'aria-controls': 'why', onclick: () => toggle(panel.hidden) }, label)
  const onKey = (event: Event): void => {
    if ((event as KeyboardEvent).key != 'Escape' || panel.hidden) return
    toggle(false)
    button.focus()
  }
  root.addEventListener('keydown', onKey)
  root.replaceChildren(button, panel)
  const off = binding?.subscribe(() => panel.hidden || render())
  return () => {
    off?.()
    root.removeEventListener('keydown', onKey)
    root.replaceChildren()
  }
}
