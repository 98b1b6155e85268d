import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** Longest life of a preview token, seconds: a day of QA, then mint another. */
export const PREVIEW_TTL_MAX_S = 86_400

/** What a valid preview token says. */
export interface PreviewClaims {
  /** The site it opens the overlay of. */
  site: string
  /** Epoch seconds; the token is refused from then on. */
  exp: number
  /** 16 random bytes, base64url: tells tokens apart (logs, the revocation list of db/previewRevocations.ts). */
  id: string
  /** Who or what it was minted for, as given to the admin API; '' when none. */
  note: string
}

/** Why a preview token was refused: the `reason` of the 401. */
export type PreviewProblem = 'bad_preview_token' | 'expired_preview_token'

/**
 * The key preview tokens are signed with: derived from the server secret, so no second secret to
 * configure, and domain-separated, so a visitor token (signed with the secret itself) can never
 * pass for a preview token, nor the other way round.
 */
export const previewKey = (secret: string): Buffer => createHmac('sha256', secret).update('attune-preview').digest()

const mac = (key: Buffer, { site, exp, id, note }: PreviewClaims): Buffer =>
  createHmac('sha256', key).update(`ap1|${site}|${exp}|${id}|${note}`).digest()

/**
 * `ap1.<site>.<exp>.<id>.<base64url note>.<base64url HMAC-SHA256(previewKey, "ap1|site|exp|id|note")>`.
 * The site may hold dots; every later part cannot, so the token splits unambiguously from the right.
 */
export const mintPreviewToken = (key: Buffer, site: string, exp: number, note = ''): { token: string; claims: PreviewClaims } => {
  const claims: PreviewClaims = { site, exp, id: randomBytes(16).toString('base64url'), note }
  const token = `ap1.${site}.${exp}.${claims.id}.${Buffer.from(note, 'utf8').toString('base64url')}.${mac(key, claims).toString('base64url')}`
  return { token, claims }
}

// Fixed shape: version, site id, exp (epoch seconds), 22 chars of id (16 bytes), the note (≤ 200
// characters, so ≤ 800 bytes), 43 chars of MAC (32 bytes).
const SHAPE = /^ap1\.([A-Za-z0-9][A-Za-z0-9_.-]{0,63})\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{0,1100})\.([A-Za-z0-9_-]{43})$/

/** base64url `text` as bytes, or undefined unless it is the one canonical spelling of them. */
const canonical = (text: string): Buffer | undefined => {
  const bytes = Buffer.from(text, 'base64url')
  return bytes.toString('base64url') === text ? bytes : undefined
}

/**
 * Checks a preview token for `site` at `nowS` (epoch seconds). There is one format and one
 * algorithm, so there is no field to downgrade: anything else — another version, `alg:none`, a
 * truncated or re-encoded part, another site's token — is `bad_preview_token`, as is a wrong MAC
 * (compared in constant time). Only a genuine token past its expiry is `expired_preview_token`.
 */
export const verifyPreviewToken = (key: Buffer, site: string, token: string, nowS: number): PreviewClaims | { problem: PreviewProblem } => {
  const bad = { problem: 'bad_preview_token' } as const
  const match = SHAPE.exec(token)
  if (!match || match[1] !== site) return bad
  const given = canonical(match[5] as string)
  const note = canonical(match[4] as string)
  if (given?.length !== 32 || !note || !canonical(match[3] as string)) return bad
  const claims: PreviewClaims = { site, exp: Number(match[2]), id: match[3] as string, note: note.toString('utf8') }
  // A note that is not valid UTF-8 would decode to other bytes than were signed: caught by the MAC.
  if (!timingSafeEqual(given, mac(key, claims))) return bad
  return claims.exp <= nowS ? { problem: 'expired_preview_token' } : claims
}
