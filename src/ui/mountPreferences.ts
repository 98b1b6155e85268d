import { PURPOSES, type Purpose } from '../consent'
import type { JsonValue } from '../profile/model'
import { exportEverything } from '../sync/exportEverything'
import { adoptStyles } from './adoptStyles'
import type { Binding } from './createBinding'
import { affinityParts, ago, counterText, learnedFrom, valueText, words } from './describe'
import { h, type Child } from './h'
import { removeAffinity } from './removeAffinity'
import { askFor } from './watchAsks'

/** The preference center's stylesheet; every colour and size is a custom property with a default (README "attune/ui"). */
const CSS = `:host{display:block;font-family:var(--attune-font,inherit);font-size:var(--attune-font-size,inherit);line-height:1.5;color:var(--attune-color,#1f1f1f)}
[hidden]{display:none!important}
section{background:var(--attune-background,#fff);border:1px solid var(--attune-border,#767676);border-radius:var(--attune-radius,8px);padding:var(--attune-gap,1rem)}
h2,h3{line-height:1.25;margin:var(--attune-gap,1rem) 0 .5em}h2{margin-top:0;font-size:1.3em}h3{font-size:1.05em}
h2:focus,h3:focus{outline:none}
p{margin:.5em 0}.muted{color:var(--attune-muted,#595959)}
ul{margin:0;padding:0;list-style:none}li{padding:.4em 0;border-top:1px solid var(--attune-divider,#e3e3e3)}li:first-child{border-top:0}
button,input,select{font:inherit}
button{cursor:pointer;border-radius:var(--attune-radius,8px);border:1px solid var(--attune-accent,#0b57d0);background:var(--attune-background,#fff);color:var(--attune-accent,#0b57d0);padding:.3em .8em;margin:.2em .4em .2em 0}
button.primary{background:var(--attune-accent,#0b57d0);color:var(--attune-accent-text,#fff)}
button.danger{border-color:var(--attune-danger,#b3261e);color:var(--attune-danger,#b3261e)}
button.danger.primary{background:var(--attune-danger,#b3261e);color:var(--attune-accent-text,#fff)}
button:focus-visible,a:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid var(--attune-focus,#0b57d0);outline-offset:2px}
button[role=switch]{display:inline-flex;align-items:center;gap:.6em;border:0;padding:.2em 0;color:inherit;font-weight:600;background:none}
.track{flex:none;width:2.5em;height:1.4em;border-radius:1em;background:var(--attune-off,#767676);position:relative}
.track::after{content:"";position:absolute;top:.2em;left:.2em;width:1em;height:1em;border-radius:50%;background:#fff}
[aria-checked=true] .track{background:var(--attune-accent,#0b57d0)}[aria-checked=true] .track::after{left:1.3em}
.value{font-weight:600}
input,select{padding:.3em;border:1px solid var(--attune-border,#767676);border-radius:4px;margin:.2em .4em .2em 0;color:inherit;background:var(--attune-background,#fff)}
.status:empty{display:none}.status{font-weight:600}
.vh{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}`

const PURPOSE_TEXT: Record<Purpose, [string, string]> = {
  personalization: ['Personalization', 'Keep a profile in this browser of what you look at and tell us, and use it to choose what you see.'],
  measurement: ['Measurement', 'Send what you do on this site to its server, to measure what works.'],
  sync: ['Sync', 'Keep a copy of your profile on this site’s server, so it follows you to your other devices.'],
}

/** Lists show this many items until the shopper asks for all. */
const SHORT = 10

/** What the shopper is doing in the center: the element re-renders from it. */
interface State {
  /** The interest being edited. */
  editing?: string
  /** Asking to confirm "delete everything". */
  confirming?: boolean
  /** Lists shown in full. */
  all: Set<string>
}

