import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { bootScriptTag, type AttuneCommand } from '../../../src/script-tag'
import { SYNC_CHUNK } from '../../../src/sync/loadChunk'

type Win = Window & { attune?: AttuneCommand }
const win = window as Win
const chunks = () => [...document.querySelectorAll<HTMLScriptElement>('script')].filter((s) => s.src.endsWith(SYNC_CHUNK))

const boot = (attributes: Record<string, string> = {}) => {
  const script = document.createElement('script')
  script.src = 'https://cdn.example.com/attune/1.0/attune.min.js'
  for (const [name, value] of Object.entries({ 'data-attune-site': 'shop-1', 'data-attune-endpoint': 'https://p.example.com', ...attributes })) {
    script.setAttribute(name, value)
  }
  document.head.append(script)
  vi.spyOn(document, 'currentScript', 'get').mockReturnValue(script)
  bootScriptTag(window)
  return win.attune!
}

beforeEach(() => {
  document.head.replaceChildren()
  localStorage.clear()
})
afterEach(async () => {
  if (win.attune?.loaded) await win.attune('destroy')
  Reflect.deleteProperty(window, 'attune')
})

describe('the script tag with data-attune-endpoint', () => {
  it('loads nothing before consent', () => {
    const attune = boot()
    attune('consent', 'grant', ['personalization'])
    expect(chunks()).toEqual([])
  })

  it('loads the sync code from beside the tag once measurement or sync is granted, once', () => {
    const attune = boot()
    attune('consent', 'grant', ['measurement'])
    attune('consent', 'grant', ['sync'])
    expect(chunks().map((s) => s.src)).toEqual(['https://cdn.example.com/attune/1.0/attune-sync.min.js'])
  })

  it('loads it at once when an erasure is still owed to the server, whatever consent says now', () => {
    localStorage.setItem('attune:erase:shop-1', JSON.stringify([{ id: 'v', token: 't' }]))
    boot()
    expect(chunks()).toHaveLength(1)
  })

  it('connects the loaded code to this instance, with the checked endpoint', () => {
    const attune = boot()
    const connect = vi.fn(() => ({ flush: vi.fn(), sync: vi.fn(), identify: vi.fn(), reset: vi.fn(), stop: vi.fn() }))
    attune('consent', 'grant')
    attune('connect', connect)
    expect(connect).toHaveBeenCalledWith(expect.objectContaining({ site: 'shop-1' }), expect.objectContaining({ remember: true }), 'https://p.example.com', undefined, expect.any(Array), false)
  })

  it('connects owing an erasure when measurement or sync was taken back before it loaded (a withdrawal the page queued)', () => {
    const attune = boot()
    attune('consent', 'grant')
    attune('consent', 'withdraw')
    const connect = vi.fn((..._args: unknown[]) => ({ flush: vi.fn(), sync: vi.fn(), identify: vi.fn(), reset: vi.fn(), stop: vi.fn() }))
    attune('connect', connect)
    expect(connect.mock.calls[0]![5]).toBe(true)
  })

  it('owes nothing when only personalization was taken back', () => {
    const attune = boot()
    attune('consent', 'grant')
    attune('consent', 'deny', ['personalization'])
    const connect = vi.fn((..._args: unknown[]) => ({ flush: vi.fn(), sync: vi.fn(), identify: vi.fn(), reset: vi.fn(), stop: vi.fn() }))
    attune('connect', connect)
    expect(connect.mock.calls[0]![5]).toBe(false)
  })

  it('hands the connected code every event allowed while it loaded, the replayed ones included', () => {
    const attune = boot()
    attune('track', 'before_consent')
    attune('consent', 'grant')
    attune('track', 'while_loading')
    const connect = vi.fn((..._args: unknown[]) => ({ flush: vi.fn(), sync: vi.fn(), identify: vi.fn(), reset: vi.fn(), stop: vi.fn() }))
    attune('connect', connect)
    const backlog = connect.mock.calls[0]![4] as Array<{ name: string }>
    expect(backlog.map((e) => e.name)).toEqual(['before_consent', 'while_loading'])
  })

  it('stops the connection on destroy', async () => {
    const attune = boot()
    const stop = vi.fn()
    attune('consent', 'grant')
    attune('connect', () => ({ flush: vi.fn(), sync: vi.fn(), identify: vi.fn(), reset: vi.fn(), stop }))
    await attune('destroy')
    expect(stop).toHaveBeenCalled()
  })

  it('refuses a plain-http endpoint with the fix on the console, and leaves the page alone', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(() => boot({ 'data-attune-endpoint': 'http://p.example.com' })).not.toThrow()
    expect(error).toHaveBeenCalledWith(expect.stringMatching(/option "endpoint" must be the https URL.*data-attune-\* attributes/))
  })

  it('without an endpoint, has no connect command', () => {
    const attune = boot({ 'data-attune-endpoint': '' })
    expect(chunks()).toEqual([])
    const errors: string[] = []
    attune('on', 'error', (e: Error) => errors.push(e.message))
    attune('connect', () => ({}))
    expect(errors[0]).toMatch(/is not a command/)
  })
})

describe("attune('identify') and attune('reset') with the script tag", () => {
  const handle = () => ({ flush: vi.fn(), sync: vi.fn(), identify: vi.fn(async () => {}), reset: vi.fn(async () => {}), stop: vi.fn() })

  it('wait for the connection when called before it loaded, then go through it in order', () => {
    const attune = boot()
    attune('consent', 'grant')
    attune('identify', 'user-1', { signature: 'abc' })
    attune('reset')
    const h = handle()
    attune('connect', () => h)
    expect(h.identify).toHaveBeenCalledWith('user-1', { signature: 'abc' })
    expect(h.reset).toHaveBeenCalledTimes(1)
    expect(h.identify.mock.invocationCallOrder[0]).toBeLessThan(h.reset.mock.invocationCallOrder[0]!)
  })

  it('go straight through once connected', () => {
    const attune = boot()
    attune('consent', 'grant')
    const h = handle()
    attune('connect', () => h)
    attune('identify', 'user-2', { signature: 'def' })
    expect(h.identify).toHaveBeenCalledWith('user-2', { signature: 'def' })
  })

  it.each([
    ['no signature', ['user-1']],
    ['a user id that is not a string', [42, { signature: 'abc' }]],
  ])('report a call with %s, sending nothing', (_name, args) => {
    const attune = boot()
    const errors: Array<{ code: string; message: string }> = []
    attune('on', 'error', (e: { code: string; message: string }) => errors.push(e))
    attune('consent', 'grant')
    const h = handle()
    attune('connect', () => h)
    attune('identify', ...args)
    expect(h.identify).not.toHaveBeenCalled()
    expect(errors).toEqual([expect.objectContaining({ code: 'bad_call', message: expect.stringMatching(/needs a user id and its signature/) })])
  })

  it('are not commands without data-attune-endpoint', () => {
    const attune = boot({ 'data-attune-endpoint': '' })
    const errors: Array<{ message: string }> = []
    attune('on', 'error', (e: { message: string }) => errors.push(e))
    attune('identify', 'user-1', { signature: 'abc' })
    expect(errors[0]?.message).toMatch(/attune\("identify"\) is not a command/)
  })
})
