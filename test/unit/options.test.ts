import { describe, expect, it } from 'vitest'
import { createAttune } from '../../src/index'
import { checkEndpoint, resolveOptions } from '../../src/options'

const rejects: Array<[string, unknown, RegExp]> = [
  ['no options at all', undefined, /createAttune\(options\) must be an object, as in createAttune\(\{ site: 'shop-1' \}\); got undefined/],
  ['options that are not an object', 'shop-1', /createAttune\(options\) must be an object/],
  ['a missing site', {}, /option "site" must be your site id: 1–64 letters, digits, - or _, e\.g\. 'shop-1'; got undefined/],
  ['an empty site', { site: '' }, /option "site"/],
  ['a site with spaces', { site: 'my shop' }, /option "site".*got "my shop"/],
  ['a site longer than 64 characters', { site: 'a'.repeat(65) }, /option "site"/],
  ['a misspelt option', { site: 's', stroage: 'memory' }, /unknown option "stroage"; the known ones are site, consent, now, storage, debug, profile\./],
  ['an unknown option', { site: 's', colour: 1 }, /unknown option "colour"; the known ones are site/],
  ['consent that is not an object', { site: 's', consent: true }, /option "consent" must be an object like/],
  ['an unknown purpose in consent.default', { site: 's', consent: { default: ['ads'] } }, /option "consent\.default" must be an array of purposes: personalization, measurement, sync; got \["ads"\]/],
  ['consent.default that is a string', { site: 's', consent: { default: 'personalization' } }, /consent\.default/],
  ['a non-boolean respectGpc', { site: 's', consent: { respectGpc: 'no' } }, /option "consent\.respectGpc" must be true or false/],
  ['an unknown consent option', { site: 's', consent: { defualt: [] } }, /unknown option "consent\.defualt"; the known ones are default, respectGpc\./],
  ['a now that is not a function', { site: 's', now: 5 }, /option "now" must be a function/],
  ['an unknown storage', { site: 's', storage: 'localStorage' }, /option "storage" must be 'indexeddb' or 'memory'/],
  ['a non-boolean debug', { site: 's', debug: 'yes' }, /option "debug" must be true or false/],
  ['profile that is not an object', { site: 's', profile: [] }, /option "profile" must be an object like \{ halfLifeDays: 14 \}/],
  ['an unknown profile option', { site: 's', profile: { halfLife: 3 } }, /unknown option "profile\.halfLife"; the known ones are halfLifeDays, dimensions, weights\./],
  ['a zero half-life', { site: 's', profile: { halfLifeDays: 0 } }, /option "profile" must be like \{ halfLifeDays: 14, .*\(days above 0, prop names, numbers\); got \{"halfLifeDays":0\}/],
  ['dimensions that are not strings', { site: 's', profile: { dimensions: ['category', 3] } }, /option "profile" must be like .*dimensions: \['category'\].*; got \{"dimensions":\["category",3\]\}/],
  ['weights that are not numbers', { site: 's', profile: { weights: { product_viewed: 'high' } } }, /option "profile" must be like .*weights: \{ product_viewed: 1 \}.*; got \{"weights"/],
]

describe('createAttune(options) rejects bad options with a TypeError that says what to write', () => {
  it.each(rejects)('%s', (_name, input, message) => {
    expect(() => createAttune(input as never)).toThrow(TypeError)
    expect(() => createAttune(input as never)).toThrow(message)
  })
})

const accepts: Array<[string, unknown, Partial<ReturnType<typeof resolveOptions>>]> = [
  ['consent defaults and GPC off', { site: 's', consent: { default: ['personalization'], respectGpc: false } }, { consentDefault: ['personalization'], respectGpc: false }],
  ['memory storage and debug', { site: 'S_1', storage: 'memory', debug: true }, { storage: 'memory', debug: true }],
  ['profile learning settings', { site: 's', profile: { halfLifeDays: 7, dimensions: ['category'], weights: { product_viewed: 2 } } }, { profile: { halfLifeMs: 7 * 864e5, dimensions: ['category'], weights: { product_viewed: 2 } } }],
]

describe('createAttune(options) accepts good options and fills in defaults', () => {
  it.each(accepts)('%s', (_name, input, expected) => {
    expect(resolveOptions(input)).toMatchObject(expected)
    expect(() => createAttune(input as never).destroy()).not.toThrow()
  })
})

const endpoints: Array<[string, unknown, string | RegExp]> = [
  ['an https endpoint, trailing slash dropped', 'https://p.example.com/', 'https://p.example.com'],
  ['an https endpoint with a path', 'https://example.com/attune/', 'https://example.com/attune'],
  ['http on localhost', 'http://localhost:8787', 'http://localhost:8787'],
  ['http on 127.0.0.1', 'http://127.0.0.1:8787', 'http://127.0.0.1:8787'],
  ['http on [::1]', 'http://[::1]:8787', 'http://[::1]:8787'],
  ['plain http elsewhere', 'http://p.example.com', /option "endpoint" must be the https URL of your attune server \(http: only on localhost; no credentials, query or fragment\), e\.g\. 'https:\/\/p\.example\.com'; got "http:\/\/p\.example\.com"/],
  ['a relative URL', '/collect', /option "endpoint".*got "\/collect"/],
  ['credentials', 'https://u:p@p.example.com', /option "endpoint".*got "https:\/\/u:p@/],
  ['a query', 'https://p.example.com/?k=1', /option "endpoint".*got "https:\/\/p\.example\.com\/\?k=1"/],
  ['javascript:', 'javascript:alert(1)', /option "endpoint"/],
  ['not a string', 42, /option "endpoint".*got 42/],
]

describe('checkEndpoint (the endpoint of attune/sync and the script tag)', () => {
  it.each(endpoints)('%s', (_name, input, expected) => {
    if (typeof expected === 'string') expect(checkEndpoint(input)).toBe(expected)
    else expect(() => checkEndpoint(input)).toThrow(expected)
  })
})
