import { createInstance, type Attune } from './createAttune'
import type { Report } from './lib/errors'
import { autoTrack } from './auto'
import { checkEndpoint, checkSite, checkStorage } from './options'
import type { connect } from './sync/connect'
import { loadSyncChunk } from './sync/loadChunk'

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
}

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
  const global = win as unknown as { attune?: AttuneCommand }
  if (global.attune?.loaded) return
  const script =
    (win.document.currentScript as HTMLScriptElement | null) ??
    win.document.querySelector<HTMLScriptElement>('script[data-attune-site]')
  const data = script?.dataset ?? {}
  const queued = Array.from(global.attune?.q ?? [])
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
    return
  }
  const { attune, report } = instance
  // The tag tracks by itself, syncs with the server when given one, and its destroy undoes both.
  const stopTracking = autoTrack(attune)
  const chunk = endpoint && script?.src ? loadSyncChunk(attune, script.src, endpoint) : undefined
  const destroy = (): Promise<void> => {
    stopTracking()
    chunk?.stop()
    return attune.destroy()
  }
  const command = createCommand({ ...attune, destroy }, report, chunk && { connect: (_a, _r, fn) => chunk.accept(fn as typeof connect) })
  global.attune = command
  for (const args of queued) command(...(Array.from(args) as [unknown]))
}
