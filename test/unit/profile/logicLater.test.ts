/**
 * The script tag's profile store before its page chunk has brought the profile's logic: the tag's
 * build puts profile/logicLater.ts in the place of profile/logic.ts (rollup.config.mjs), and so
 * does this file. Each test gets fresh modules: the stand-in holds the logic once handed over.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Attune } from '../../../src/index'
import type { Internals } from '../../../src/internals'
import type * as Logic from '../../../src/profile/logic'
import { freshIndexedDb } from '../fresh'

/** Fresh modules, with the stand-in in the place of logic.ts as in the tag build; returns its `useLogic`. */
const tagModules = async (): Promise<typeof Logic.useLogic> => {
  vi.resetModules()
  vi.doMock('../../../src/profile/logic', () => import('../../../src/profile/logicLater'))
  return (await import('../../../src/profile/logic')).useLogic
}
/** An earlier page, with the logic in, leaves a profile with one running product viewed (consent to `purposes`, all by default); then the next page's fresh modules. */
const earlierPage = async (purposes?: Array<'personalization' | 'measurement' | 'sync'>): Promise<void> => {
  const first = await open()
  useLogic(await realLogic())
  first.a.consent.grant(purposes)
  first.a.track('product_viewed', { product_id: 'sku-1', category: 'Running' })
  await vi.waitFor(async () => expect(Object.keys((await storedProfile(first.inner)).devices)).toHaveLength(1))
  await first.a.destroy()
  useLogic = await tagModules()
}

const realLogic = async (): Promise<Logic.ProfileLogic> =>
  (await vi.importActual<typeof Logic>('../../../src/profile/logic')).profileLogic

let instances: Attune[] = []
let useLogic: typeof Logic.useLogic

/** An instance made as the tag makes it, with the stand-in logic, and its internals. */
const open = async (): Promise<{ a: Attune; inner: Internals }> => {
  const { createAttune } = await import('../../../src/index')
  const { internals } = await import('../../../src/internals')
  const a = createAttune({ site: 'shop-1' })
  instances.push(a)
  return { a, inner: internals.get(a) as Internals }
}
const readyOf = (a: Attune): (() => boolean) => {
  let heard = false
  a.on('ready', () => (heard = true))
  return () => heard
}
/** Lets IndexedDB requests and their promise chains run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0))
}
/** Grants consent and tracks a `tick`: `a` is not ready until the logic is handed over, then ready with the tick folded in. */
const readyOnceTheLogicIsIn = async (a: Attune): Promise<void> => {
  const ready = readyOf(a)
  a.consent.grant()
  a.track('tick')
  await settle()
  expect(ready()).toBe(false)
  useLogic(await realLogic())
  await vi.waitFor(() => expect(ready()).toBe(true))
  expect(a.profile.get().counters['event:tick']).toBe(1)
}
const databases = async (): Promise<string[]> => (await indexedDB.databases()).map((d) => d.name as string)
/** The profile as stored in IndexedDB, read without waiting for the store. */
const storedProfile = async (inner: Internals) => ((await inner.kv?.get<{ devices: Record<string, { counters: Record<string, number> }> }>('profile')) ?? { devices: {} })

beforeEach(async () => {
  freshIndexedDb()
  useLogic = await tagModules()
})
afterEach(async () => {
  await Promise.all(instances.map((a) => a.destroy()))
  instances = []
  localStorage.clear()
})

