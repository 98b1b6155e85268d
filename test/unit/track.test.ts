import { afterEach, describe, expect, it } from 'vitest'
import { createAttune, type Attune, type AttuneError, type TrackedEvent } from '../../src/index'
import { cleanProps, MAX_NAME, MAX_PROPS_BYTES } from '../../src/track'

const cycle: Record<string, unknown> = { a: 1 }
cycle.self = cycle

const dropped: Array<[string, unknown, RegExp]> = [
  ['an array', [1, 2], /plain object/],
  ['a string', 'x', /plain object/],
  ['null', null, /plain object/],
  ['a cycle', cycle, /not JSON-serialisable/],
  ['a function value', { f: () => 1 }, /"f" is not JSON \(function\)/],
  ['a symbol value', { s: Symbol('x') }, /"s" is not JSON \(symbol\)/],
  ['a BigInt', { n: BigInt(1) }, /not JSON-serialisable/],
  ['NaN', { n: Number.NaN }, /"n" is not JSON \(NaN\)/],
  ['Infinity deep inside', { a: [{ b: Infinity }] }, /"b" is not JSON \(Infinity\)/],
  ['a __proto__ key', JSON.parse('{"__proto__":{"x":1}}'), /"__proto__" is not allowed/],
  ['a constructor key', { nested: { constructor: 1 } }, /"constructor" is not allowed/],
  ['props over the byte limit', { big: 'x'.repeat(MAX_PROPS_BYTES) }, /over the 32768-byte limit/],
  ['multi-byte text over the byte limit', { big: 'é'.repeat(MAX_PROPS_BYTES / 2) }, /over the 32768-byte limit/],
]

describe('cleanProps drops the whole event, with a reason, for', () => {
  it.each(dropped)('%s', (_name, props, reason) => {
    expect(cleanProps(props)).toMatch(reason)
  })
})

describe('cleanProps accepts', () => {
  it('no props as an empty object', () => expect(cleanProps(undefined)).toEqual({}))
  it('nested JSON, returning a deep copy', () => {
    const props = { sku: 'a', price: 12.5, tags: ['x'], nested: { ok: true, none: null } }
    const copy = cleanProps(props)
    expect(copy).toEqual(props)
    expect(copy).not.toBe(props)
    expect((copy as typeof props).nested).not.toBe(props.nested)
  })
  it('dates, as their JSON text', () => expect(cleanProps({ at: new Date(0) })).toEqual({ at: '1970-01-01T00:00:00.000Z' }))
  it('undefined values, by leaving them out as JSON does', () => expect(cleanProps({ a: undefined, b: 1 })).toEqual({ b: 1 }))
})

describe('track()', () => {
  let a: Attune
  const seen: TrackedEvent[] = []
  const errors: AttuneError[] = []
  const setup = () => {
    seen.length = errors.length = 0
    a = createAttune({ site: 'shop-1', storage: 'memory', now: () => 42 })
    a.consent.grant()
    a.on('track', (e) => seen.push(e))
    a.on('error', (e) => errors.push(e))
  }
  afterEach(() => a.destroy())

  it('stamps each event with a UUIDv7 and the time of the call', () => {
    setup()
    a.track('product_viewed', { sku: 'sku-1' })
    const uuid = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(seen).toEqual([{ id: uuid, name: 'product_viewed', props: { sku: 'sku-1' }, ts: 42 }])
  })

  it('keeps the props as they were at the call, whatever the page does later', () => {
    setup()
    const props = { qty: 1 }
    a.track('product_added', props)
    props.qty = 99
    expect(seen.find((e) => e.name === 'product_added')!.props).toEqual({ qty: 1 })
  })

  it.each([
    ['a number as name', 5],
    ['an empty name', ''],
    ['a name over the limit', 'x'.repeat(MAX_NAME + 1)],
  ])('reports and drops %s, without throwing', (_n, name) => {
    setup()
    expect(() => a.track(name as string)).not.toThrow()
    expect(seen).toEqual([])
    expect(errors[0]).toMatchObject({ code: 'bad_event', message: expect.stringMatching(/event name must be a string of 1–200 characters/) })
  })

  it('reports and drops bad props, naming the event', () => {
    setup()
    a.track('product_viewed', cycle)
    expect(seen).toEqual([])
    expect(errors[0]?.message).toMatch(/Dropped "product_viewed" \(1 dropped on this page\): props are not JSON-serialisable/)
  })

  it('counts what it drops', () => {
    setup()
    a.track('')
    a.track('ok', { big: 'x'.repeat(40_000) })
    a.track('fine')
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/\(1 dropped on this page\)/), expect.stringMatching(/\(2 dropped on this page\)/)])
    expect(seen.map((e) => e.name)).toEqual(['fine'])
  })

  it('page() records page_viewed with the path and title, plus props', () => {
    setup()
    document.title = 'Trail shoes'
    a.page({ section: 'running' })
    expect(seen[0]).toEqual(expect.objectContaining({ name: 'page_viewed', props: { path: location.pathname, title: 'Trail shoes', section: 'running' } }))
  })
})
