/** What went wrong, as a stable machine-readable code. */
export type AttuneErrorCode =
  /** A call from the page had the wrong shape (unknown command, wrong argument types). */
  | 'bad_call'
  /** An event was dropped: bad name, props that are not JSON, too large. */
  | 'bad_event'
  /** A listener the page registered threw; attune kept going. */
  | 'callback'
  /** Browser storage was unavailable or failed; attune fell back to memory. */
  | 'storage'
  /** The server could not be reached or refused data for good. */
  | 'network'
  /** A site config or variant was malformed; the slot kept its default content. */
  | 'config'
  /** The QA overlay (`attune/debug`) stayed off: its preview token was refused, or the server could not be asked. */
  | 'debug'

/**
 * A runtime failure attune caught and degraded around. It is never thrown into the page:
 * it reaches the page only through `on('error', fn)` (and the console when `debug` is on).
 */
export class AttuneError extends Error {
  /** Stable code to branch on. */
  readonly code: AttuneErrorCode
  constructor(code: AttuneErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'AttuneError'
    this.code = code
  }
}

/** How modules hand a caught failure to the instance, which emits it as `error`. */
export type Report = (code: AttuneErrorCode, message: string, cause?: unknown) => void
