import { timingSafeEqual } from 'node:crypto'

/**
 * Constant-time equality of two strings (byte-wise, UTF-8). Unequal lengths return false at once,
 * which only tells the length, and every secret compared here has a public, fixed length.
 */
export const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}
