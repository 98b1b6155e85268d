/** Longest wait before a retry, whatever the server asks (DESIGN.md: ≤ 300 s). */
export const MAX_RETRY_MS = 300_000

/**
 * How long to wait before retry number `attempt` (0-based): the server's `Retry-After` when it
 * gave one (seconds or an HTTP date), else exponential from 1 s with full jitter — so a fleet
 * of browsers coming back online does not knock in step — never above {@link MAX_RETRY_MS}.
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export const retryDelay = (attempt: number, retryAfter: string | null = null, now = Date.now(), random = Math.random()): number => {
  if (retryAfter) {
    const seconds = Number(retryAfter)
    const asked = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(retryAfter) - now
    if (asked >= 0) return Math.min(asked, MAX_RETRY_MS)
  }
  return Math.round(random * Math.min(1000 * 2 ** attempt, MAX_RETRY_MS))
}

/** Statuses worth retrying: timeouts, rate limits and server errors, except 501 (never going to work). */
export const retryable = (status: number): boolean => status === 408 || status === 429 || (status >= 500 && status !== 501)