describe('the script tag’s profile store, before its page chunk brings the logic', () => {
  it('has the stand-in in place (this file mocks the module as the tag build does)', async () => {
    const logic = await import('../../../src/profile/logic')
    expect(logic.later).toBeInstanceOf(Promise)
  })

  it('holds what the shopper does in memory, shows an empty profile, and neither understands nor writes the stored one', async () => {
    await earlierPage()
    const { a, inner } = await open()
    const writes = vi.spyOn(inner.kv!, 'update')
    const ready = readyOf(a)
    a.track('product_viewed', { product_id: 'sku-2', category: 'Running' })
    a.profile.setInterest('size', '41')
    await settle()
    // The device record is read, and kept as it is: no write at all.
    expect(writes.mock.calls.map(([key]) => key)).toEqual([])
    expect(ready()).toBe(false)
    expect(a.profile.get()).toEqual({ counters: {}, affinities: {}, viewed: [], carted: [], traits: {}, interests: {}, experiments: {} })
    // attune/sync is handed nothing folded by the stand-ins.
    expect(inner.profile.own()).toBeUndefined()
    expect(Object.values((await storedProfile(inner)).devices).map((d) => d.counters.product_views)).toEqual([1])
  })

  it('once handed the logic, reads the stored profile, folds what waited, writes it, and is ready', async () => {
    await earlierPage()
    const nextPage = useLogic
    const { a, inner } = await open()
    const ready = readyOf(a)
    a.track('product_viewed', { product_id: 'sku-2', category: 'Running' })
    a.profile.setInterest('size', '41')
    await settle()
    expect(ready()).toBe(false)
    expect(a.profile.get().counters.product_views).toBeUndefined()

    nextPage(await realLogic())
    await vi.waitFor(() => expect(ready()).toBe(true))
    expect(a.profile.get().counters.product_views).toBe(2)
    expect(a.profile.get().interests).toEqual({ size: '41' })
    await vi.waitFor(async () => expect(Object.values((await storedProfile(inner)).devices)[0]?.counters.product_views).toBe(2))
  })

  it('after a withdrawal while it waits, does not bring the deleted profile back when the logic comes', async () => {
    const { a, inner } = await open()
    a.consent.grant()
    a.track('product_viewed', { product_id: 'sku-1', category: 'Running' })
    await settle()
    // A merge attune/sync asked for before the shopper deleted everything.
    const merge = vi.fn((p: Parameters<Parameters<Internals['profile']['rewrite']>[0]>[0]) => p)
    const merged = inner.profile.rewrite(merge)
    await a.profile.delete()
    useLogic(await realLogic())
    await merged
    await settle()
    expect(merge).not.toHaveBeenCalled()
    expect(await databases()).not.toContain('attune-shop-1')
    expect(a.profile.get().counters).toEqual({})
  })

  it('reads the stored profile when the logic comes while the read is in flight', async () => {
    await earlierPage()
    const { a } = await open()
    const logic = await realLogic()
    const ready = readyOf(a)
    a.track('product_viewed', { product_id: 'sku-2', category: 'Running' })
    // The page chunk from the HTTP cache: here before IndexedDB has answered.
    await Promise.resolve()
    useLogic(logic)
    await vi.waitFor(() => expect(ready()).toBe(true))
    expect(a.profile.get().counters.product_views).toBe(2)
  })

  it('where IndexedDB fails, is ready only once the logic is in, and keeps what waited in memory', async () => {
    vi.spyOn(indexedDB, 'open').mockImplementation(() => {
      throw new DOMException('The user denied permission to access the database.', 'InvalidStateError')
    })
    const { a } = await open()
    await readyOnceTheLogicIsIn(a)
    a.track('tick')
    await vi.waitFor(() => expect(a.profile.get().counters['event:tick']).toBe(2))
  })

  it('when the logic will not come (the page chunk did not load), settles: ready, an export, nothing written', async () => {
    await earlierPage()
    const { noLogic } = await import('../../../src/profile/logic')
    const { a, inner } = await open()
    const writes = vi.spyOn(inner.kv!, 'update')
    const errors: string[] = []
    a.on('error', (e) => errors.push(e.code))
    const ready = readyOf(a)
    a.track('product_viewed', { product_id: 'sku-2', category: 'Running' })
    const merge = vi.fn((p: Parameters<Parameters<Internals['profile']['rewrite']>[0]>[0]) => p)
    const merged = inner.profile.rewrite(merge)
    noLogic()
    await vi.waitFor(() => expect(ready()).toBe(true))
    await merged
    expect(merge).not.toHaveBeenCalled()
    const exported = await a.profile.export()
    expect(exported.device?.device).toEqual(expect.any(String))
    // Nothing read: what is stored (one product viewed) is not in it.
    expect(Object.values(exported.profile.devices).map((d) => d.counters)).toEqual([{}])
    await settle()
    expect(writes).not.toHaveBeenCalled()
    expect(errors).toEqual([])
    expect(Object.values((await storedProfile(inner)).devices).map((d) => d.counters.product_views)).toEqual([1])
  })

  it('in memory (data-attune-storage="memory"), is ready only once the logic is in, with what waited folded', async () => {
    const { createAttune } = await import('../../../src/index')
    const a = createAttune({ site: 'shop-1', storage: 'memory' })
    instances.push(a)
    await readyOnceTheLogicIsIn(a)
  })

  it('keeps a rewrite (attune/sync merging, a reset) until the logic is in', async () => {
    const { a, inner } = await open()
    a.consent.grant()
    await settle()
    const rewrite = vi.fn((p: Parameters<Parameters<Internals['profile']['rewrite']>[0]>[0]) => p)
    const done = inner.profile.rewrite(rewrite)
    await settle()
    expect(rewrite).not.toHaveBeenCalled()
    useLogic(await realLogic())
    await done
    expect(rewrite).toHaveBeenCalledTimes(1)
  })
})

