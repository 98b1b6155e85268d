/**
 * True for a relative or http(s) URL; `javascript:`, `data:`, `blob:` and every other scheme are
 * refused. Its own module, so that the paint snippet shares it without the allow-lists of nodes.ts.
 */
export const safeUrl = (value: string, base: string): boolean => {
  try {
    return /^https?:$/.test(new URL(value, base).protocol)
  } catch {
    return false
  }
}
