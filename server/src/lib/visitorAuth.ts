import type { Deps } from '../types'
import { confirmVisitor, getVisitor, insertVisitor, visitorByTokenHash } from '../db/visitors'
import { safeEqual } from './safeEqual'
import { TOKEN_TTL_S, hashToken, mintToken, verifyToken } from './token'

/** Who the caller is, or why not. */
export type VisitorAuth =
  /** `exists` false: the visitor is unknown (readers answer 404, DELETE 204). `token`: give it to the client. */
  | { ok: true; exists: boolean; token?: string }
  | { ok: false; status: 401 | 403; error: 'unauthorized' | 'forbidden'; reason: string }

const refuse = (reason: string): VisitorAuth => ({ ok: false, status: 401, error: 'unauthorized', reason })

/** The token of `Authorization: Bearer <token>`; '' for any other Authorization (a malformed token). */
export const bearer = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined
  const match = /^Bearer +(\S*)$/i.exec(header.trim())
  return match ? (match[1] as string) : ''
}

/**
 * Trust on first use. Without a token, an unknown visitor is created and gets its token when
 * `mint` (the writing endpoints); a known visitor needs its token — except right after first
 * contact, before the token was ever used, when the answer that carried it may have been lost:
 * then the same token is given again. With a token: it must be this site's and this visitor's,
 * unexpired, and the one stored (erasure revokes it). A valid token of another visitor of the
 * site is 403, anything else 401.
 */
export const authenticate = async (deps: Deps, site: string, visitor: string, token: string | undefined, mint: boolean): Promise<VisitorAuth> => {
  const now = deps.now()
  const row = await getVisitor(deps.db, site, visitor)

  if (token === undefined) {
    if (!row) {
      if (!mint) return { ok: true, exists: false }
      const exp = Math.floor(now / 1000) + TOKEN_TTL_S
      const fresh = mintToken(deps.secret, site, visitor, exp)
      if (await insertVisitor(deps.db, site, visitor, hashToken(fresh), exp, now)) return { ok: true, exists: true, token: fresh }
      // Another request created it a moment ago: fall through to the re-issue rule below.
      return authenticate(deps, site, visitor, undefined, mint)
    }
    if (row.confirmedAt === null && now - row.createdAt < deps.limits.reissueMs) {
      const again = mintToken(deps.secret, site, visitor, row.tokenExp)
      if (safeEqual(hashToken(again), row.tokenHash)) return { ok: true, exists: true, token: again }
    }
    return refuse('token_required')
  }

  const checked = verifyToken(deps.secret, site, visitor, token, Math.floor(now / 1000))
  if ('problem' in checked) {
    if (checked.problem === 'bad_signature' && (await visitorByTokenHash(deps.db, site, hashToken(token)))) {
      return { ok: false, status: 403, error: 'forbidden', reason: 'other_visitor' }
    }
    return refuse(checked.problem)
  }
  // A genuine token of a visitor that no longer exists: erased. Writers must not bring it back.
  if (!row) return mint ? refuse('unknown_visitor') : { ok: true, exists: false }
  if (!safeEqual(hashToken(token), row.tokenHash)) return refuse('revoked')
  if (row.confirmedAt === null) await confirmVisitor(deps.db, site, visitor, now)
  return { ok: true, exists: true }
}
