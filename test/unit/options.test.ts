import { describe, expect, it } from 'vitest'
import { createAttune } from '../../src/index'
import { resolveOptions } from '../../src/options'

const rejects: Array<[string, unknown, RegExp]> = [
  ['no options at all', undefined, /needs an options object, e.g. createAttune\(\{ site: 'shop-1' \}\)/],
  ['options that are not an object', 'shop-1', /needs an options object/],
  ['a missing site', {}, /option "site" must be your site id .* e\.g\. site: 'shop-1'; got undefined/],
  ['an empty site', { site: '' }, /option "site"/],
  ['a site with spaces', { site: 'my shop' }, /option "site".*got "my shop"/],
  ['a site longer than 64 characters', { site: 'a'.repeat(65) }, /option "site"/],
  ['a misspelt option, with a suggestion', { site: 's', endpiont: 'https://x.test' }, /unknown option "endpiont"\. Did you mean "endpoint"\?/],
  ['an unknown option, listing the known ones', { site: 's', colour: 1 }, /unknown option "colour"\. Known: site, endpoint/],
  ['a plain-http endpoint', { site: 's', endpoint: 'http://p.example.com' }, /option "endpoint" must be the https URL .*\(http: only for localhost\)/],
  ['a relative endpoint', { site: 's', endpoint: '/collect' }, /not an absolute URL/],
  ['an endpoint with credentials', { site: 's', endpoint: 'https://u:p@p.example.com' }, /no credentials, query or fragment/],
  ['an endpoint with a query', { site: 's', endpoint: 'https://p.example.com/?k=1' }, /no credentials, query or fragment/],
  ['a javascript: endpoint', { site: 's', endpoint: 'javascript:alert(1)' }, /option "endpoint"/],
  ['an endpoint that is not a string', { site: 's', endpoint: 42 }, /option "endpoint".*got 42/],
  ['consent that is not an object', { site: 's', consent: true }, /option "consent" must be an object/],
  ['an unknown purpose in consent.default', { site: 's', consent: { default: ['ads'] } }, /option "consent\.default" must be an array of purposes \(personalization, measurement, sync\)/],
  ['consent.default that is a string', { site: 's', consent: { default: 'personalization' } }, /consent\.default/],
  ['a non-boolean respectGpc', { site: 's', consent: { respectGpc: 'no' } }, /option "consent\.respectGpc" must be true or false/],
  ['an unknown consent option', { site: 's', consent: { defualt: [] } }, /unknown consent option "defualt"\. Did you mean "default"\?/],
  ['a fetch that is not a function', { site: 's', fetch: 'fetch' }, /option "fetch" must be a function, e\.g\. fetch: window\.fetch/],
  ['a now that is not a function', { site: 's', now: 5 }, /option "now" must be a function/],
  ['an unknown storage', { site: 's', storage: 'localStorage' }, /option "storage" must be 'indexeddb' or 'memory'/],
  ['a non-boolean debug', { site: 's', debug: 'yes' }, /option "debug" must be true or false/],
]

describe('createAttune(options) rejects bad options with a TypeError that says what to write', () => {
  it.each(rejects)('%s', (_name, input, message) => {
    expect(() => createAttune(input as never)).toThrow(TypeError)
    expect(() => createAttune(input as never)).toThrow(message)
  })
})

const accepts: Array<[string, unknown, Partial<ReturnType<typeof resolveOptions>>]> = [
  ['just a site, with defaults', { site: 'shop-1' }, { site: 'shop-1', endpoint: undefined, storage: 'indexeddb', debug: false, respectGpc: true, consentDefault: [] }],
  ['an https endpoint, trailing slash dropped', { site: 's', endpoint: 'https://p.example.com/' }, { endpoint: 'https://p.example.com' }],
  ['an https endpoint with a path', { site: 's', endpoint: 'https://example.com/attune/' }, { endpoint: 'https://example.com/attune' }],
  ['http on localhost', { site: 's', endpoint: 'http://localhost:8787' }, { endpoint: 'http://localhost:8787' }],
  ['http on 127.0.0.1', { site: 's', endpoint: 'http://127.0.0.1:8787' }, { endpoint: 'http://127.0.0.1:8787' }],
  ['http on [::1]', { site: 's', endpoint: 'http://[::1]:8787' }, { endpoint: 'http://[::1]:8787' }],
  ['consent defaults and GPC off', { site: 's', consent: { default: ['personalization'], respectGpc: false } }, { consentDefault: ['personalization'], respectGpc: false }],
  ['memory storage and debug', { site: 'S_1', storage: 'memory', debug: true }, { storage: 'memory', debug: true }],
]

describe('createAttune(options) accepts good options and fills in defaults', () => {
  it.each(accepts)('%s', (_name, input, expected) => {
    expect(resolveOptions(input)).toMatchObject(expected)
    expect(() => createAttune(input as never).destroy()).not.toThrow()
  })
})
