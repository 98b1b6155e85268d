import { consentKey, parseConsent } from '../consent'
import { localStore } from '../lib/localStore'
import type { AttuneCommand } from '../script-tag'
import { LOADING, REVEAL_MS } from './markup'
import { paint, readPaint, type Painted } from './paint'

/**
 * The paint snippet (`dist/attune-paint.min.js`), which a site puts inline in `<head>` right
 * after the attune `<script>` and before any stylesheet (README, "Painted before the first
 * frame"). The tag is async and cannot show anything before the browser's first frame; the
 * snippet runs as the parser reaches it, and paints each slot with the shopper's last decision
 * (dom/paint.ts) as soon as the parser has read the slot and its template, before any frame
 * shows the slot.
 *
 * It paints only where the tag would decide: with the remembered consent to personalization
 * (read by the consent gate's own reader), while `<html>` has `attune-loading`, in the first
 * second. It hands what it painted to the tag on the queue stub (`attune.p`); the tag takes the
 * slots over, or puts their default content back if consent says otherwise once it runs.
 * Never throws: on a page without what it needs, it does nothing.
 */
export const paintEarly = (win: Window & { attune?: AttuneCommand }): void => {
  try {
    const doc = win.document
    const command = win.attune
    const site = doc.querySelector<HTMLScriptElement>('script[data-attune-site]')?.dataset.attuneSite
    const consent = site && localStore()?.getItem(consentKey(site))
    if (!command || command.loaded || !consent || !parseConsent(consent).purposes.personalization) return
    const cache = readPaint(site as string)
    if (!Object.keys(cache).length || !doc.documentElement.classList.contains(LOADING)) return
    const painted: Painted = new Map()
    const run = (): void => {
      if (performance.now() < REVEAL_MS) paint(doc, cache, painted)
    }
    // Each batch of nodes the parser adds is seen before the browser can paint it.
    const observer = new MutationObserver(run)
    const stop = (): void => {
      observer.disconnect()
      doc.removeEventListener('DOMContentLoaded', last)
    }
    const last = (): void => {
      run()
      stop()
    }
    command.p = { painted, stop }
    run()
    if (doc.readyState == 'loading') {
      observer.observe(doc, { childList: true, subtree: true })
      doc.addEventListener('DOMContentLoaded', last)
    }
  } catch {
    // Blocked storage or an unreadable record: the slots wait for their decision.
  }
}
