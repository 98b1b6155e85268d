/** A token bucket: `rate` tokens per second, holding at most `burst`. */
export interface BucketRule {
  rate: number
  burst: number
}

const MAX_KEYS = 100_000

/**
 * In-memory token buckets by key. Returns 0 when a request may go, else the seconds to wait
 * (for `Retry-After`). Buckets that have refilled are forgotten when the map grows large, so
 * memory stays bounded whatever the keys. Per process: behind a load balancer, per instance.
 */
export const createRateLimiter = (rule: BucketRule, now: () => number = Date.now) => {
  const buckets = new Map<string, { tokens: number; at: number }>()

  const sweep = (t: number): void => {
    for (const [key, b] of buckets) if (b.tokens + ((t - b.at) / 1000) * rule.rate >= rule.burst) buckets.delete(key)
    // Still full of active keys (a flood of distinct ones): start over rather than grow.
    if (buckets.size >= MAX_KEYS) buckets.clear()
  }

  return (key: string): number => {
    const t = now()
    if (buckets.size >= MAX_KEYS) sweep(t)
    const b = buckets.get(key) ?? { tokens: rule.burst, at: t }
    b.tokens = Math.min(rule.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * rule.rate)
    b.at = t
    buckets.set(key, b)
    if (b.tokens >= 1) {
      b.tokens -= 1
      return 0
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rule.rate))
  }
}

export type RateLimiter = ReturnType<typeof createRateLimiter>
