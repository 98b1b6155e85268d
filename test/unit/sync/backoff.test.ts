import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MAX_RETRY_MS, retryable, retryDelay } from '../../../src/lib/backoff'

describe('retryDelay', () => {
  it.each([
    ['Retry-After in seconds', 0, '7', 7_000],
    ['Retry-After of zero', 3, '0', 0],
    ['Retry-After as an HTTP date', 0, new Date(60_000).toUTCString(), 60_000],
    ['Retry-After beyond the cap', 0, '3600', MAX_RETRY_MS],
  ])('honours %s', (_n, attempt, header, expected) => {
    expect(retryDelay(attempt, header, 0, 0.5)).toBe(expected)
  })

  it.each([
    [0, 1, 1_000],
    [1, 1, 2_000],
    [4, 1, 16_000],
    [20, 1, MAX_RETRY_MS],
    [3, 0, 0],
  ])('grows exponentially with full jitter: attempt %i at random %f waits %i ms', (attempt, random, expected) => {
    expect(retryDelay(attempt, null, 0, random)).toBe(expected)
  })

  it('ignores an unreadable or past Retry-After', () => {
    expect(retryDelay(2, 'soon', 0, 1)).toBe(4_000)
    expect(retryDelay(2, new Date(0).toUTCString(), 10_000, 1)).toBe(4_000)
  })

  it('never waits less than 0 or more than the cap', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.double({ min: 0, max: 1, noNaN: true }), fc.option(fc.string()), (attempt, random, header) => {
        const delay = retryDelay(attempt, header, 0, random)
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThanOrEqual(MAX_RETRY_MS)
      }),
    )
  })
})

describe('retryable', () => {
  it.each([
    [408, true], [429, true], [500, true], [502, true], [503, true], [504, true],
    [501, false], [400, false], [401, false], [403, false], [404, false], [409, false], [413, false],
  ])('%i → %s', (status, expected) => expect(retryable(status)).toBe(expected))
})
