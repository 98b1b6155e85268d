import type { JsonValue } from '../profile/model'

/** Keys that mean something to JavaScript's object model; the server rejects them too. */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype']

/**
 * A deep JSON copy of `value` and its text, or the reason it has none: a cycle, a BigInt, a function, a
 * symbol, NaN or ±Infinity anywhere, or a {@link FORBIDDEN_KEYS} key at any depth. The one
 * check for everything attune stores or sends that came from someone else.
 */
export const toJson = (value: unknown): { json: JsonValue; text: string } | string => {
  try {
    const text = JSON.stringify(value, (key, item: unknown) => {
      if (FORBIDDEN_KEYS.includes(key)) throw new TypeError(`the key "${key}" is not allowed`)
      const type = typeof item
      if (type === 'function' || type === 'symbol' || (type === 'number' && !Number.isFinite(item))) {
        throw new TypeError(`"${key}" is not JSON (${type === 'number' ? String(item) : type})`)
      }
      return item
    })
    return text === undefined ? 'it is not JSON' : { json: JSON.parse(text) as JsonValue, text }
  } catch (error) {
    // Cycles, BigInt, absurd depth and the checks above all land here.
    return `it is not JSON-serialisable: ${(error as Error).message}`
  }
}
