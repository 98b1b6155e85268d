import type { Attune } from './createAttune'
import { decide as decideSlot } from './decide/decide'
import { explain as sentence } from './decide/explain'
import { loadConfig, usable } from './decide/loadConfig'
import type { Decision, Explanation, Facts, Reason, SiteConfig } from './decide/model'
import { build, clean } from './dom/nodes'
import { LOADING, REVEAL_MS, SHOWN, SLOT, slotsIn } from './dom/markup'
import { swap, type Content } from './dom/swap'
import { templateOf, withTemplates } from './dom/templates'
import { internals, type Internals } from './internals'
import { checkEndpoint, checkFunction } from './options'
import { pageFacts } from './page/facts'
import { assignExperiment } from './profile/fold'

/** Options of {@link personalize}. */
export interface PersonalizeOptions {
  /**
   * The site config. Without it, and with an `endpoint`, it is loaded from the server. A malformed
   * one is reported (code `config`) and ignored.
   */
  config?: SiteConfig
  /** The reference server, to load the site config from (`GET /v1/sites/:site/config`). */
  endpoint?: string
  /** Replaces global `fetch` for the config request. */
  fetch?: typeof fetch
  /** Slots still waiting for a decision show their default content after this long; default 1,000 ms. */
  revealTimeoutMs?: number
}

/** The decisions of one attune instance on this page. */
export interface Personalizer {
  /**
   * The decision for `slot`: made once per page view, then the same while the page lives. After an
   * SPA navigation (a `page_viewed` on another URL) a slot not shown any more is decided afresh.
   */
  decide(slot: string): Explanation
  /** {@link decide} with the sentence for the shopper (its `text`). */
  explain(slot: string): Explanation
  /**
   * Decides and swaps every slot in `root` (default: the document), and slots added to it later;
   * returns the function that puts back exactly what was there.
   */
  apply(root?: ParentNode): () => void
  /**
   * Hides slots until they are decided, as `apply()` does, for code that renders slots itself
   * (`attune/react`): adds the anti-flicker class when missing, starts the reveal timer and loads
   * what decisions need.
   */
  hold(): void
  /**
   * `ready`: decisions can be made. `waiting`: slots are hidden while they may still get one.
   * `settled`: slots show their default content (no consent, or the reveal timeout passed).
   */
  status(): 'ready' | 'waiting' | 'settled'
  /** Calls `fn` whenever the status may have changed; returns `off`. */
  subscribe(fn: () => void): () => void
  /** A number that changes with every notification of {@link subscribe}. */
  version(): number
  /**
   * Reports the exposure of a slot that other code renders (`attune/react`) with this decision:
   * the `exposure` event once half of `el` is in view, once per slot and page view, as for the
   * slots attune swaps itself. Returns `stop`.
   */
  expose(el: Element, decision: Explanation): () => void
  /** Reverts every slot and stops watching the page. */
  stop(): void
}

/** What {@link createPersonalizer} takes: the options of {@link personalize}, already checked. */
export interface PersonalizerOptions extends PersonalizeOptions {
  revealTimeoutMs: number
}

const standard = (slot: string, why: Extract<Reason, { kind: 'default' }>['why']): Decision => ({
  slot,
  variant: undefined,
  reason: { kind: 'default', why },
})

const explained = (d: Decision): Explanation => ({ ...d, text: sentence(d) })

/** `?attune_force=hero:running,banner:sale` as slot → variant id. */
const forcedIn = (search: string): Record<string, string> => {
  const force: Record<string, string> = {}
  for (const pair of new URLSearchParams(search).get('attune_force')?.split(',') ?? []) {
    const [slot, id] = pair.split(':')
    if (slot && id) force[slot] = id
  }
  return force
}

/**
 * `attune/personalize`: decisions and in-place variant swaps for an attune instance
 * (DESIGN.md, "Decisions" and "Page markup"). Nothing is decided without `personalization`
 * consent: slots keep their default content. With it, each slot is decided once per page view,
 * swapped, and revealed in the same task — so in the same frame — and a slot that was ever
 * shown is never changed again while the page lives, which is what makes swaps flicker-free.
 * Slots still waiting when `revealTimeoutMs` runs out show their default content. Withdrawal
 * puts every slot back. Returns the controller; `stop()` undoes everything.
 */
