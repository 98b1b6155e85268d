import { retryable, retryDelay } from '../lib/backoff'
import type { ConsentProof } from '../consent'
import type { Report } from '../lib/errors'
import type { KeyValue } from '../storage/createKeyValue'
import type { TrackedEvent } from '../track'
import type { Visitors } from './createVisitors'
import { addToOutbox, emptyOutbox, isOutbox, MAX_BATCH_EVENTS, nextBatch, settleOutbox, type Outbox } from './outbox'

/** Options of {@link createSync}. */
export interface SyncOptions {
  site: string
  /** Base URL of the attune server. */
  endpoint: string
  fetch: typeof fetch
  now(): number
  uuid(): string
  report: Report
  /** Where the outbox lives; none keeps it in memory for this page. */
  kv: KeyValue | undefined
  /** Who this browser is to the server. */
  visitors: Visitors
  /** Is `measurement` granted right now? Asked before every send. */
  measuring(): boolean
  /** The consent proof each batch carries, read as it is sent. */
  proof: ConsentProof
}

/** Sends events to the server: reliably, once in effect, and only with `measurement` consent. */
export interface Sync {
  /** Persist an event for sending (call only with `measurement` consent). */
  enqueue(event: TrackedEvent): void
  /** Send what is waiting now; resolves when this attempt is over. */
  flush(): Promise<void>
  /**
   * Ask the server to erase this visitor, now or, if that fails, from a later page. Forgets the
   * visitor here. `wiped`: the whole database is being deleted (personalization went too), so the
   * emptied outbox must not be written back into it.
   */
  erase(wiped?: boolean): void
  /** The events stored and not acknowledged yet, oldest first, with those still being stored. */
  pending(): Promise<TrackedEvent[]>
  /** Remove listeners and timers. */
  stop(): void
}

/** Answer of `POST /v1/collect`. */
interface CollectAnswer {
  accepted?: number
  duplicates?: number
  token?: string
}

/** A send that failed in a way worth retrying: network error, 408, 429, 5xx but 501. */
const RETRY = 'retry'

/**
 * Creates the sync engine. An event is persisted in the outbox (IndexedDB, key `outbox`)
 * before any send, and leaves it only when the server acknowledged it; the server stores each
 * event id once, so retries, reloads, crashes and several tabs sending the same event never
 * double it. One tab sends at a time (Web Locks; without them every tab may send, and the
 * server's deduplication absorbs it). Batches stay within 64 KB so a page being hidden or
 * closed can still send with `fetch(…, { keepalive: true })`.
 */
