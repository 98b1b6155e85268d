import * as v from 'valibot'
import type { Context } from 'hono'
import type { AppEnv, Deps } from '../types'
import type { BodyProblem } from '../lib/readJson'
import { fail } from '../lib/fail'

/** A site id: what `data-attune-site` holds. */
export const SiteId = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a site id is 1–64 letters, digits, "_", "." or "-"'))

/** A visitor id: a UUID the client made (any version), compared in lower case. */
export const VisitorId = v.pipe(
  v.string(),
  v.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'a visitor id is a UUID'),
  v.toLowerCase(),
)

/**
 * No U+0000: PostgreSQL text cannot hold it (the query would fail: a 500). Bodies are checked
 * whole by readJson; strings from a path or a query string need this.
 */
export const withoutNul = (what: string) => v.check((x: string) => !x.includes('\u0000'), `${what} must not contain U+0000`)

/** A user id of `identify`: whatever the site's backend signed, 1–200 characters. */
export const UserId = v.pipe(
  v.string(),
  v.minLength(1, 'a user id is 1–200 characters'),
  v.maxLength(200, 'a user id is 1–200 characters'),
  withoutNul('a user id'),
)

/** A JSON object (not an array). */
export const JsonObject = v.custom<Record<string, unknown>>(
  (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
  'an object, not an array',
)

/** An origin exactly as browsers send it: scheme, host, optional port; no path. */
export const Origin = v.pipe(
  v.string(),
  v.maxLength(200),
  v.check((x) => {
    try {
      return new URL(x).origin === x
    } catch {
      return false
    }
  }, 'an origin is scheme://host[:port], e.g. https://shop.example'),
)

/**
 * The consent proof the SDK sends as `consent` with collect and profile writes: `sync`, when the
 * shopper granted the `sync` purpose (epoch ms; absent when it rests on a site default), and
 * `tcf`, the TC string of the site's TCF banner. A profile write under `Sec-GPC: 1` needs `sync`.
 */
export const ConsentProof = v.strictObject({
  sync: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
  // base64url segments joined by dots (TCF v2 "TC String Format"); long vendor lists stay far below this.
  tcf: v.optional(v.pipe(v.string(), v.maxLength(32_768), v.regex(/^[\w.-]*$/, 'a TC string is base64url segments joined by "."'))),
})

/** Site + visitor in a query string (GET and DELETE /v1/profile). */
export const SiteVisitorQuery = v.strictObject({ site: SiteId, visitor: VisitorId })

/**
 * Validates `input` against `schema`, or answers 400 naming the first problem: reason
 * `unknown_field` for a key the schema does not know, `schema` for anything else.
 */
export const parse = <S extends v.GenericSchema>(
  c: Context<AppEnv>,
  deps: Deps,
  schema: S,
  input: unknown,
): { value: v.InferOutput<S> } | { response: Response } => {
  const result = v.safeParse(schema, input)
  if (result.success) return { value: result.output }
  const issue = result.issues[0]
  const where = v.getDotPath(issue) ?? '(root)'
  const reason = issue.expected === 'never' && issue.kind === 'schema' ? 'unknown_field' : 'schema'
  return { response: fail(c, deps.metrics, 400, 'bad_request', reason, { message: `${where}: ${issue.message}`.slice(0, 300) }) }
}

/** The answer for a body that could not be read (400, 413 or 415). */
export const bodyFailed = (c: Context<AppEnv>, deps: Deps, problem: BodyProblem): Response =>
  fail(c, deps.metrics, problem.status, problem.status === 413 ? 'too_large' : problem.status === 415 ? 'unsupported_media_type' : 'bad_request', problem.reason, {
    message: problem.message,
  })
