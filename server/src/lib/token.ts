import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/** How long a visitor token lives: 400 days, like the longest cookie browsers keep. */
export const TOKEN_TTL_S = 400 * 24 * 3600

const signature = (secret: string, site: string, visitor: string, exp: number): Buffer =>
  createHmac('sha256', secret).update(`v1|${site}|${visitor}|${exp}`).digest()

/** `v1.<exp>.<base64url HMAC-SHA256(secret, "v1|site|visitor|exp")>`, exp in epoch seconds. */
export const mintToken = (secret: string, site: string, visitor: string, exp: number): string =>
  `v1.${exp}.${signature(secret, site, visitor, exp).toString('base64url')}`

/** What the server keeps of a token: its sha256 in hex. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

/** Why a token was refused (the `reason` of the 401). */
export type TokenProblem = 'malformed' | 'expired' | 'bad_signature'

// 43 base64url characters are exactly 32 bytes; anything else (empty, padded, truncated) is malformed.
const SHAPE = /^v1\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$/

/**
 * Checks a token for this site and visitor at `nowS` (epoch seconds). Only `v1` with an HMAC
 * exists: there is no algorithm field to downgrade, so `alg:none`-style tokens are just malformed.
 */
export const verifyToken = (secret: string, site: string, visitor: string, token: string, nowS: number): { exp: number } | { problem: TokenProblem } => {
  const match = SHAPE.exec(token)
  if (!match) return { problem: 'malformed' }
  const exp = Number(match[1])
  const given = Buffer.from(match[2] as string, 'base64url')
  // Canonical encoding only: a different spelling of the same bytes is a different token.
  if (given.length !== 32 || given.toString('base64url') !== match[2]) return { problem: 'malformed' }
  if (!timingSafeEqual(given, signature(secret, site, visitor, exp))) return { problem: 'bad_signature' }
  if (exp <= nowS) return { problem: 'expired' }
  return { exp }
}