export const createSync = (options: SyncOptions): Sync => {
  const { site, endpoint, report } = options
  const { visitors } = options
  let kv = options.kv
  let outbox = emptyOutbox()
  let adding: TrackedEvent[] = []
  /** Taken from `adding` and being written: `outbox` has them once IndexedDB answered. */
  let writing: TrackedEvent[] = []
  let attempt = 0
  /** Events enqueued since the last full batch was sent for. */
  let queued = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let sending: Promise<void> | undefined
  let again: Promise<void> | undefined
  let stopped = false

  /** IndexedDB failed: keep going in memory, with what we had, reported once. */
  const degrade = (error: unknown): void => {
    if (!kv) return
    kv = undefined
    report('storage', 'IndexedDB failed; events wait in memory for this page.', error)
  }
  /** The stored outbox; this tab's copy when there is none, or when it cannot be read (then discarded and reported). */
  const readable = (old: unknown): Outbox => {
    if (isOutbox(old)) return old
    if (old !== undefined) report('storage', 'Discarded an unreadable stored outbox.')
    return outbox
  }
  /** Read-modify-write the outbox in storage (or memory once storage failed). */
  const change = (fn: (old: Outbox) => Outbox): Promise<Outbox> => {
    const inMemory = () => (outbox = fn(outbox))
    return kv
      ? kv.update<Outbox>('outbox', (old) => fn(readable(old))).then(
          (value) => (outbox = value),
          (error: unknown) => (degrade(error), inMemory()),
        )
      : Promise.resolve(inMemory())
  }

  const schedule = (ms: number): void => {
    clearTimeout(timer)
    if (!stopped) {
      timer = setTimeout(() => {
        timer = undefined
        void flush()
      }, ms)
    }
  }

  /** POSTs one batch; resolves with the ids the server now holds, or RETRY, or a reason to drop. */
  const post = async (batch: TrackedEvent[], dropped: Record<string, number>, keepalive: boolean): Promise<string> => {
    const me = visitors.current()
    let response: Response
    try {
      response = await options.fetch(`${endpoint}/v1/collect`, {
        method: 'POST',
        // text/plain keeps the request CORS-simple: no preflight, and sendBeacon-compatible.
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: JSON.stringify({ site, visitor: me.id, token: me.token, events: batch, ...(Object.keys(dropped).length && { dropped }), consent: options.proof }),
        keepalive,
        credentials: 'omit',
      })
    } catch {
      schedule(retryDelay(attempt++))
      return RETRY
    }
    if (response.ok) {
      const answer = (await response.json().catch(() => ({}))) as CollectAnswer
      if (answer.token) visitors.setToken(me.id, answer.token)
      attempt = 0
      return ''
    }
    if (response.status === 401) {
      // The server no longer knows this visitor's token (its secret changed, or it erased us):
      // start over as a new visitor rather than lose the events.
      visitors.forget()
    }
    if (response.status === 401 || retryable(response.status)) {
      schedule(retryDelay(attempt++, response.headers.get('retry-after')))
      return RETRY
    }
    return `status_${response.status}`
  }

  /** Sends batch after batch until the outbox is empty or the server asks us to wait. */
  const drain = async (keepalive: boolean): Promise<void> => {
    await write()
    for (;;) {
      if (stopped || !options.measuring()) return
      const waiting = await change((old) => old)
      if (!waiting.events.length) return
      const batch = nextBatch(waiting.events)
      const reported = { ...waiting.dropped }
      const outcome = await post(batch, reported, keepalive)
      // A retry is scheduled already.
      if (outcome === RETRY) return
      await change((old) => settleOutbox(old, batch.map((e) => e.id), outcome ? {} : reported, outcome || undefined))
      if (outcome) report('network', `The server refused ${batch.length} events (${outcome}); they were dropped.`)
    }
  }

  /**
   * One sender at a time across tabs (the others find the outbox empty, or wait for the lock).
   * A flush asked for while one runs runs once more after it, for what came in meanwhile.
   */
  const flush = (keepalive = false): Promise<void> => {
    if (stopped) return Promise.resolve()
    if (sending) return (again ??= sending.then(() => ((again = undefined), flush(keepalive))))
    const locks = globalThis.navigator?.locks
    const run = (): Promise<void> => drain(keepalive).catch((error: unknown) => report('network', 'Sending events failed; they stay queued.', error))
    sending = (locks ? locks.request(`attune:${site}:send`, run).then(() => {}) : run()).finally(() => (sending = undefined))
    return sending
  }

  /** Persist what `enqueue` gathered in this task, in one transaction. */
  const write = (): Promise<unknown> => {
    const events = adding
    adding = []
    if (!events.length) return Promise.resolve()
    writing = writing.concat(events)
    // Writes to one store complete in the order they started, so the oldest in `writing` are these.
    return change((old) => addToOutbox(old, events, options.now())).finally(() => (writing = writing.slice(events.length)))
  }

  /** Sends every pending erasure; each is forgotten once the server confirmed (or never knew it). */
  const sendErasures = (): void => {
    for (const who of visitors.erasing()) {
      if (!who.token) continue
      options
        // Both are URL-safe as they are: a checked site id and a UUID of ours.
        .fetch(`${endpoint}/v1/profile?site=${site}&visitor=${who.id}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${who.token}` },
          keepalive: true,
          credentials: 'omit',
        })
        .then(
          (response) => {
            if (response.ok || response.status === 404) visitors.setErasing(visitors.erasing().filter((w) => w.id !== who.id))
          },
          () => {},
        )
    }
  }

  const onHide = (): void => {
    if (document.visibilityState === 'hidden') void flush(true)
  }
  // The page is going: there is no time for the lock and IndexedDB, so what this tab last saw
  // waiting goes at once (fetch is called synchronously here); the server absorbs doubles.
  const onPageHide = (): void => {
    // With what IndexedDB has not stored yet: events of an earlier pagehide listener (attune/vitals) are there.
    const waiting = outbox.events.concat(writing, adding)
    if (waiting.length && options.measuring() && !stopped) void post(nextBatch(waiting), {}, true)
    void flush(true)
  }
  const onOnline = (): void => void flush()
  if (typeof document !== 'undefined') {
    document.addEventListener('visibilitychange', onHide)
    addEventListener('pagehide', onPageHide)
    addEventListener('online', onOnline)
  }
  sendErasures()

  return {
    enqueue(event) {
      if (adding.push(event) === 1) queueMicrotask(() => void write())
      // A full batch goes at once; otherwise a burst is batched for a second (a hidden page sends at once anyway).
      if (++queued >= MAX_BATCH_EVENTS) {
        queued = 0
        void flush()
      } else if (!timer) schedule(1000)
    },
    flush,
    pending: () => (kv ? kv.get<unknown>('outbox').then(readable, () => outbox) : Promise.resolve(outbox)).then((o) => [...o.events, ...adding]),
    erase(wiped) {
      const me = visitors.forget()
      adding = []
      // Unsent events were kept for a purpose now withdrawn: they go too.
      if (wiped) outbox = emptyOutbox()
      else void change(emptyOutbox)
      if (me?.token) visitors.setErasing([...visitors.erasing().filter((w) => w.id !== me.id), me])
      sendErasures()
    },
    stop() {
      stopped = true
      clearTimeout(timer)
      if (typeof document !== 'undefined') {
        document.removeEventListener('visibilitychange', onHide)
        removeEventListener('pagehide', onPageHide)
        removeEventListener('online', onOnline)
      }
    },
  }
}
