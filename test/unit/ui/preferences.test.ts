import { describe, expect, it, vi } from 'vitest'
import type { Attune, AttuneExport } from '../../../src/createAttune'
import { decide } from '../../../src/decide/decide'
import { internals } from '../../../src/internals'
import { emptyEntry } from '../../../src/profile/model'
import { defineAttuneElements } from '../../../src/ui/index'
import type { AttuneElementsOptions } from '../../../src/ui/index'
import { add, attune, button, errors, granted, later, settle, shadow, text, until } from './harness'

const define = (a: Attune, options?: AttuneElementsOptions): void => later(defineAttuneElements(a, options))

/** A preference center for `a`, rendered with the profile loaded. */
const center = async (a: Attune, options?: AttuneElementsOptions): Promise<ShadowRoot> => {
  define(a, options)
  const root = shadow(add('<attune-preferences></attune-preferences>'))
  await until(() => expect(text(root)).not.toContain('Loading'))
  return root
}

const section = (root: ShadowRoot, title: string): string => {
  const heading = Array.from(root.querySelectorAll('h3')).find((h) => text(h) === title)
  if (!heading) throw new Error(`no section ${title}`)
  const parts: string[] = []
  for (let el = heading.nextElementSibling; el && el.localName != 'h3'; el = el.nextElementSibling) {
    parts.push(el.localName == 'ul' ? Array.from(el.children, text).join(' / ') : text(el))
  }
  return parts.join(' | ')
}

const switchOf = (root: ShadowRoot, name: string): HTMLButtonElement => button(root, name)

/** Another device's entry merged in, as sync would. */
const mergeDevice = async (a: Attune, device: string, change: (entry: ReturnType<typeof emptyEntry>) => void): Promise<void> => {
  const entry = { ...emptyEntry(), v: 1 }
  change(entry)
  await internals.get(a)!.profile.rewrite((p) => ({ ...p, devices: { ...p.devices, [device]: entry } }))
}

describe('<attune-preferences>: what it shows', () => {
  it('is a labelled section with a status live region and one switch per purpose, described', async () => {
    const root = await center(attune())
    const section = root.querySelector('section')!
    expect(root.getElementById(section.getAttribute('aria-labelledby')!)?.textContent).toBe('Your data and choices')
    expect(root.querySelector('[role="status"]')).not.toBeNull()
    const switches = Array.from(root.querySelectorAll('[role="switch"]'))
    expect(switches.map((s) => [text(s), s.localName, s.getAttribute('aria-checked')])).toEqual([
      ['Personalization', 'button', 'false'],
      ['Measurement', 'button', 'false'],
      ['Sync', 'button', 'false'],
    ])
    for (const s of switches) expect(text(root.getElementById(s.getAttribute('aria-describedby')!))).not.toBe('')
    expect(text(root)).toContain('Personalization is off, so nothing about you is kept in this browser.')
    expect(text(root)).toContain('Sync is off: your profile stays in this browser.')
  })

  it('shows everything the profile holds, in plain language', async () => {
    let t = 1_000_000_000_000
    const a = await granted({ now: () => t })
    add('<div data-attune-ask="size" data-attune-question="Your shoe size?" data-attune-options="41,42"></div>')
    for (let i = 0; i < 4; i++) a.track('product_viewed', { product_id: `sku-${i}`, category: 'Running', brand: 'Northpeak' })
    a.track('newsletter_signup')
    a.profile.setInterest('size', '42')
    a.profile.setInterest('favourite_sport', 'trail running')
    a.profile.setInterest('colour', null)
    const inner = internals.get(a)!
    inner.profile.change((e) => ({ ...e, v: e.v + 1, experiments: { 'hero-test': { variant: 'big-hero', t } }, traits: { tier: { v: 'gold', t } } }))
    t += 5 * 60_000
    const root = await center(a)
    expect(section(root, 'What you told us')).toBe(
      'Your shoe size?: 42 Edit Your shoe size?Remove Your shoe size? / favourite sport: trail running Edit favourite sportRemove favourite sport / colour: you preferred not to say Edit colourRemove colour',
    )
    expect(section(root, 'What we learned from your visits')).toBe(
      'Worked out from the products you looked at; it fades as time passes. | running (category) — from about 4 products you viewed recently. Remove running / northpeak (brand) — from about 4 products you viewed recently. Remove northpeak',
    )
    expect(section(root, 'Your visits')).toBe('4 products viewed / “newsletter signup”: 1 time')
    expect(section(root, 'Recently viewed')).toContain('sku-3 — viewed 5 minutes ago')
    expect(section(root, 'Tests you are part of')).toContain('“hero test”: you see version “big hero”')
    expect(section(root, 'What the site noted about you')).toBe('tier: gold')
  })

  it('lists ten affinities, and all of them on request (a button with aria-expanded)', async () => {
    const a = await granted()
    for (let i = 0; i < 12; i++) a.track('product_viewed', { product_id: `sku-${i}`, category: `sport ${String.fromCharCode(97 + i)}` })
    const root = await center(a)
    const list = () => root.querySelector('[aria-labelledby="h-learned"]')!.querySelectorAll('li').length
    expect(list()).toBe(10)
    const more = button(root, 'Show all 12 interests')
    expect(more.getAttribute('aria-expanded')).toBe('false')
    more.click()
    expect(list()).toBe(12)
    expect(button(root, 'Show fewer').getAttribute('aria-expanded')).toBe('true')
  })

  it('says when it last synced: the time it was given, how many devices it merged, else never; or that sync is off', async () => {
    let t = 1e12
    const a = await granted({ now: () => t })
    a.consent.deny('sync')
    const root = await center(a)
    expect(text(root)).toContain('Sync is off: your profile stays in this browser.')
    a.consent.grant('sync')
    await until(() => expect(text(root)).toContain('Last synced: never.'))
    await mergeDevice(a, 'other-device', () => {})
    a.track('page_viewed')
    await until(() => expect(text(root)).toContain('Last synced: with one other device.'))
    t += 3 * 3_600_000
    define(a, { lastSync: () => 1e12 })
    const again = shadow(document.querySelector('attune-preferences')!)
    await until(() => expect(text(again)).toContain('Last synced: 3 hours ago'))
  })

  it('says so, in short, when storage fails or the elements are stopped', async () => {
    const a = await granted()
    const stop = defineAttuneElements(a)
    const root = shadow(add('<attune-preferences></attune-preferences>'))
    internals.get(a)!.report('storage', 'IndexedDB failed')
    await until(() => expect(text(root)).toContain('This browser is not letting the site store data'))
    stop()
    expect(text(root)).toContain('Your preferences are not available on this page right now.')
  })
})

