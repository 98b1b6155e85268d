import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Campaign } from '../../../src/page/utm'
import { campaignFrom } from '../../../src/page/utm'

const SHOP = 'https://shop.example'

describe('campaignFrom', () => {
  const cases: Array<[string, string, string, Campaign]> = [
    [
      'reads all five utm parameters and the landing path',
      `${SHOP}/p/trail?utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_term=running+shoes&utm_content=hero-button&color=red#reviews`,
      '',
      { utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'spring', utm_term: 'running shoes', utm_content: 'hero-button', landing_path: '/p/trail' },
    ],
    ['decodes percent-escapes', `${SHOP}/?utm_campaign=spring%20sale%21`, '', { utm_campaign: 'spring sale!', landing_path: '/' }],
    ['survives a broken percent-escape', `${SHOP}/?utm_source=%E0%A4%A`, '', { utm_source: '\uFFFD%A', landing_path: '/' }],
    ['trims values and drops empty ones', `${SHOP}/?utm_source=%20ads%20&utm_medium=&utm_campaign=%20%20`, '', { utm_source: 'ads', landing_path: '/' }],
    ['keeps the first of repeated parameters', `${SHOP}/?utm_source=a&utm_source=b`, '', { utm_source: 'a', landing_path: '/' }],
    ['cuts values to 200 characters', `${SHOP}/?utm_term=${'t'.repeat(300)}`, '', { utm_term: 't'.repeat(200), landing_path: '/' }],
    ['ignores other spellings of the parameters', `${SHOP}/?UTM_SOURCE=x&utm-source=y&source=z`, '', { landing_path: '/' }],
    ['maps gclid to its kind only', `${SHOP}/?gclid=Cj0KCQiA-secret`, '', { click_id_type: 'gclid', landing_path: '/' }],
    ['maps fbclid to its kind only', `${SHOP}/?fbclid=IwAR-secret`, '', { click_id_type: 'fbclid', landing_path: '/' }],
    ['maps msclkid to its kind only', `${SHOP}/?msclkid=abc-secret`, '', { click_id_type: 'msclkid', landing_path: '/' }],
    ['prefers gclid when several click ids are present', `${SHOP}/?msclkid=m&fbclid=f&gclid=g`, '', { click_id_type: 'gclid', landing_path: '/' }],
    ['ignores an empty click id', `${SHOP}/?gclid=&fbclid=f`, '', { click_id_type: 'fbclid', landing_path: '/' }],
    [
      'keeps only the host of another referrer',
      `${SHOP}/`,
      'https://www.google.com/search?q=jane.doe%40mail.example+order+4711#frag',
      { referrer_host: 'www.google.com', landing_path: '/' },
    ],
    ['never keeps credentials or a port of the referrer', `${SHOP}/`, 'https://user:pass@mail.example:8443/inbox', { referrer_host: 'mail.example', landing_path: '/' }],
    ['drops a referrer on the same host', `${SHOP}/p/1`, `${SHOP}/c/shoes?page=2`, { landing_path: '/p/1' }],
    ['drops a referrer on the same host and another port', `${SHOP}/`, `${SHOP}:8080/`, { landing_path: '/' }],
    ['keeps a referrer on a sibling host', `${SHOP}/`, 'https://blog.shop.example/post', { referrer_host: 'blog.shop.example', landing_path: '/' }],
    ['reads an app referrer', `${SHOP}/`, 'android-app://com.google.android.gm/', { referrer_host: 'com.google.android.gm', landing_path: '/' }],
    ['drops an empty referrer', `${SHOP}/`, '', { landing_path: '/' }],
    ['drops a referrer without a host', `${SHOP}/`, 'about:blank', { landing_path: '/' }],
    ['drops a malformed referrer', `${SHOP}/`, 'not a url', { landing_path: '/' }],
    ['reads nothing from a malformed URL', 'not a url?utm_source=x', 'https://ref.example/', { referrer_host: 'ref.example' }],
    ['reads nothing from a relative URL', '/p/1?utm_source=x', '', {}],
    ['reads nothing from empty strings', '', '', {}],
    ['keeps the path percent-encoded', `${SHOP}/p/caf%C3%A9?x=1`, '', { landing_path: '/p/caf%C3%A9' }],
    ['cuts the path to 200 characters', `${SHOP}/${'p'.repeat(300)}`, '', { landing_path: '/' + 'p'.repeat(199) }],
  ]
  it.each(cases)('%s', (_name, url, referrer, expected) => {
    expect(campaignFrom(url, referrer)).toStrictEqual(expected)
  })

  it('never keeps the value of a click id', () => {
    fc.assert(
      fc.property(fc.constantFrom('gclid', 'fbclid', 'msclkid'), fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/), (param, id) => {
        const campaign = campaignFrom(`${SHOP}/p/1?${param}=${id}&utm_source=ads`, '')
        expect(campaign.click_id_type).toBe(param)
        expect(JSON.stringify(campaign)).not.toContain(id)
      }),
    )
  })

  it('never throws, and returns only text fields', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl({ withQueryParameters: true, withFragments: true })), fc.oneof(fc.string(), fc.webUrl()), (url, referrer) => {
        const campaign = campaignFrom(url, referrer)
        for (const value of Object.values(campaign)) expect(typeof value).toBe('string')
      }),
    )
  })
})
