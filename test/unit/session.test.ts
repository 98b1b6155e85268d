import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { autoTrack } from '../../src/auto'
import { createAttune, type Attune, type TrackedEvent } from '../../src/index'
import { SESSION_TIMEOUT_MS } from '../../src/session'
import { freshIndexedDb } from './fresh'

let t = 1_000_000
let instances: Attune[] = []
const stops: Array<() => void> = []
const make = () => {
  const a = createAttune({ site: 'shop-1', now: () => t })
  instances.push(a)
  stops.push(autoTrack(a))
  const seen: TrackedEvent[] = []
  a.on('track', (e) => {
    if (e.name !== 'page_viewed' && e.name !== 'product_viewed') seen.push(e)
  })
  a.consent.grant()
  return { a, seen }
}

beforeEach(() => {
  freshIndexedDb()
  t = 1_000_000
  history.replaceState(null, '', '/landing?utm_source=news&utm_medium=email&utm_campaign=spring&gclid=SECRET')
})
afterEach(async () => {
  for (const stop of stops.splice(0)) stop()
  await Promise.all(instances.map((a) => a.destroy()))
  instances = []
  localStorage.clear()
})

describe('sessions (attune/auto)', () => {
  it('start with the first event, once, carrying UTM parameters and the landing path but never the click id', () => {
    const { a, seen } = make()
    a.track('one')
    a.track('two')
    expect(seen.map((e) => e.name)).toEqual(['session_started', 'one', 'two'])
    expect(seen[0]!.props).toEqual({ utm_source: 'news', utm_medium: 'email', utm_campaign: 'spring', click_id_type: 'gclid', landing_path: '/landing' })
    expect(JSON.stringify(seen)).not.toContain('SECRET')
    expect(new Set(seen.map((e) => e.session)).size).toBe(1)
  })

  it(`end after ${SESSION_TIMEOUT_MS / 60000} minutes without events`, () => {
    const { a, seen } = make()
    a.track('one')
    t += SESSION_TIMEOUT_MS
    a.track('still the same visit')
    t += SESSION_TIMEOUT_MS + 1
    a.track('a new visit')
    expect(seen.map((e) => e.name)).toEqual(['session_started', 'one', 'still the same visit', 'session_started', 'a new visit'])
    expect(seen[4]!.session).not.toBe(seen[1]!.session)
  })

  it('are shared by the tabs of one visit', () => {
    const first = make()
    first.a.track('in tab one')
    const second = make()
    second.a.track('in tab two')
    expect(second.seen.map((e) => e.name)).toEqual(['in tab two'])
    expect(second.seen[0]!.session).toBe(first.seen[0]!.session)
  })

  it('count as visits in the profile', () => {
    const { a } = make()
    a.track('one')
    t += SESSION_TIMEOUT_MS + 1
    a.track('two')
    expect(a.profile.get().counters.visits).toBe(2)
  })

  it('are forgotten with consent', () => {
    const { a } = make()
    a.track('one')
    expect(localStorage.getItem('attune:session:shop-1')).not.toBeNull()
    a.consent.withdraw()
    expect(localStorage.length).toBe(0)
  })

  it('are forgotten when consent was taken back before automatic tracking started (the tag starts it with its page chunk)', () => {
    localStorage.setItem('attune:session:shop-1', JSON.stringify({ id: 'old-session', last: t }))
    const a = createAttune({ site: 'shop-1', now: () => t })
    instances.push(a)
    stops.push(autoTrack(a))
    expect(localStorage.getItem('attune:session:shop-1')).toBeNull()
  })
})
