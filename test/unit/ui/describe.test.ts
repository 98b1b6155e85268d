import { describe, expect, it } from 'vitest'
import { affinityParts, ago, counterText, learnedFrom, sentence, valueText, words } from '../../../src/ui/describe'

describe('attune/ui wording', () => {
  it.each([
    ['shoe_size', 'shoe size'],
    ['newsletter-signup', 'newsletter signup'],
    ['_', '_'],
  ])('words(%j) is %j', (key, expected) => expect(words(key)).toBe(expected))

  it.each([
    ['This is our standard content', 'This is our standard content.'],
    ['Already ends.', 'Already ends.'],
    ['Really?', 'Really?'],
  ])('sentence(%j) ends with one full stop', (text, expected) => expect(sentence(text)).toBe(expected))

  it.each([
    [null, 'you preferred not to say'],
    ['42', '42'],
    [42, '42'],
    [true, 'true'],
    [['trail', 'road'], 'trail, road'],
    [{ size: 42 }, '{"size":42}'],
  ])('valueText(%j) is %j', (value, expected) => expect(valueText(value)).toBe(expected))

  it.each([
    ['category:running', { name: 'running', kind: 'category' }],
    ['brand:north_peak', { name: 'north_peak', kind: 'brand' }],
    ['color:a:b', { name: 'a:b', kind: 'color' }],
    ['plain', { name: 'plain', kind: '' }],
  ])('affinityParts(%j)', (key, expected) => expect(affinityParts(key)).toEqual(expected))

  it.each([
    [4.2, { product_views: 6 }, 'from about 4 products you viewed recently'],
    [0.3, { product_views: 1 }, 'from about 1 product you viewed recently'],
    [5, {}, 'from about 5 products you viewed recently'],
    [9, { product_views: 3, carts: 1 }, 'from products you viewed and added to your cart recently'],
    [9, { product_views: 3, carts: 1, orders: 1 }, 'from products you viewed, added to your cart and bought recently'],
    [5, { orders: 1 }, 'from about 5 products you bought recently'],
  ])('learnedFrom(%j, %j) is %j', (score, counters, expected) => expect(learnedFrom(score, counters)).toBe(expected))

  it.each([
    ['visits', 1, '1 visit'],
    ['page_views', 12, '12 pages viewed'],
    ['product_views', 1, '1 product viewed'],
    ['carts', 2, '2 products added to your cart'],
    ['orders', 0, '0 orders'],
    ['event:newsletter_signup', 2, '“newsletter signup”: 2 times'],
    ['constructor', 1, '“constructor”: 1 time'],
  ])('counterText(%j, %j) is %j', (key, n, expected) => expect(counterText(key, n)).toBe(expected))

  it.each([
    [0, 'just now'],
    [59_000, 'just now'],
    [60_000, '1 minute ago'],
    [5 * 60_000, '5 minutes ago'],
    [3_600_000, '1 hour ago'],
    [3 * 86_400_000 + 5, '3 days ago'],
    [-5_000, 'just now'],
  ])('ago(%j ms before)', (before, expected) => expect(ago(1e12 - before, 1e12)).toBe(expected))
})
