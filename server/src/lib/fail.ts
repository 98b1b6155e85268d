import type { Context } from 'hono'
import type { AppEnv } from '../types'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Metrics } from './metrics'

/**
 * An error answer: `{ error, reason?, message? }` with the status, counted in
 * `attune_requests_rejected_total{status, reason}`. `reason` is a fixed code (it labels metrics);
 * `message` says what was wrong in words and may quote the input.
 */
export const fail = (
  c: Context<AppEnv>,
  metrics: Metrics,
  status: ContentfulStatusCode,
  error: string,
  reason?: string,
  extra: Record<string, unknown> = {},
): Response => {
  metrics.add('attune_requests_rejected_total', 1, { status, reason: reason ?? error })
  return c.json({ error, ...(reason ? { reason } : {}), ...extra }, status)
}