/**
 * `<attune-preferences>`: everything attune keeps about the shopper, in plain language, with
 * the controls to change it (README "attune/ui"). Built in an open shadow root with
 * `createElement` and text nodes, styled by a constructable stylesheet. Keyboard: every control
 * is a native button, input or select; re-renders keep focus on the same control (or move it to
 * the section heading when the control went away); what an action did is announced by a
 * `role="status"` live region. Returns unmount.
 */
export const mountPreferences = (host: HTMLElement, binding: Binding | undefined): (() => void) => {
  const root = host.shadowRoot ?? host.attachShadow({ mode: 'open' })
  adoptStyles(root, CSS)
  const level = Math.min(5, Math.max(1, Number(host.getAttribute('heading-level')) || 2))
  const heading = (n: 0 | 1, attrs: Record<string, string>, text: string): HTMLElement =>
    h(`h${level + n}` as 'h2', { tabindex: '-1', ...attrs }, text)
  const status = h('p', { role: 'status', class: 'status', part: 'status' })
  const body = h('div')
  root.replaceChildren(
    h(
      'section',
      { 'aria-labelledby': 'title', part: 'section' },
      heading(0, { id: 'title', 'data-k': 'h:title' }, host.getAttribute('heading') || 'Your data and choices'),
      h('p', { class: 'muted' }, 'What this site’s personalization keeps about you, and why. You can change it, download it or delete it.'),
      status,
      body,
    ),
  )
  const say = (text: string): void => {
    status.textContent = text
  }
  if (!binding) {
    body.replaceChildren(h('p', {}, 'Your preferences are not available on this page right now.'))
    return () => root.replaceChildren()
  }
  const { attune, inner, options } = binding
  const state: State = { all: new Set() }
  /** The last export, read while `sync` is on: how many devices the profile holds. */
  let stored: Awaited<ReturnType<typeof attune.profile.export>> | undefined

  /** A control findable again after a re-render. */
  const key = (k: string): Record<string, string> => ({ 'data-k': k })
  const byKey = (k: string | undefined): HTMLElement | undefined =>
    k ? Array.from(root.querySelectorAll<HTMLElement>('[data-k]')).find((el) => el.dataset.k === k) : undefined

  /**
   * Renders the body anew. Focus goes to control `focus` (an action's next step), else stays on
   * the control that had it; when that control is gone, to `fallback` (its section's heading).
   * Focus outside the body is left alone.
   */
  const render = (focus?: string, fallback = 'h:title'): void => {
    const active = root.activeElement as HTMLElement | null
    const inside = !!active && body.contains(active)
    body.replaceChildren(...sections())
    if (focus || inside) (byKey(focus) ?? byKey(active?.dataset.k) ?? byKey(fallback))?.focus()
  }

  const section = (id: string, title: string, ...children: Child[]): HTMLElement[] => [heading(1, { ...key(`h:${id}`), id: `h-${id}` }, title), ...children.filter((c): c is HTMLElement => !!c)]
  /** A list of the first {@link SHORT} items, with a button to show all. */
  const listOf = (id: string, items: HTMLElement[], what: string): HTMLElement[] => {
    const all = state.all.has(id)
    const more =
      items.length > SHORT &&
      h(
        'button',
        {
          type: 'button',
          ...key(`more:${id}`),
          'aria-expanded': String(all),
          onclick: () => {
            if (all) state.all.delete(id)
            else state.all.add(id)
            render(`more:${id}`)
          },
        },
        all ? `Show fewer ${what}` : `Show all ${items.length} ${what}`,
      )
    return [h('ul', { 'aria-labelledby': `h-${id}` }, ...(all ? items : items.slice(0, SHORT))), ...(more ? [more] : [])]
  }

  const choices = (): HTMLElement[] => {
    const consent = attune.consent.get()
    const last = options.lastSync?.()
    // Entries of other devices got here by sync.
    const devices = stored ? Object.keys(stored.profile.devices).filter((d) => d != stored?.device?.device).length : 0
    return section(
      'choices',
      'Your choices',
      h(
        'ul',
        { 'aria-labelledby': 'h-choices' },
        ...PURPOSES.map((p) =>
          h(
            'li',
            {},
            h(
              'button',
              { type: 'button', role: 'switch', 'aria-checked': String(consent[p]), 'aria-describedby': `d-${p}`, ...key(`sw:${p}`), part: 'switch', onclick: () => toggle(p) },
              h('span', { class: 'track', 'aria-hidden': 'true' }),
              PURPOSE_TEXT[p][0],
            ),
            h('p', { id: `d-${p}`, class: 'muted' }, PURPOSE_TEXT[p][1]),
          ),
        ),
      ),
      consent.sync
        ? h(
            'p',
            {},
            'Last synced: ',
            last
              ? h('time', { datetime: new Date(last).toISOString() }, ago(last, inner?.now() ?? Date.now()))
              : devices
                ? `with ${devices == 1 ? 'one other device' : `${devices} other devices`}.`
                : 'never.',
          )
        : h('p', {}, 'Sync is off: your profile stays in this browser.'),
    )
  }

  const toggle = (p: Purpose): void => {
    const consent = attune.consent.get()
    const name = PURPOSE_TEXT[p][0]
    if (consent[p]) {
      const rest = PURPOSES.some((q) => q != p && consent[q])
      if (rest) attune.consent.deny(p)
      else attune.consent.withdraw()
      say(
        !rest
          ? `Everything is off, and what was kept in this browser was deleted${options.server && p != 'personalization' ? '; the site’s server was asked to erase what it holds' : ''}.`
          : p == 'personalization'
            ? `${name} is off, and your profile in this browser was deleted.`
            : `${name} is off.`,
      )
    } else {
      attune.consent.grant(p)
      say(attune.consent.get()[p] ? `${name} is on.` : `${name} stays off: your browser sends Global Privacy Control.`)
    }
    render(`sw:${p}`)
  }

  const interests = (): HTMLElement[] => {
    const view = attune.profile.get().interests
    const keys = Object.keys(view)
    const items = keys.map((k) => {
      const value = view[k] as JsonValue
      const ask = askFor(k)
      const label = ask?.question || words(k)
      if (state.editing === k) return h('li', {}, editor(k, label, value, ask?.options))
      const editable = value === null || typeof value == 'string' || typeof value == 'number'
      return h(
        'li',
        {},
        `${label}: `,
        h('span', { class: 'value' }, valueText(value)),
        ' ',
        editable &&
          h('button', { type: 'button', ...key(`edit:${k}`), onclick: () => ((state.editing = k), render(`input:${k}`)) }, 'Edit', h('span', { class: 'vh' }, ` ${label}`)),
        h(
          'button',
          {
            type: 'button',
            ...key(`rm:${k}`),
            onclick: () => {
              attune.profile.setInterest(k, undefined)
              say(`Removed “${label}”.`)
              render(undefined, 'h:interests')
            },
          },
          'Remove',
          h('span', { class: 'vh' }, ` ${label}`),
        ),
      )
    })
    return section(
      'interests',
      'What you told us',
      keys.length ? h('ul', { 'aria-labelledby': 'h-interests' }, ...items) : h('p', { class: 'muted' }, 'Nothing yet.'),
    )
  }

  const editor = (k: string, label: string, value: JsonValue, choices?: string[]): HTMLElement => {
    const current = value === null ? '' : String(value)
    const field = choices?.length
      ? h('select', { id: 'edit', ...key(`input:${k}`) }, ...(choices.includes(current) ? choices : [current, ...choices]).map((c) => h('option', { value: c, ...(c === current && { selected: true }) }, c || '—')))
      : h('input', { id: 'edit', type: 'text', value: current, ...key(`input:${k}`), autocomplete: 'off' })
    const done = (message: string): void => {
      state.editing = undefined
      if (message) say(message)
      render(`edit:${k}`)
    }
    return h(
      'form',
      {
        onsubmit: (event) => {
          event.preventDefault()
          const text = field.value.trim()
          if (!attune.consent.get().personalization) return done('Personalization is off, so nothing was saved.')
          if (!text) return say('Type an answer, or use Remove to delete it.')
          const next = typeof value == 'number' && Number.isFinite(Number(text)) ? Number(text) : text
          attune.profile.setInterest(k, next)
          done(`Saved “${label}”: ${text}.`)
        },
        onkeydown: (event) => (event as KeyboardEvent).key == 'Escape' && done(''),
      },
      h('label', { for: 'edit' }, `New answer for “${label}”`),
      ' ',
      field,
      h('button', { type: 'submit', class: 'primary', ...key(`save:${k}`) }, 'Save'),
      h('button', { type: 'button', ...key(`cancel:${k}`), onclick: () => done('') }, 'Cancel'),
    )
  }

  const learned = (): HTMLElement[] => {
    const view = attune.profile.get()
    const ranked = Object.keys(view.affinities).sort((a, b) => (view.affinities[b] as number) - (view.affinities[a] as number))
    const items = ranked.map((k) => {
      const { name, kind } = affinityParts(k)
      return h(
        'li',
        {},
        h('span', { class: 'value' }, name),
        kind && ` (${kind})`,
        ` — ${learnedFrom(view.affinities[k] as number, view.counters)}. `,
        inner &&
          h(
            'button',
            {
              type: 'button',
              ...key(`forget:${k}`),
              onclick: () => {
                if (removeAffinity(attune, inner, k)) say(`Removed “${name}”. It is no longer used to choose what you see.`)
                render(undefined, 'h:learned')
              },
            },
            'Remove',
            h('span', { class: 'vh' }, ` ${name}`),
          ),
      )
    })
    return section(
      'learned',
      'What we learned from your visits',
      h('p', { class: 'muted' }, 'Worked out from the products you looked at; it fades as time passes.'),
      ...(items.length ? listOf('learned', items, 'interests') : [h('p', { class: 'muted' }, 'Nothing yet.')]),
    )
  }

  const activity = (): HTMLElement[] => {
    const view = attune.profile.get()
    const now = inner?.now() ?? Date.now()
    const recent = (id: string, title: string, list: typeof view.viewed, verb: string): HTMLElement[] =>
      list.length
        ? section(
            id,
            title,
            ...listOf(
              id,
              list.map((item) => h('li', {}, h('span', { class: 'value' }, item.id), ` — ${verb} `, h('time', { datetime: new Date(item.t).toISOString() }, ago(item.t, now)))),
              'products',
            ),
          )
        : []
    const counters = Object.keys(view.counters)
    const experiments = Object.keys(view.experiments)
    const traits = Object.keys(view.traits)
    return [
      ...section(
        'activity',
        'Your visits',
        counters.length
          ? h('ul', { 'aria-labelledby': 'h-activity' }, ...counters.map((k) => h('li', {}, counterText(k, view.counters[k] as number))))
          : h('p', { class: 'muted' }, 'Nothing yet.'),
      ),
      ...recent('viewed', 'Recently viewed', view.viewed, 'viewed'),
      ...recent('carted', 'Recently added to your cart', view.carted, 'added'),
      ...(experiments.length
        ? section(
            'experiments',
            'Tests you are part of',
            h('p', { class: 'muted' }, 'The site tries versions of a page to improve it; you keep seeing the same version.'),
            h('ul', { 'aria-labelledby': 'h-experiments' }, ...experiments.map((k) => h('li', {}, `“${words(k)}”: you see version “${words(view.experiments[k] as string)}”`))),
          )
        : []),
      ...(traits.length
        ? section(
            'traits',
            'What the site noted about you',
            h('ul', { 'aria-labelledby': 'h-traits' }, ...traits.map((k) => h('li', {}, `${words(k)}: `, h('span', { class: 'value' }, valueText(view.traits[k] as JsonValue))))),
          )
        : []),
    ]
  }

  const download = async (): Promise<void> => {
    const file = `${attune.site}-my-data.json`
    // With a server (attune/sync connected, or the tag's data-attune-endpoint), the file holds its copy too.
    const server = options.server || !!inner?.server
    try {
      if (server) say('Preparing your download…')
      const data = server ? await exportEverything(attune) : await attune.profile.export()
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }))
      const a = h('a', { href: url, download: file, hidden: true })
      root.append(a)
      a.click()
      a.remove()
      // Revoked later, not at once: the download reads the blob after click() returns.
      setTimeout(() => URL.revokeObjectURL(url), 60_000)
      say(
        !server
          ? `Downloaded ${file}.`
          : 'server' in data && data.server
            ? `Downloaded ${file}: what this browser keeps, and what the site’s server holds about you, with who read it and when.`
            : `Downloaded ${file} with what this browser keeps. The copy on the site’s server could not be included.`,
      )
    } catch (error) {
      say('Your data could not be downloaded in this browser.')
      inner?.report('storage', 'attune/ui: the download of the export failed.', error)
    }
  }

  const erase = async (): Promise<void> => {
    const before = attune.consent.get()
    state.confirming = false
    await attune.profile.delete()
    say(
      `Deleted everything kept in this browser, and turned everything off.${
        options.server && (before.measurement || before.sync) ? ' The site’s server was asked to erase what it holds about you.' : ''
      }`,
    )
    render('del')
  }

  const data = (): HTMLElement[] =>
    section(
      'data',
      'Your data',
      h('button', { type: 'button', ...key('dl'), onclick: () => void download() }, 'Download my data (JSON)'),
      !state.confirming && h('button', { type: 'button', class: 'danger', ...key('del'), onclick: () => ((state.confirming = true), render('del-no')) }, 'Delete everything'),
      state.confirming &&
        h(
          'div',
          {
            role: 'group',
            'aria-labelledby': 'confirm',
            onkeydown: (event) => (event as KeyboardEvent).key == 'Escape' && ((state.confirming = false), render('del')),
          },
          h('p', { id: 'confirm' }, 'Delete everything this site’s personalization keeps about you, and turn it all off? This cannot be undone.'),
          h('button', { type: 'button', class: 'danger primary', ...key('del-yes'), onclick: () => void erase() }, 'Yes, delete everything'),
          h('button', { type: 'button', ...key('del-no'), onclick: () => ((state.confirming = false), render('del')) }, 'Cancel'),
        ),
    )

  const sections = (): HTMLElement[] => {
    const consent = attune.consent.get()
    const notes = [
      binding.degraded() && h('p', {}, 'This browser is not letting the site store data, so what you see here lasts only until you leave the page.'),
    ]
    const profile = !consent.personalization
      ? [h('p', { class: 'muted' }, 'Personalization is off, so nothing about you is kept in this browser.')]
      : !binding.loaded()
        ? [h('p', { class: 'muted' }, 'Loading…')]
        : [...interests(), ...learned(), ...activity()]
    return [...(notes.filter(Boolean) as HTMLElement[]), ...choices(), ...profile, ...data()]
  }

  const refresh = async (): Promise<void> => {
    // The stored devices, for "synced with N other devices"; export() is the public read.
    stored = attune.consent.get().sync && binding.loaded() ? await attune.profile.export().catch(() => undefined) : undefined
  }
  const off = binding.subscribe(() => {
    // An edit in progress is not thrown away by a background change: it shows when the edit ends.
    if (!state.editing) void refresh().then(() => render())
  })
  render()
  void refresh().then(() => render())
  return () => {
    off()
    root.replaceChildren()
  }
}
