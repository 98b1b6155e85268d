import { consentKey, parseConsent } from '../consent'
import { localStore } from '../lib/localStore'
import type { AttuneCommand } from '../script-tag'
import { LOADING, REVEAL_MS } from './markup'
import { paint, readPaint, unpaint, type Painted } from './paint'

/**
 * The paint snippet (`dist/attune-paint.min.js`), which a site puts inline in `<head>` right
 * after the attune `<script>` and before any stylesheet (README, "Painted before the first
 * frame"). The tag is async and cannot show anything before the browser's first frame; the
 * snippet runs as the parser reaches it, and paints each slot with the shopper's last decision
 * (dom/paint.ts) as soon as the parser has read the slot and its template, before any frame
 * shows the slot.
 *
 * It paints only where the tag would decide: with the remembered consent to personalization
 * (read by the consent gate's own reader) and storage that keeps it, while `<html>` has
 * `attune-loading`, in the first second, and until the page queues a consent call that may say
 * no (then it puts back what it painted: the tag will hear that call). It hands what it painted
 * to the tag on the queue stub (`attune.p`); the tag takes the slots over, or puts their default
 * content back if consent says otherwise once it runs. Never throws: on a page without what it
 * needs, it does nothing.
 */
export const paintEarly = (win: Window & { attune?: AttuneCommand }): void => {
  try {
    const doc = win.document
    const command = win.attune
    const data = doc.querySelector<HTMLScriptElement>('script[data-attune-site]')?.dataset
    const site = data?.attuneSite
    const consent = site && data.attuneStorage != 'memory' && localStore()?.getItem(consentKey(site))
    // Not twice: a second copy of the snippet, or the tag already running, stands down.
    if (!command || command.loaded || command.p || !consent || parseConsent(consent).purposes.personalization !== true) return
    const cache = readPaint(site as string)
    if (!Object.keys(cache).length) return
    const painted: Painted = new Map()
    const refused = (): boolean => Array.from(command.q ?? []).some((args) => args[0] == 'consent' && args[1] != 'grant' && args[1] != 'get')
    const run = (): void => {
      const no = refused()
      if (no) unpaint(painted)
      if (no || !doc.documentElement.classList.contains(LOADING) || performance.now() >= REVEAL_MS) return stop()
      paint(doc, cache, painted)
      // What painting changed is no news to the observer.
      observer.takeRecords()
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
    if (doc.readyState == 'loading') {
      observer.observe(doc, { childList: true, subtree: true })
      doc.addEventListener('DOMContentLoaded', last)
    }
    // What is parsed already; a first run that stands down stops the observer too.
    run()
  } catch {
    // Blocked storage or an unreadable record: the slots wait for their decision.
  }
}
