import { describe, expect, it } from 'vitest'
import {
  addToOutbox,
  emptyOutbox,
  isOutbox,
  MAX_BATCH_BYTES,
  MAX_BATCH_EVENTS,
  MAX_OUTBOX_AGE_MS,
  MAX_OUTBOX_EVENTS,
  nextBatch,
  settleOutbox,
} from '../../../src/sync/outbox'
import type { TrackedEvent } from '../../../src/track'

const event = (i: number, ts = 1_000_000, props: Record<string, unknown> = {}): TrackedEvent => ({ id: `e${String(i).padStart(5, '0')}`, name: 'tick', props, ts })
const many = (n: number, ts?: number) => Array.from({ length: n }, (_, i) => event(i, ts))

describe('addToOutbox', () => {
  it('appends in order and never holds the same id twice', () => {
    const once = addToOutbox(emptyOutbox(), [event(1), event(2)], 1_000_000)
    const twice = addToOutbox(once, [event(2), event(3)], 1_000_000)
    expect(twice.events.map((e) => e.id)).toEqual(['e00001', 'e00002', 'e00003'])
  })

  it(`keeps at most ${MAX_OUTBOX_EVENTS} events, dropping and counting the oldest`, () => {
    const box = addToOutbox(emptyOutbox(), many(MAX_OUTBOX_EVENTS + 25), 1_000_000)
    expect(box.events).toHaveLength(MAX_OUTBOX_EVENTS)
    expect(box.events[0]!.id).toBe('e00025')
    expect(box.dropped).toEqual({ overflow: 25 })
  })

  it('keeps at most 2 MB, dropping and counting the oldest', () => {
    const big = Array.from({ length: 100 }, (_, i) => event(i, 1_000_000, { blob: 'x'.repeat(30_000) }))
    const box = addToOutbox(emptyOutbox(), big, 1_000_000)
    expect(box.events.length).toBe(69)
    expect(box.events.at(-1)!.id).toBe('e00099')
    expect(box.dropped.overflow).toBe(31)
  })

  it('drops and counts events older than 7 days', () => {
    const now = 10 * 864e5
    const box = addToOutbox(emptyOutbox(), [event(1, now - MAX_OUTBOX_AGE_MS - 1), event(2, now - MAX_OUTBOX_AGE_MS)], now)
    expect(box.events.map((e) => e.id)).toEqual(['e00002'])
    expect(box.dropped).toEqual({ expired: 1 })
  })

  it('does not change its input', () => {
    const box = addToOutbox(emptyOutbox(), [event(1)], 1_000_000)
    const copy = structuredClone(box)
    addToOutbox(box, many(MAX_OUTBOX_EVENTS + 1), 1_000_000)
    expect(box).toEqual(copy)
  })
})

describe('nextBatch', () => {
  it(`takes at most ${MAX_BATCH_EVENTS} events`, () => {
    expect(nextBatch(many(800))).toHaveLength(MAX_BATCH_EVENTS)
  })

  it.each([
    ['ASCII', 'x'],
    ['accented text, two bytes a character', 'é'],
    ['emoji, four bytes a character', '🏃'],
  ])('stays within the keepalive limit in UTF-8 bytes, with %s', (_n, char) => {
    const events = Array.from({ length: 20 }, (_, i) => event(i, 1, { blob: char.repeat(9_000) }))
    const batch = nextBatch(events)
    const bytes = new TextEncoder().encode(JSON.stringify({ site: 'shop-1', visitor: 'x'.repeat(36), token: 'x'.repeat(60), events: batch })).length
    expect(bytes).toBeLessThan(65_536)
    expect(new TextEncoder().encode(JSON.stringify(batch)).length).toBeLessThanOrEqual(MAX_BATCH_BYTES)
    expect(batch.length).toBeGreaterThan(0)
  })

  it('takes a single event even when it alone is larger, so nothing blocks the queue', () => {
    expect(nextBatch([event(1, 1, { blob: 'x'.repeat(70_000) }), event(2)])).toHaveLength(1)
  })

  it('takes the oldest first', () => {
    expect(nextBatch(many(3)).map((e) => e.id)).toEqual(['e00000', 'e00001', 'e00002'])
  })
})

describe('settleOutbox', () => {
  it('removes acknowledged events and the drop counts that went with them', () => {
    const box = { events: many(3), dropped: { overflow: 5, expired: 1 } }
    expect(settleOutbox(box, ['e00000', 'e00002'], { overflow: 5 })).toEqual({ events: [event(1)], dropped: { expired: 1 } })
  })

  it('keeps counts that grew while the batch was in flight', () => {
    const box = { events: many(1), dropped: { overflow: 7 } }
    expect(settleOutbox(box, ['e00000'], { overflow: 5 }).dropped).toEqual({ overflow: 2 })
  })

  it('counts a batch refused for good under its reason', () => {
    const box = { events: many(3), dropped: {} }
    expect(settleOutbox(box, ['e00000', 'e00001'], {}, 'status_400')).toEqual({ events: [event(2)], dropped: { status_400: 2 } })
  })
})

describe('isOutbox', () => {
  const cyclic: Record<string, unknown> = { events: [], dropped: {} }
  cyclic.self = cyclic

  it.each([
    ['an empty outbox', emptyOutbox()],
    ['events and drop counts', addToOutbox({ events: many(3), dropped: { overflow: 2 } }, [event(9)], 1_000_000)],
  ])('takes what attune writes: %s', (_n, box) => {
    expect(isOutbox(box)).toBe(true)
  })

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a string', 'x'],
    ['a number', 5],
    ['an array', many(1)],
    ['an object without events', { dropped: {} }],
    ['events that are not an array', { events: 'x', dropped: {} }],
    ['events that list null', { events: [null], dropped: {} }],
    ['events that list a string', { events: ['x'], dropped: {} }],
    ['an event without an id', { events: [{ name: 'tick', props: {}, ts: 1 }], dropped: {} }],
    ['an event without a name', { events: [{ id: 'e1', props: {}, ts: 1 }], dropped: {} }],
    ['an event whose props are null', { events: [{ ...event(1), props: null }], dropped: {} }],
    ['an event whose time is a string', { events: [{ ...event(1), ts: '1' }], dropped: {} }],
    ['no drop counts', { events: [] }],
    ['drop counts that are an array', { events: [], dropped: [1] }],
    ['a drop count that is not a whole number', { events: [], dropped: { overflow: 1.5 } }],
    ['a BigInt, which JSON cannot hold', { events: [event(1, 1, { n: 1n })], dropped: {} }],
    ['a cycle', cyclic],
  ])('refuses %s', (_n, value) => {
    expect(isOutbox(value)).toBe(false)
  })
})
