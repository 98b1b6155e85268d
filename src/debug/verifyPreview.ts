/** What the server says of a valid preview token (`GET /v1/sites/:site/preview`). */
export interface Preview {
  /** The site the token is for: the instance's own. */
  site: string
  /** When the token stops working, epoch ms. */
  expiresAt: number
  /** What the token was minted for ('' when nothing was said). */
  note: string
}

/**
 * Asks the attune server whether `token` is a valid preview token of `site`. Resolves with what
 * the server says of it, or with the reason it was refused (`bad_preview_token`,
 * `expired_preview_token`, `revoked_preview_token`, `forbidden_origin`, `http_<status>`,
 * `network`, `bad_answer`); never rejects. No cookie, no referrer: the request carries the token
 * and nothing about the shopper.
 */
export const verifyPreview = async (endpoint: string, site: string, token: string, send: typeof fetch): Promise<Preview | string> => {
  let res: Response
  try {
    res = await send(`${endpoint}/v1/sites/${encodeURIComponent(site)}/preview`, {
      headers: { authorization: `Bearer ${token}` },
      credentials: 'omit',
      cache: 'no-store',
      referrerPolicy: 'no-referrer',
    })
  } catch {
    return 'network'
  }
  const body = (await res.json().catch(() => undefined)) as Partial<Preview & { error: string; reason: string }> | undefined
  if (!res.ok) return body?.reason ?? body?.error ?? `http_${res.status}`
  // Only a 200 for this very site opens the overlay: anything else in its place is refused.
  if (body?.site !== site || typeof body.expiresAt != 'number') return 'bad_answer'
  return { site, expiresAt: body.expiresAt, note: typeof body.note == 'string' ? body.note : '' }
}