describe('<attune-preferences>: controls', () => {
  it('switches a purpose off and on, and turning the last one off withdraws (the database is deleted)', async () => {
    const a = await granted()
    const root = await center(a)
    switchOf(root, 'Measurement').click()
    expect(a.consent.get()).toEqual({ personalization: true, measurement: false, sync: true })
    expect(switchOf(root, 'Measurement').getAttribute('aria-checked')).toBe('false')
    expect(text(root.querySelector('[role="status"]'))).toBe('Measurement is off.')
    switchOf(root, 'Measurement').click()
    expect(a.consent.get().measurement).toBe(true)
    expect(text(root.querySelector('[role="status"]'))).toBe('Measurement is on.')
    switchOf(root, 'Sync').click()
    switchOf(root, 'Measurement').click()
    expect(await indexedDB.databases()).toEqual([{ name: 'attune-shop-1', version: 1 }])
    switchOf(root, 'Personalization').click()
    expect(a.consent.get()).toEqual({ personalization: false, measurement: false, sync: false })
    expect(text(root.querySelector('[role="status"]'))).toBe('Everything is off, and what was kept in this browser was deleted.')
    await until(async () => expect(await indexedDB.databases()).toEqual([]))
    expect(localStorage.getItem('attune:consent:shop-1')).toBeNull()
  })

  it('keeps focus on the switch the shopper pressed, across re-renders', async () => {
    const a = await granted()
    const root = await center(a)
    switchOf(root, 'Sync').focus()
    switchOf(root, 'Sync').click()
    expect(root.activeElement).toBe(switchOf(root, 'Sync'))
    // A background change (an event tracked) re-renders too; focus stays put.
    a.track('product_viewed', { product_id: 'sku-1', category: 'running' })
    await until(() => expect(text(root)).toContain('running'))
    expect(root.activeElement).toBe(switchOf(root, 'Sync'))
  })

  it('says a purpose stays off under Global Privacy Control', async () => {
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true })
    later(() => delete (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl)
    const a = await granted()
    const root = await center(a)
    switchOf(root, 'Measurement').click()
    expect(a.consent.get().measurement).toBe(false)
    expect(text(root.querySelector('[role="status"]'))).toBe('Measurement stays off: your browser sends Global Privacy Control.')
  })

  it('edits an interest in a labelled field, keeping its type, and Escape cancels', async () => {
    const a = await granted()
    a.profile.setInterest('budget', 100)
    const root = await center(a)
    button(root, 'Edit').click()
    const input = root.querySelector('input')!
    expect(root.activeElement).toBe(input)
    expect(text(root.querySelector(`label[for="${input.id}"]`))).toBe('New answer for “budget”')
    input.value = '150'
    button(root, 'Save').click()
    expect(a.profile.get().interests).toEqual({ budget: 150 })
    expect(text(root.querySelector('[role="status"]'))).toBe('Saved “budget”: 150.')
    expect(root.activeElement).toBe(button(root, 'Edit'))
    button(root, 'Edit').click()
    root.querySelector('input')!.value = '999'
    root.querySelector('input')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    expect(root.querySelector('input')).toBeNull()
    expect(a.profile.get().interests).toEqual({ budget: 150 })
  })

  it('edits the answer to a question on the page with its options', async () => {
    const a = await granted()
    add('<div data-attune-ask="size" data-attune-question="Your shoe size?" data-attune-options="41,42,43"></div>')
    a.profile.setInterest('size', '42')
    const root = await center(a)
    button(root, 'Edit').click()
    const select = root.querySelector('select')!
    expect(Array.from(select.options).map((o) => o.value)).toEqual(['41', '42', '43'])
    expect(select.value).toBe('42')
    select.value = '43'
    button(root, 'Save').click()
    expect(a.profile.get().interests.size).toBe('43')
  })

  it('removes an interest and moves focus to its section heading', async () => {
    const a = await granted()
    a.profile.setInterest('size', '42')
    const root = await center(a)
    const remove = button(root, 'Remove')
    remove.focus()
    remove.click()
    expect(a.profile.get().interests).toEqual({})
    expect(text(root.activeElement)).toBe('What you told us')
    expect(section(root, 'What you told us')).toBe('Nothing yet.')
  })

  it('removes an affinity: gone from the view and from decisions, from this device and the ones sync merged', async () => {
    let t = 1e12
    const a = await granted({ now: () => t })
    for (let i = 0; i < 3; i++) a.track('product_viewed', { product_id: `sku-${i}`, category: 'running' })
    await mergeDevice(a, 'phone', (e) => (e.affinities['category:running'] = { s: 2, t: t - 3_600_000 }))
    expect(a.profile.get().affinities['category:running']).toBeGreaterThan(4)
    const root = await center(a)
    button(root, 'Remove running').click()
    expect(a.profile.get().affinities).toEqual({})
    expect(text(root.querySelector('[role="status"]'))).toBe('Removed “running”. It is no longer used to choose what you see.')
    const config = { variants: { hero: [{ id: 'run', tags: ['category:running'] }] } }
    const facts = () => ({ profile: a.profile.get() })
    expect(decide('hero', { config, facts: facts(), visitor: 'v', random: Math.random }).variant).toBeUndefined()
    // It stays gone as time passes (both scores decay alike) and after a write to storage.
    t += 10 * 86_400_000
    await settle()
    expect(a.profile.get().affinities).toEqual({})
    // Viewing running shoes again teaches it anew.
    a.track('product_viewed', { product_id: 'sku-9', category: 'running' })
    expect(a.profile.get().affinities['category:running']).toBeCloseTo(1)
  })

  it('downloads everything as a JSON file, what profile.export() gives', async () => {
    const a = await granted()
    a.profile.setInterest('size', '42')
    const blobs: Blob[] = []
    vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: (b: Blob) => (blobs.push(b), 'blob:x'), revokeObjectURL: () => {} }))
    const clicked: Array<[string | null, string | null]> = []
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push([this.getAttribute('href'), this.getAttribute('download')])
    })
    const root = await center(a)
    button(root, 'Download my data').click()
    await until(() => expect(clicked).toEqual([['blob:x', 'shop-1-my-data.json']]))
    // jsdom's Blob has no text(); its FileReader reads it.
    const reader = new FileReader()
    const read = new Promise((resolve) => (reader.onload = resolve))
    reader.readAsText(blobs[0]!)
    await read
    const data = JSON.parse(reader.result as string) as AttuneExport
    expect(blobs[0]!.type).toBe('application/json')
    expect(data).toMatchObject({ format: 'attune-export', site: 'shop-1', view: { interests: { size: '42' } } })
    expect(text(root.querySelector('[role="status"]'))).toBe('Downloaded shop-1-my-data.json.')
    expect(root.querySelector('a[download]')).toBeNull()
  })

  it('deletes everything after a confirmation (Cancel and Escape back out), then says what it did', async () => {
    const a = await granted()
    a.profile.setInterest('size', '42')
    const root = await center(a, { server: true })
    button(root, 'Delete everything').click()
    expect(root.activeElement).toBe(button(root, 'Cancel'))
    const group = root.querySelector('[role="group"]')!
    expect(text(root.getElementById(group.getAttribute('aria-labelledby')!))).toContain('This cannot be undone.')
    group.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }))
    expect(root.querySelector('[role="group"]')).toBeNull()
    expect(root.activeElement).toBe(button(root, 'Delete everything'))
    button(root, 'Delete everything').click()
    button(root, 'Yes, delete everything').click()
    await until(() => expect(text(root.querySelector('[role="status"]'))).toBe(
      'Deleted everything kept in this browser, and turned everything off. The site’s server was asked to erase what it holds about you.',
    ))
    expect(a.consent.get()).toEqual({ personalization: false, measurement: false, sync: false })
    expect(await indexedDB.databases()).toEqual([])
    expect(localStorage.length).toBe(0)
    expect(a.profile.get().interests).toEqual({})
    expect(Array.from(root.querySelectorAll('[role="switch"]')).map((s) => s.getAttribute('aria-checked'))).toEqual(['false', 'false', 'false'])
    expect(errors).toEqual([])
  })
})
