import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Attune } from '../../../src/createAttune'
import { sync, type EverythingExport, type ServerExport } from '../../../src/sync/index'
import { defineAttuneElements, type AttuneElementsOptions } from '../../../src/ui/index'
import { add, attune, button, errors, granted, later, settle, shadow, text, until } from './harness'

const ENDPOINT = 'https://p.example.com'
const SERVER_EXPORT: ServerExport = {
  site: 'shop-1',
  userId: null,
  exportedAt: 1_700_000_000_000,
  visitors: [],
  identities: [],
  profile: null,
  entries: [],
  audit: [{ subjectKind: 'visitor', subject: 'v', actor: 'agent-7', action: 'read', at: 1_699_999_000_000, reason: null }],
  events: [],
}

let urls: string[]
/** How the export route answers. */
let exportAnswer: () => Response | Error
const fakeFetch = async (url: string): Promise<Response> => {
  urls.push(url)
  if (url.includes('/v1/profile/export')) {
    const next = exportAnswer()
    if (next instanceof Error) throw next
    return next
  }
  return new Response(JSON.stringify({ accepted: 1, duplicates: 0, token: 'tok-1' }))
}
const exportCalls = () => urls.filter((u) => u.includes('/v1/profile/export'))

/** Blobs the download made, and the links it clicked. */
let blobs: Blob[]
let clicked: string[]

beforeEach(() => {
  urls = []
  blobs = []
  clicked = []
  exportAnswer = () => new Response(JSON.stringify(SERVER_EXPORT))
  vi.stubGlobal('URL', Object.assign(URL, { createObjectURL: (b: Blob) => (blobs.push(b), 'blob:x'), revokeObjectURL: () => {} }))
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push(this.getAttribute('download') ?? '')
  })
})

/** An instance with every purpose granted, connected to the fake server, which knows it (token). */
const syncing = async (): Promise<Attune> => {
  const a = await granted()
  const handle = sync(a, { endpoint: ENDPOINT, fetch: fakeFetch as typeof fetch })
  later(handle.stop)
  a.profile.setInterest('size', '42')
  a.track('product_viewed', { product_id: 'sku-1' })
  await handle.flush()
  return a
}

const center = async (a: Attune, options?: AttuneElementsOptions): Promise<ShadowRoot> => {
  later(defineAttuneElements(a, options))
  const root = shadow(add('<attune-preferences></attune-preferences>'))
  await until(() => expect(text(root)).not.toContain('Loading'))
  return root
}

/** Clicks "Download my data" and reads the file it saved. */
const download = async (root: ShadowRoot): Promise<EverythingExport> => {
  button(root, 'Download my data').click()
  await until(() => expect(clicked).toEqual(['shop-1-my-data.json']))
  // jsdom's Blob has no text(); its FileReader reads it.
  const reader = new FileReader()
  const read = new Promise((resolve) => (reader.onload = resolve))
  reader.readAsText(blobs[0]!)
  await read
  return JSON.parse(reader.result as string) as EverythingExport
}
const status = (root: ShadowRoot): string => text(root.querySelector('[role="status"]'))

describe('<attune-preferences>: "Download my data" with a server', () => {
  it('includes what the server holds, with its audit log, and says so', async () => {
    const a = await syncing()
    const root = await center(a)
    const data = await download(root)
    expect(data).toMatchObject({ format: 'attune-export', site: 'shop-1', view: { interests: { size: '42' } }, server: SERVER_EXPORT })
    expect(data.server?.audit[0]).toMatchObject({ actor: 'agent-7', action: 'read' })
    await until(() => expect(status(root)).toBe('Downloaded shop-1-my-data.json: what this browser keeps, and what the site’s server holds about you, with who read it and when.'))
    expect(exportCalls()).toHaveLength(1)
    expect(errors).toEqual([])
  })

  it('asks the server for the export only when the shopper clicks, not to show the center', async () => {
    const a = await syncing()
    const root = await center(a)
    // Changes re-render the center (and re-read the local export for the devices line).
    a.track('product_viewed', { product_id: 'sku-2' })
    a.profile.setInterest('fit', 'wide')
    document.dispatchEvent(new Event('visibilitychange'))
    await until(() => expect(text(root)).toContain('wide'))
    await settle()
    expect(exportCalls()).toEqual([])
    await download(root)
    expect(exportCalls()).toHaveLength(1)
  })

  it.each([
    ['fails', () => new Response('{}', { status: 503 })],
    ['cannot be reached', () => new TypeError('Failed to fetch')],
  ])('downloads the local part when the server %s, and says its copy could not be included', async (_, answer) => {
    exportAnswer = answer
    const a = await syncing()
    const root = await center(a)
    const data = await download(root)
    expect(data).toMatchObject({ format: 'attune-export', view: { interests: { size: '42' } }, server: null })
    await until(() => expect(status(root)).toBe('Downloaded shop-1-my-data.json with what this browser keeps. The copy on the site’s server could not be included.'))
    expect(errors.map((e) => e.code)).toEqual(['network'])
  })

  it('says the server copy could not be included when the page has a server but sync is not connected (tag chunk not loaded)', async () => {
    const a = await granted()
    a.profile.setInterest('size', '42')
    const root = await center(a, { server: true })
    const data = await download(root)
    expect(data).toMatchObject({ format: 'attune-export', view: { interests: { size: '42' } }, server: null })
    await until(() => expect(status(root)).toBe('Downloaded shop-1-my-data.json with what this browser keeps. The copy on the site’s server could not be included.'))
    expect(urls).toEqual([])
  })

  it('without a server, downloads the local export as before, with no server part and no note', async () => {
    const a = attune()
    a.consent.grant()
    a.profile.setInterest('size', '42')
    const root = await center(a)
    const data = await download(root)
    expect(data).toMatchObject({ format: 'attune-export', view: { interests: { size: '42' } } })
    expect('server' in data).toBe(false)
    await until(() => expect(status(root)).toBe('Downloaded shop-1-my-data.json.'))
  })
})
