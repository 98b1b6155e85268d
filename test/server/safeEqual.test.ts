/**
 * safeEqual compares fixed-length digests, so its time says nothing about the lengths of the
 * strings either (the admin key has no fixed length): the constant-time comparison runs on two
 * 32-byte values whatever it is given, never an early return on a length mismatch.
 */
import type * as Crypto from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'

const compared = vi.hoisted(() => [] as [number, number][])
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof Crypto>()
  return {
    ...crypto,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.push([a.byteLength, b.byteLength])
      return crypto.timingSafeEqual(a, b)
    },
  }
})

const { safeEqual } = await import('../../server/src/lib/safeEqual')

describe('safeEqual', () => {
  it.each([
    ['admin-key-0123456789', 'admin-key-0123456789', true],
    ['admin-key-0123456789', 'admin-key-0123456788', false],
    ['admin-key-0123456789', 'a', false],
    ['a', 'admin-key-0123456789-and-much-longer', false],
    ['', 'admin-key', false],
    ['', '', true],
  ])('%j vs %j → %s, compared in constant time as two 32-byte digests', (a, b, equal) => {
    compared.length = 0
    expect(safeEqual(a, b)).toBe(equal)
    expect(compared).toEqual([[32, 32]])
  })
})
