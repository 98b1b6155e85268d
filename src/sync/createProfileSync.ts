import { retryable, retryDelay } from '../lib/backoff'
import type { ConsentProof } from '../consent'
import type { Report } from '../lib/errors'
import type { ProfileStore } from '../profile/createProfileStore'
import { merge } from '../profile/merge'
import type { Profile } from '../profile/model'
import { readStored } from '../profile/readStored'
import type { Visitor, Visitors } from './createVisitors'

/** Options of {@link createProfileSync}. */
export interface ProfileSyncOptions {
  site: string
  endpoint: string
  fetch: typeof fetch
  report: Report
  visitors: Visitors
  profile: Pick<ProfileStore, 'own' | 'rewrite' | 'onWrite'>
  /** Is `sync` granted right now? Asked before every request. */
  syncing(): boolean
  /** The consent proof each write carries (the server refuses a write under `Sec-GPC: 1` without one). */
  proof: ConsentProof
}

/** Keeps the profile the same on every device of the shopper, with `sync` consent. */
export interface ProfileSync {
  /** Pull the other devices' entries and merge them in, then push this device's entry. */
  sync(): Promise<void>
  /** Link this visitor to a user the site signed for, and merge the user's profile in. */
  identify(userId: string, signature: string): Promise<void>
  /** Remove listeners and timers. */
  stop(): void
}

// Push a changed profile this long after the last change, not on every event.
const PUSH_AFTER_MS = 2_000

/**
 * Creates profile sync. Each device sends only its own entry (`PUT /v1/profile`), and merges
 * what the server holds for the shopper's other devices (`GET /v1/profile`) with the SDK's
 * `merge`, which takes the newer version of each device's entry: so every device that saw the
 * same entries derives the same profile, in whatever order they arrived.
 */
export const createProfileSync = (options: ProfileSyncOptions): ProfileSync => {
  const { site, endpoint, visitors, profile, report } = options
  let pushed = -1
  let attempt = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false

  const schedule = (ms: number): void => {
    clearTimeout(timer)
    if (!stopped) timer = setTimeout(() => void push(), ms)
  }
  const auth = (who: Visitor): Record<string, string> => (who.token ? { authorization: `Bearer ${who.token}` } : {})

  /** Sends a request; on failure schedules a retry, returns the answer only when it is a success. */
  const request = async (path: string, init: RequestInit): Promise<Record<string, unknown> | undefined> => {
    const who = visitors.current()
    let response: Response
    try {
      response = await options.fetch(`${endpoint}${path}`, { ...init, headers: { 'content-type': 'application/json', ...auth(who) }, credentials: 'omit' })
    } catch {
      schedule(retryDelay(attempt++))
      return undefined
    }
    if (retryable(response.status)) schedule(retryDelay(attempt++, response.headers.get('retry-after')))
    else if (response.status === 401) visitors.forget()
    if (!response.ok) return undefined
    attempt = 0
    const answer = (await response.json().catch(() => ({}))) as { token?: string }
    if (answer.token) visitors.setToken(who.id, answer.token)
    return answer
  }

  /** Merges a profile the server sent; one that does not read is reported and left out. */
  const absorb = (remote: unknown): Promise<void> => {
    const checked = readStored(remote)
    if (typeof checked === 'string') {
      report('network', `The server sent an unreadable profile (${checked}).`)
      return Promise.resolve()
    }
    return profile.rewrite((local: Profile) => merge(local, checked))
  }

  const push = async (keepalive = false): Promise<void> => {
    const own = profile.own()
    if (stopped || !options.syncing() || !own || own.entry.v <= pushed) return
    const who = visitors.current()
    const v = own.entry.v
    const answer = await request('/v1/profile', {
      method: 'PUT',
      body: JSON.stringify({ site, visitor: who.id, device: own.device, entry: own.entry, consent: options.proof }),
      keepalive,
    })
    if (answer) pushed = v
  }

  const sync = async (): Promise<void> => {
    if (stopped || !options.syncing()) return
    const who = visitors.current()
    // Without a token the server has nothing of ours yet: the first push makes the visitor.
    if (who.token) {
      // Both are URL-safe as they are: a checked site id and a UUID of ours.
      const answer = await request(`/v1/profile?site=${site}&visitor=${who.id}`, { method: 'GET' })
      if (answer?.profile) await absorb(answer.profile)
    }
    await push()
  }

  const onHide = (): void => {
    if (document.visibilityState === 'hidden') void push(true)
  }
  const off = profile.onWrite(() => schedule(PUSH_AFTER_MS))
  if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onHide)

  return {
    sync,
    async identify(userId, signature) {
      if (stopped || !options.syncing()) return report('bad_call', 'identify() needs sync consent; nothing was sent.')
      const who = visitors.current()
      const answer = await request('/v1/identify', { method: 'POST', body: JSON.stringify({ site, visitor: who.id, userId, signature }) })
      if (!answer) return report('network', 'identify() was refused or could not reach the server.')
      if (answer.profile) await absorb(answer.profile)
      await push()
    },
    stop() {
      stopped = true
      clearTimeout(timer)
      off()
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onHide)
    },
  }
}