describe('the script tag and its page chunk', () => {
  afterEach(() => {
    document.head.replaceChildren()
    Reflect.deleteProperty(window, 'attune')
  })

  /** The tag booted from a CDN path, with consent granted; its command, what it reported, and its page chunk's script element. */
  /** Boots the tag from a `<script>` with `attributes` (the site is shop-1); returns the command. */
  const bootTag = async (attributes: Record<string, string> = {}): Promise<(...args: unknown[]) => unknown> => {
    document.head.replaceChildren()
    const script = document.createElement('script')
    for (const [name, value] of Object.entries({ 'data-attune-site': 'shop-1', ...attributes })) script.setAttribute(name, value)
    document.head.append(script)
    const { bootScriptTag } = await import('../../../src/script-tag')
    bootScriptTag(window)
    return (window as { attune?: (...args: unknown[]) => unknown }).attune as (...args: unknown[]) => unknown
  }
  const TAG = 'https://cdn.example/attune/attune.min.js'
  /** The tag with `data-attune-endpoint`, and the instance's internals, as the tag hands them to a chunk. */
  const bootWithEndpoint = async (): Promise<{ command: (...args: unknown[]) => unknown; inner: Internals }> => {
    const command = await bootTag({ src: TAG, 'data-attune-endpoint': 'https://p.example.com' })
    let inner: Internals | undefined
    command('extend', (_a: Attune, _endpoint: unknown, _options: unknown, given: Internals) => {
      inner = given
      return () => {}
    })
    return { command, inner: inner as Internals }
  }

  const bootFromCdn = async () => {
    const command = await bootTag({ src: TAG })
    const ready = vi.fn()
    const errors: Array<{ code: string; message: string }> = []
    command('ready', ready)
    command('on', 'error', (e: { code: string; message: string }) => errors.push(e))
    command('consent', 'grant')
    await settle()
    expect(ready).not.toHaveBeenCalled()
    return { command, ready, errors, chunk: document.querySelector('script[src$="attune-page.min.js"]') as HTMLScriptElement }
  }

  it('settles when the page chunk does not load: ready, with nothing read, and says why', async () => {
    const { command, ready, errors, chunk } = await bootFromCdn()
    chunk.dispatchEvent(new Event('error'))
    await vi.waitFor(() => expect(ready).toHaveBeenCalledTimes(1))
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/did not load/)])
    await command('destroy')
  })

  it('settles when a page chunk ran without handing over the logic (a copy of another release), and says so', async () => {
    const { command, ready, errors, chunk } = await bootFromCdn()
    chunk.dispatchEvent(new Event('load'))
    await vi.waitFor(() => expect(ready).toHaveBeenCalledTimes(1))
    expect(errors).toEqual([expect.objectContaining({ code: 'network', message: expect.stringMatching(/ran without handing over the profile's logic \(from another release than the tag/) })])
    await command('destroy')
  })

  it('hands the chunk a way to give the store its logic: the profile loads once it does, and nothing is said (the control for the test above)', async () => {
    const { command, ready, errors, chunk } = await bootFromCdn()
    command('track', 'tick')
    await settle()
    expect(ready).not.toHaveBeenCalled()
    const logic = await realLogic()
    // What the page chunk does first (startPage.ts), as it runs: before its load event.
    command('extend', (_a: Attune, _endpoint: unknown, _options: unknown, inner: Internals) => {
      inner.useLogic?.(logic)
      return () => {}
    })
    chunk.dispatchEvent(new Event('load'))
    await vi.waitFor(() => expect(ready).toHaveBeenCalledTimes(1))
    expect(command((a: Attune) => a.profile.get().counters['event:tick'])).toBe(1)
    expect(errors).toEqual([])
    await command('destroy')
  })

  it('a tag with no src (no chunk to load) settles at once, and says nothing', async () => {
    const command = await bootTag()
    const ready = vi.fn()
    const errors: unknown[] = []
    command('ready', ready)
    command('on', 'error', (e: unknown) => errors.push(e))
    command('consent', 'grant')
    await vi.waitFor(() => expect(ready).toHaveBeenCalledTimes(1))
    expect(errors).toEqual([])
    await command('destroy')
  })

  it('after a page chunk that did not load, reset() still leaves no profile behind', async () => {
    await earlierPage()
    const { command, inner } = await bootWithEndpoint()
    document.querySelector('script[src$="attune-page.min.js"]')?.dispatchEvent(new Event('error'))
    await settle()
    expect(Object.keys((await storedProfile(inner)).devices)).toHaveLength(1)
    void command('reset')
    await vi.waitFor(async () => expect((await storedProfile(inner)).devices).toEqual({}))
    await command('destroy')
  })

  it('with personalization alone, where the server connection never loads, reset() still empties the profile and forgets the kept decisions', async () => {
    await earlierPage(['personalization'])
    localStorage.setItem('attune:paint:shop-1', JSON.stringify({ hero: ['running', '<template></template>'] }))
    const { command, inner } = await bootWithEndpoint()
    // What the page chunk does once it has loaded.
    useLogic(await realLogic())
    await settle()
    expect(Object.keys((await storedProfile(inner)).devices)).toHaveLength(1)
    void command('reset')
    expect(localStorage.getItem('attune:paint:shop-1')).toBeNull()
    await vi.waitFor(async () => expect((await storedProfile(inner)).devices).toEqual({}))
    expect(document.querySelector('script[src$="attune-sync.min.js"]')).toBeNull()
    await command('destroy')
  })

  it('writes nothing on reset() before consent', async () => {
    const command = await bootTag({ src: TAG, 'data-attune-endpoint': 'https://p.example.com' })
    // The logic in, as if a page chunk had come: the store could write, and must not.
    useLogic(await realLogic())
    void command('reset')
    await settle()
    expect(await databases()).toEqual([])
    await command('destroy')
  })
})

describe('the stand-in, once the logic will not come', () => {
  it('does not take a logic handed over later: the store had given up on it', async () => {
    const logic = await import('../../../src/profile/logic')
    logic.noLogic()
    logic.useLogic(await realLogic())
    expect(logic.later).toBeInstanceOf(Promise)
    expect(await logic.later).toBe(false)
  })
})
