import { createInstance, type Attune } from './createAttune'
import type { Report } from './lib/errors'
import { LOADING } from './dom/markup'
import { forgetPaint, readPaint, unpaint, type EarlyPaint, type Painted } from './dom/paint'
import { afterPaint } from './lib/afterPaint'
import { internals } from './internals'
import { loadBeside } from './lib/loadBeside'
import { checkEndpoint, checkSite, checkStorage } from './options'
import type { connect } from './sync/connect'
import { loadSyncChunk } from './sync/loadChunk'
import { later, noLogic, useLogic } from './profile/logic'
import { emptyProfile } from './profile/model'

/**
 * The one-line queue stub a page puts before the script tag, so `attune('track', …)` works
 * before attune has loaded (same idea as Segment's `analytics.push`). Documented in the README.
 */
export const QUEUE_STUB = 'window.attune=window.attune||function(){(attune.q=attune.q||[]).push(arguments)}'

/** The global `attune(command, …args)` function: the stub before load, the real thing after. */
export interface AttuneCommand {
  (command: unknown, ...args: unknown[]): unknown
  /** Calls queued by the stub before load. */
  q?: ArrayLike<unknown>[]
  /** Set once attune has loaded, so a second copy of the script stands down. */
  loaded?: true
  /** What the paint snippet painted (dom/paintEarly.ts), for the tag to take over. */
  p?: EarlyPaint
}

/**
 * The file the script tag loads beside itself once `personalization` or `measurement` is granted:
 * automatic tracking (`attune/auto`) and decisions with variant swaps (`attune/personalize`).
 * Before consent there is nothing for them to do, so the tag does not carry their bytes.
 */
export const PAGE_CHUNK = 'attune-page.min.js'

/** The QA overlay (`attune/debug`), loaded beside the tag only for a `#attune-preview=<token>` fragment. */
export const DEBUG_CHUNK = 'attune-debug.min.js'

/** What a chunk hands the tag through `attune('extend', start)`: starts its features, returns `stop`. */
export type PageChunk = (attune: Attune, endpoint: string | undefined, consentOptions?: unknown) => () => void

/** Banner adapters the tag can load by name (`data-attune-consent`), each from `attune-consent-<name>.min.js`. */
export const TAG_ADAPTERS = ['tcf', 'consent-mode', 'onetrust', 'cookiebot', 'cookieconsent', 'gpc']

type Handler = (attune: Attune, report: Report, ...args: unknown[]) => unknown

const CONSENT_ACTIONS = ['grant', 'deny', 'withdraw', 'get'] as const

const COMMANDS: Record<string, Handler> = {
  track: (a, _, name, props) => a.track(name as string, props as never),
  page: (a, _, props) => a.page(props as never),
  consent: (a, report, action, purposes) =>
    CONSENT_ACTIONS.includes(action as 'get')
      ? a.consent[action as 'grant'](purposes as never)
      : report('bad_call', `attune('consent', action): action must be one of ${CONSENT_ACTIONS.join(', ')}; got ${String(action)}.`),
  on: (a, _, type, fn) => a.on(type as 'ready', fn as () => void),
  ready: (a, _, fn) => a.on('ready', fn as () => void),
  destroy: (a) => a.destroy(),
}

/**
 * Makes the command function: `attune('track', name, props)`, `attune('consent', 'grant', purposes?)`,
 * `attune('on', type, fn)`, `attune('ready', fn)`, `attune(fn)` (called with the instance).
 * Anything else is reported through `on('error')`, never thrown.
 */
export const createCommand = (attune: Attune, report: Report, extra: Record<string, Handler> = {}): AttuneCommand => {
  const command: AttuneCommand = (name, ...args) => {
    try {
      if (typeof name === 'function') return (name as (a: Attune) => unknown)(attune)
      const handler = typeof name !== 'string' ? undefined : Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : Object.hasOwn(extra, name) ? extra[name] : undefined
      if (handler) return handler(attune, report, ...args)
      return report('bad_call', `attune(${JSON.stringify(name) ?? String(name)}) is not a command; use ${Object.keys(COMMANDS).join(', ')} or a function.`)
    } catch (error) {
      return report('callback', 'A function passed to attune() threw; attune went on.', error)
    }
  }
  command.loaded = true
  return command
}

/**
 * Boots the script-tag build: reads `data-attune-*` from its own `<script>`, creates the
 * instance, replaces the queue stub with the command function and drains what was queued,
 * in order. Works loaded `async` or `defer` (both keep `document.currentScript` during the
 * first run); falls back to the first `script[data-attune-site]`.
 */
export const bootScriptTag = (win: Window): void => {
  const script =
    (win.document.currentScript as HTMLScriptElement | null) ??
    win.document.querySelector<HTMLScriptElement>('script[data-attune-site]')
  // When the paint snippet has shown the slots (dom/paintEarly.ts), the first frame need not wait for the boot.
  if ((win as { attune?: AttuneCommand }).attune?.p) afterPaint(() => boot(win, script))
  else boot(win, script)
}