export const personalize = (attune: Attune, options: PersonalizeOptions = {}): Personalizer => {
  const inner = internals.get(attune)
  const endpoint = checkEndpoint(options.endpoint)
  const fetch = checkFunction<typeof globalThis.fetch>('fetch', options.fetch)
  const { revealTimeoutMs = REVEAL_MS } = options
  if (!inner) throw new TypeError('attune: personalize(attune) needs an instance from createAttune.')
  if (!(revealTimeoutMs >= 0 && revealTimeoutMs <= 60_000)) {
    throw new TypeError(`attune: personalize(attune, { revealTimeoutMs }) must be a number of milliseconds from 0 to 60000; got ${String(revealTimeoutMs)}.`)
  }
  return createPersonalizer(attune, inner, { ...options, config: usable(options.config, inner.report), endpoint, fetch, revealTimeoutMs })
}

/**
 * {@link personalize} with its options already checked: what the script tag's page chunk calls,
 * so the tag does not carry the checks of options only npm users can pass.
 */
export const createPersonalizer = (attune: Attune, inner: Internals, options: PersonalizerOptions): Personalizer => {
  const { endpoint, fetch: send, revealTimeoutMs } = options
  const { report } = inner
  const win = typeof window != 'undefined' ? window : undefined
  const doc = win?.document
  const html = doc?.documentElement
  const force = win ? forcedIn(win.location.search) : {}

  let base = options.config
  let config: SiteConfig = {}
  let loading: Promise<void> | undefined
  let ready = false
  let stopped = false
  /** When waiting slots must show, on the `performance.now()` clock; the class may come from the page's snippet. */
  let deadline = html?.classList.contains(LOADING) ? revealTimeoutMs : 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const roots = new Set<ParentNode>()
  /** Every slot shown, with how to put it back and its decision (none when it timed out or lacked consent). */
  const shown = new Map<Element, { revert?: () => void; decision?: Explanation }>()
  const decisions = new Map<string, Explanation>()
  /** Slot → the facts its decision read, for the QA overlay. */
  const used = new Map<string, Facts>()
  /** Slots exposed in this page view. */
  const exposed = new Set<string>()
  /** Slots rendered by other code, with their decision (see `expose`). */
  const rendered = new Map<Element, Explanation>()
  const reported = new Set<string>()
  const listeners = new Set<() => void>()
  let version = 0
  const notify = (): void => {
    version++
    for (const fn of [...listeners]) {
      try {
        fn()
      } catch (error) {
        report('callback', 'A personalize subscriber threw; attune went on.', error)
      }
    }
  }

  const allowed = (): boolean => !stopped && attune.consent.get().personalization
  const waiting = (): boolean => !!html?.classList.contains(LOADING) && performance.now() < deadline

  const decide = (slot: string): Explanation => {
    if (!ready || !allowed()) return explained(standard(slot, allowed() ? 'not-ready' : 'no-consent'))
    let d = decisions.get(slot)
    if (!d) {
      const now = inner.now()
      const facts = { profile: attune.profile.get(), ...(win && pageFacts(win, now)) }
      used.set(slot, facts)
      d = explained(
        decideSlot(slot, {
          config,
          facts,
          visitor: inner.profile.own()?.device ?? '',
          force,
          random: Math.random,
          warn: (message) => report('config', message),
        }),
      )
      const { assign } = d
      if (assign) inner.profile.change((entry) => assignExperiment(entry, assign.key, assign.variant, now))
      decisions.set(slot, d)
      inner.emit('decision', d)
    }
    return d
  }

  /**
   * What variant `id` of `slot` shows: from the config's nodes and edits, or the page's template.
   * `paint` is the template when the paint snippet may show it before the next page's first
   * frame: a template alone, which cleaning left as it was (dom/paint.ts).
   */
  const contentOf = (slot: string, id: string): (Content & { paint?: HTMLTemplateElement }) | string => {
    const variant = config.variants?.[slot]?.find((v) => v.id === id)
    const content: Content & { paint?: HTMLTemplateElement } = { edits: variant?.edits }
    if (variant?.content) {
      const nodes = build(variant.content, doc as Document)
      if (typeof nodes == 'string') return nodes
      content.nodes = nodes
    } else {
      const template = templateOf(doc as Document, slot, id)
      if (template) {
        content.nodes = template.content.cloneNode(true) as DocumentFragment
        const removed = clean(content.nodes, doc?.baseURI ?? '')
        if (removed.length) report('config', `Removed from the template of variant ${id} of slot ${slot}: ${removed.join(', ')}.`)
        else if (!content.edits) content.paint = template
      } else if (!content.edits) return 'it has no template and no content'
    }
    return content
  }

  const observer = win?.IntersectionObserver
    ? new IntersectionObserver(
        (entries) => {
          for (const { target, intersectionRatio } of entries) {
            const d = shown.get(target)?.decision ?? rendered.get(target)
            // Not isIntersecting: a slot's first entry comes whatever its ratio, and any overlap is "intersecting".
            if (intersectionRatio < 0.5 || !d) continue
            observer?.unobserve(target)
            if (exposed.has(d.slot)) continue
            exposed.add(d.slot)
            attune.track('exposure', { slot: d.slot, variant: d.variant ?? null, experiment: d.experiment ?? null, reason: d.reason })
            inner.emit('exposure', d)
          }
        },
        { threshold: 0.5 },
      )
    : undefined

  /**
   * Shows `el` for good: decided and swapped when `decided`, else with its default content. A slot
   * the paint snippet painted stays as it is until it can be decided; then it keeps what it shows.
   * When this page decides otherwise, what was painted stays all the same, explained by the
   * decision it came from, and the new decision is what the snippet paints next time: a slot
   * never changes once shown. Only without that explanation (kept before it was stored with the
   * variant) does the slot show the new decision.
   */
  const show = (el: Element, decided: boolean): void => {
    const painted = inner.painted?.get(el)
    if (shown.has(el) || (el.hasAttribute(SHOWN) && !painted)) return
    if (painted) {
      if (!ready || !allowed()) return
      inner.painted?.delete(el)
      decided = true
    }
    const entry: { revert?: () => void; decision?: Explanation } = {}
    if (decided) {
      const slot = el.getAttribute(SLOT) ?? ''
      let d = decide(slot)
      let paint: HTMLTemplateElement | undefined
      let revert: (() => void) | string | undefined
      let earlier: Explanation | undefined
      try {
        const content = d.variant ? contentOf(slot, d.variant) : undefined
        paint = (content as { paint?: HTMLTemplateElement } | undefined)?.paint
        const keep = paint !== undefined && painted?.[0] === d.variant
        earlier = keep || !painted ? undefined : inner.earlier?.(slot, painted[0])
        if (!keep && !earlier) painted?.[1]()
        revert = keep || earlier ? painted?.[1] : typeof content == 'object' ? swap(el, content) : content
      } catch (error) {
        // Not expected from the checks above; if the browser disagrees, the default content stays.
        painted?.[1]()
        earlier = undefined
        revert = String(error)
      }
      if (typeof revert == 'string') {
        report('config', `Variant ${d.variant} of slot ${slot} was not shown: ${revert}. The slot keeps its default content.`)
        decisions.set(slot, (d = explained(standard(slot, 'failed'))))
        paint = undefined
      } else entry.revert = revert
      inner.keepPaint?.(d, paint)
      if (earlier) {
        decisions.set(slot, (d = earlier))
        inner.emit('decision', d)
      }
      entry.decision = d
      observer?.observe(el)
    }
    el.setAttribute(SHOWN, '')
    shown.set(el, entry)
  }

  /** The config with the page's templates as variants; each template problem is reported once. */
  const refresh = (): void => {
    const merged = withTemplates(base ?? {}, doc as Document)
    config = merged.config
    for (const problem of merged.problems) {
      if (reported.has(problem)) continue
      reported.add(problem)
      report('config', problem)
    }
  }

  /**
   * Shows every slot under the roots — decided when `decided`, else with default content — and
   * then drops the page's anti-flicker class: no slot waits any more.
   */
  const settle = (decided: boolean): void => {
    clearTimeout(timer)
    decided &&= ready && allowed()
    if (decided) refresh()
    for (const root of roots) for (const el of slotsIn(root)) show(el, decided)
    html?.classList.remove(LOADING)
    notify()
  }

  /** Slots rendered later (SPA routes, lazy sections): decided in the mutation callback, before the next paint. */
  const mutations = win?.MutationObserver
    ? new MutationObserver((records) => {
        for (const [el] of shown) if (!el.isConnected) shown.delete(el)
        // While slots wait, the anti-flicker class hides new ones too; settle() takes them.
        if (waiting()) return
        const added: Element[] = []
        for (const r of records) for (const n of Array.from(r.addedNodes)) if (n.nodeType == 1) added.push(...slotsIn(n as Element))
        const fresh = added.filter((el) => !el.hasAttribute(SHOWN))
        const decided = ready && allowed()
        if (fresh.length && decided) refresh()
        for (const el of fresh) show(el, decided)
      })
    : undefined

  /** The URL of the page view decisions were made for. */
  let page = win?.location.href
  // A page view (attune/auto tracks one per SPA navigation, or the site calls page()) starts a new
  // round of exposures, slots still in view included: observing anew yields a first entry.
  const offTrack = attune.on('track', ({ name, id }) => {
    // A goal of the config (a micro-conversion) is marked by a `conversion` event that names it and
    // the experiments the shopper is in, so results attribute it to their variants.
    if (name != 'conversion' && (config.goals ?? base?.goals)?.includes(name)) {
      attune.track('conversion', { goal: name, event: id, experiments: attune.profile.get().experiments })
    }
    if (name != 'page_viewed') return
    exposed.clear()
    // On another URL (an SPA navigation), slots rendered from now on are decided afresh, from the
    // profile as it is now; slots still shown keep theirs. A page view replayed at a grant is not one.
    if (win?.location.href != page) {
      page = win?.location.href
      decisions.clear()
      for (const { decision: d } of shown.values()) if (d) decisions.set(d.slot, d)
      for (const slot of used.keys()) if (!decisions.has(slot)) used.delete(slot)
    }
    for (const el of [...shown.keys(), ...rendered.keys()]) {
      if (!shown.get(el)?.decision && !rendered.has(el)) continue
      observer?.unobserve(el)
      observer?.observe(el)
    }
  })

  // What the QA overlay (attune/debug) shows: the latest personalizer of an instance is the one it
  // reads, and a stopped one has no decisions left to show.
  inner.inspect = () => ({ config, decisions, facts: used, endpoint })

  let offReady = (): void => {}
  const start = (): void => {
    if (loading || !allowed()) return
    const config = base || !endpoint ? Promise.resolve(base) : loadConfig({ endpoint, site: attune.site, fetch: send ?? fetch, kv: inner.kv, report })
    const profile = new Promise<void>((resolve) => (offReady = attune.on('ready', () => resolve())))
    // A page still parsing may lack the rest of a slot, and its templates: wait for the parser (its
    // first readystatechange, before deferred scripts and DOMContentLoaded), while the deadline holds.
    const parsed = doc?.readyState == 'loading' && new Promise((resolve) => doc.addEventListener('readystatechange', resolve, { once: true }))
    loading = Promise.all([config, profile, parsed]).then(([loaded]) => {
      if (stopped || !allowed()) return
      base = loaded
      ready = true
      refresh()
      // Waiting slots are still hidden: they show their final content now. Shown ones stay as they are.
      settle(waiting())
    })
  }

  const revertAll = (): void => {
    for (const [el, { revert }] of shown) {
      revert?.()
      observer?.unobserve(el)
      el.removeAttribute(SHOWN)
    }
    shown.clear()
    decisions.clear()
  }

  const offConsent = attune.consent.on(() => {
    if (allowed()) return start()
    // Personalization withdrawn: every slot goes back to what the page had, and stays shown.
    offReady()
    revertAll()
    ready = false
    loading = undefined
    settle(false)
  })

  const hold = (): void => {
    if (stopped) return
    // Slots not shown yet are decided now when possible: apply() runs before they are painted.
    if (ready || (inner.decided() && !allowed())) return settle(true)
    if (!html?.classList.contains(LOADING)) {
      html?.classList.add(LOADING)
      deadline = performance.now() + revealTimeoutMs
    }
    clearTimeout(timer)
    timer = setTimeout(() => settle(false), Math.max(0, deadline - performance.now()))
    start()
  }

  return {
    decide,
    explain: decide,
    hold,
    status: () => (ready && allowed() ? 'ready' : waiting() ? 'waiting' : 'settled'),
    subscribe(fn) {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
    version: () => version,
    expose(el, decision) {
      if (stopped) return () => {}
      rendered.set(el, decision)
      observer?.observe(el)
      return () => {
        rendered.delete(el)
        observer?.unobserve(el)
      }
    },
    apply(root = doc as ParentNode) {
      if (!root || stopped) return () => {}
      roots.add(root)
      mutations?.observe(root, { childList: true, subtree: true })
      hold()
      return () => {
        roots.delete(root)
        for (const [el, { revert }] of shown) {
          if (!root.contains(el)) continue
          revert?.()
          el.removeAttribute(SHOWN)
          shown.delete(el)
        }
      }
    },
    stop() {
      if (stopped) return
      stopped = true
      offConsent()
      offReady()
      offTrack()
      clearTimeout(timer)
      mutations?.disconnect()
      observer?.disconnect()
      revertAll()
      roots.clear()
      listeners.clear()
      html?.classList.remove(LOADING)
    },
  }
}
