import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/**
 * Constant-time equality of two strings (UTF-8). Compares their SHA-256 digests, which always
 * have the same length, so the time says nothing about either string's length either (the admin
 * key has none fixed). Equal digests mean equal strings: SHA-256 has no known collisions.
 */
export const safeEqual = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b))