const boot = (win: Window, script: HTMLScriptElement | null): void => {
  const global = win as unknown as { attune?: AttuneCommand }
  if (global.attune?.loaded) return
  const data = script?.dataset ?? {}
  const queued = Array.from(global.attune?.q ?? [])
  const early = global.attune?.p
  const painted: Painted = early?.painted ?? new Map()
  // The snippet paints no more, and what it painted shows its default content again.
  const unpaintAll = (): void => {
    early?.stop()
    unpaint(painted)
  }
  let instance: ReturnType<typeof createInstance>
  let endpoint: string | undefined
  try {
    instance = createInstance({
      site: checkSite(data.attuneSite),
      storage: checkStorage(data.attuneStorage),
      debug: data.attuneDebug !== undefined && data.attuneDebug !== 'false',
      consentDefault: [],
      respectGpc: true,
      now: Date.now,
      profile: {},
    })
    endpoint = checkEndpoint(data.attuneEndpoint || undefined)
  } catch (error) {
    // A wrong attribute is the site developer's mistake: say so once, and leave the page alone.
    console.error(`${(error as Error).message} (read from the data-attune-* attributes of the attune <script>)`)
    return unpaintAll()
  }
  const { attune, report } = instance
  const inner = internals.get(attune)
  const doc = win.document
  // The page chunk brings the profile's logic (profile/logic.ts).
  if (inner) inner.useLogic = useLogic
  if (inner?.remember) {
    inner.painted = painted
    // The tag keeps one thing more about the shopper, what the paint snippet shows: their export holds it.
    const exportAll = attune.profile.export
    attune.profile.export = () =>
      exportAll().then((data) => {
        try {
          return { ...data, painted: readPaint(attune.site) }
        } catch {
          // Storage blocked, or nothing readable kept: nothing the snippet could paint either.
          return data
        }
      })
  }
  const chunk = endpoint && script?.src ? loadSyncChunk(attune, script.src, endpoint) : undefined
  const load = (file: string, done?: (loaded: boolean) => void): void => {
    if (script?.src) loadBeside(script.src, file, done)
  }
  let consentOptions: unknown
  const stops: Array<() => void> = []
  let requested = false
  /** The page chunk will not bring the profile's logic: the store understands and writes nothing on this page. */
  let lost = false
  const follow = (): void => {
    const { personalization, measurement } = attune.consent.get()
    if ((personalization || measurement) && !requested) {
      requested = true
      const done = (loaded: boolean): void => {
        // It ran and handed over the profile's logic (startPage.ts), as a chunk of the tag's own release does.
        if (loaded && !later) return
        // Nothing will fold or understand the profile on this page: the store settles with nothing read, and writes nothing.
        lost = true
        noLogic()
        report(
          'network',
          `${PAGE_CHUNK} ${loaded ? "ran without handing over the profile's logic (from another release than the tag, or it failed as it ran)" : 'did not load from beside the tag'}: on this page the profile is not read or kept.`,
        )
      }
      load(PAGE_CHUNK, done)
      // A tag with no src (its code copied inline) has no chunk to load.
      if (!script?.src) noLogic()
    }
    if (!personalization) {
      // What was painted goes with the profile (createAttune forgets what was kept).
      unpaintAll()
      // Refused (the first decision is heard even when it changes nothing): no slot will be decided
      // on this page, so none waits hidden.
      if (inner?.decided()) doc.documentElement.classList.remove(LOADING)
    }
  }
  const offConsent = attune.consent.on(follow)
  follow()
  let destroyed = false
  const destroy = (): Promise<void> => {
    destroyed = true
    offConsent()
    for (const stop of stops.splice(0)) stop()
    unpaintAll()
    chunk?.stop()
    return attune.destroy()
  }
  const command = createCommand({ ...attune, destroy }, report, {
    // A file that arrives after destroy (a banner adapter, the page chunk) starts nothing.
    extend: (_a, _r, start) => destroyed || stops.push((start as (...args: unknown[]) => () => void)(attune, endpoint, consentOptions, inner)),
    // identify and reset go to the server's connection, loaded with data-attune-endpoint (see loadChunk.ts).
    ...(chunk && {
      connect: (_a, _r, fn) => chunk.accept(fn as typeof connect),
      identify: (_a, report, userId, options) =>
        typeof userId == 'string' && typeof (options as { signature?: unknown } | undefined)?.signature == 'string'
          ? chunk.use((h) => h.identify(userId, options as { signature: string }))
          : report('bad_call', "attune('identify', userId, { signature }) needs a user id and its signature as strings."),
      reset: () => {
        // This device's part at once: the connection loads only with measurement or sync, and may
        // never come. Nothing is stored before consent, so nothing is written before it either.
        const { personalization, measurement } = attune.consent.get()
        if (personalization || measurement) {
          forgetPaint(attune.site)
          // The store writes nothing without the profile's logic: then the profile is emptied here.
          void (lost ? inner?.kv?.update('profile', emptyProfile) : inner?.profile.rewrite(emptyProfile))?.catch(() => {})
        }
        return chunk.use((h) => h.reset())
      },
    }),
  })
  global.attune = command
  for (const args of queued) command(...(Array.from(args) as [unknown]))
  // Staff's QA overlay (attune/debug): only ever the tag's own sibling file, which shows nothing
  // until the server accepts the fragment's preview token. A fragment never reaches a server.
  if (/[#&]attune-preview=[^&]/.test(win.location.hash)) load(DEBUG_CHUNK)
  // The site's banner decides consent: its adapter is the one file loaded before consent, with no
  // identifier or cookie of ours, because without it the shopper's choice could not be heard.
  // After the queue, so that error listeners queued by the page hear a mistake here.
  const adapter = data.attuneConsent
  if (adapter) {
    try {
      consentOptions = JSON.parse(data.attuneConsentOptions ?? 'null') ?? undefined
      if (!TAG_ADAPTERS.includes(adapter)) throw new TypeError(`data-attune-consent must be one of ${TAG_ADAPTERS.join(', ')}; got ${JSON.stringify(adapter)}`)
      const file = `attune-consent-${adapter}.min.js`
      // Without it the banner's answer is never heard: the shopper stays denied, and the site must know.
      load(file, (loaded) => loaded || report('network', `${file} did not load from beside the tag: the banner's answer cannot reach attune.`))
    } catch (error) {
      report('bad_call', `The consent banner adapter was not loaded: ${(error as Error).message}.`)
    }
  }
}
