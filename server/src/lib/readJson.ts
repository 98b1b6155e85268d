import { FORBIDDEN_KEYS } from '../sdk'

/** Deepest nesting accepted in a body: enough for any real props, far from stack limits. */
export const MAX_DEPTH = 48

/** Why a body could not be read, and the status that says so. */
export interface BodyProblem {
  status: 400 | 413 | 415
  reason:
    | 'too_large'
    | 'aborted'
    | 'invalid_json'
    | 'forbidden_key'
    | 'too_deep'
    | 'nul_character'
    | 'invalid_unicode'
    | 'number_out_of_range'
    | 'unsupported_media_type'
    | 'empty_body'
  message: string
}

// A lone surrogate: JSON's `\ud800` escapes make them, and PostgreSQL's jsonb refuses them.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** Why a string cannot be stored as PostgreSQL text or jsonb, if it cannot. */
const unstorable = (s: string, what: string): BodyProblem | undefined => {
  if (s.includes('\u0000')) return { status: 400, reason: 'nul_character', message: `${what} must not contain U+0000` }
  if (LONE_SURROGATE.test(s)) return { status: 400, reason: 'invalid_unicode', message: `${what} must not contain lone UTF-16 surrogates` }
  return undefined
}

/**
 * Finds what JSON.parse lets through but the server must not store: `__proto__`, `constructor`
 * and `prototype` keys at any depth (they re-parent or poison objects in JavaScript consumers),
 * nesting deeper than {@link MAX_DEPTH}, NUL characters and lone surrogates (PostgreSQL text
 * and jsonb reject them), numbers too large for a double (`1e309`: JSON.parse makes Infinity of
 * them, which would be stored as null). Iterative, so no input can exhaust the stack.
 *
 * `escaped` false says the JSON text had no `\u` escape: then no string in it can hold a NUL
 * (JSON forbids raw control characters) or a lone surrogate (the text was valid UTF-8), and
 * the strings need not be scanned — most of this function's time on real event batches.
 */
export const inspectJson = (value: unknown, escaped = true): BodyProblem | undefined => {
  // Two parallel stacks, and only what needs a look goes on them: no allocation per value.
  const items: unknown[] = [value]
  const depths: number[] = [0]
  const needsLook = (x: unknown): boolean =>
    (typeof x === 'object' && x !== null) || (escaped && typeof x === 'string') || x === Infinity || x === -Infinity
  while (items.length) {
    const item = items.pop()
    const depth = depths.pop() as number
    if (typeof item === 'string') {
      const problem = unstorable(item, 'strings')
      if (problem) return problem
      continue
    }
    if (typeof item === 'number') return { status: 400, reason: 'number_out_of_range', message: 'numbers must be finite doubles (at most ±1.7976931348623157e308)' }
    if (typeof item !== 'object' || item === null) continue
    if (depth >= MAX_DEPTH) return { status: 400, reason: 'too_deep', message: `nesting deeper than ${MAX_DEPTH} levels` }
    if (Array.isArray(item)) {
      for (const x of item) {
        if (needsLook(x)) {
          items.push(x)
          depths.push(depth + 1)
        }
      }
      continue
    }
    for (const key of Object.keys(item)) {
      if (FORBIDDEN_KEYS.includes(key)) return { status: 400, reason: 'forbidden_key', message: `the key "${key}" is not allowed` }
      const problem = escaped ? unstorable(key, 'keys') : undefined
      if (problem) return problem
      const x = (item as Record<string, unknown>)[key]
      if (needsLook(x)) {
        items.push(x)
        depths.push(depth + 1)
      }
    }
  }
  return undefined
}

/**
 * Reads at most `limit` bytes of a request body, counting them as they arrive: a larger body
 * (declared or not, chunked or not) stops the read at the first byte over and is never
 * buffered. Only the bytes declared by Content-Length are ever read (Node's parser keeps to it).
 */
export const readBody = async (request: Request, limit: number): Promise<Uint8Array | BodyProblem> => {
  const tooLarge: BodyProblem = { status: 413, reason: 'too_large', message: `the body is larger than ${limit} bytes` }
  const declared = Number(request.headers.get('content-length') ?? NaN)
  if (declared > limit) return tooLarge
  if (declared <= limit) {
    // Node's parser delivers exactly the declared bytes, so the body can be read whole; and
    // @hono/node-server reads it straight off the socket, without the web-stream machinery
    // (a third of the server's time per collect request). The size is checked again for
    // in-process requests (`app.request`), whose Content-Length nothing enforces.
    let whole: Uint8Array
    try {
      whole = new Uint8Array(await request.arrayBuffer())
    } catch {
      return { status: 400, reason: 'aborted', message: 'the body ended early' }
    }
    return whole.byteLength > limit ? tooLarge : whole
  }
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>
    try {
      next = await reader.read()
    } catch {
      // The client went away mid-body: nothing to store, and no one to answer.
      return { status: 400, reason: 'aborted', message: 'the body ended early' }
    }
    const { done, value } = next
    if (done) break
    size += value.byteLength
    if (size > limit) {
      // Stop pulling: the adapter then discards (never buffers) whatever the client still sends.
      reader.cancel().catch(() => undefined)
      return tooLarge
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks, size)
}

// Fatal: invalid UTF-8 is refused rather than replaced (inspectJson relies on it). Stateless
// between whole-buffer calls, so one decoder serves every request.
const UTF8 = new TextDecoder('utf-8', { fatal: true })

const JSON_TYPES = /^(text\/plain|application\/json)\s*(;|$)/i

/**
 * The body as checked JSON: size limit while streaming, then JSON.parse, then
 * {@link inspectJson}. Content types: `text/plain` (what `sendBeacon` and CORS-simple
 * requests send), `application/json`, or none.
 */
export const readJson = async (request: Request, limit: number): Promise<{ json: unknown; bytes: number } | BodyProblem> => {
  const type = request.headers.get('content-type')
  if (type && !JSON_TYPES.test(type.trim())) {
    return { status: 415, reason: 'unsupported_media_type', message: 'send JSON as text/plain or application/json' }
  }
  const body = await readBody(request, limit)
  if (!(body instanceof Uint8Array)) return body
  if (body.byteLength === 0) return { status: 400, reason: 'empty_body', message: 'the body is empty' }
  let text: string
  let json: unknown
  try {
    text = UTF8.decode(body)
    json = JSON.parse(text)
  } catch (error) {
    return { status: 400, reason: 'invalid_json', message: error instanceof Error ? error.message.slice(0, 200) : 'invalid JSON' }
  }
  return inspectJson(json, text.includes('\\u')) ?? { json, bytes: body.byteLength }
}
