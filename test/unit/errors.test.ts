import { afterEach, describe, expect, it, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../src/index'

let a: Attune
afterEach(() => a.destroy())

describe('a listener that throws', () => {
  it('does not stop the other listeners nor reach the caller, and is reported as "callback"', () => {
    a = createAttune({ site: 'shop-1', storage: 'memory' })
    const errors: AttuneError[] = []
    const after = vi.fn()
    a.on('error', (e) => errors.push(e))
    a.on('consent', () => {
      throw new Error('page bug')
    })
    a.on('consent', after)
    expect(() => a.consent.grant()).not.toThrow()
    expect(after).toHaveBeenCalledTimes(1)
    expect(errors[0]).toMatchObject({ code: 'callback', message: expect.stringMatching(/on\("consent"\) listener threw/) })
    expect((errors[0]!.cause as Error).message).toBe('page bug')
  })

  it('in on("error") itself does not loop, and only warns in debug mode', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    a = createAttune({ site: 'shop-1', storage: 'memory', debug: true })
    const calls = vi.fn(() => {
      throw new Error('again')
    })
    a.on('error', calls)
    a.track('')
    expect(calls).toHaveBeenCalledTimes(1)
    expect(warn).toHaveBeenCalledWith('[attune]', 'An on("error") listener threw:', expect.any(Error))
  })

  it('in on("ready") is reported too', async () => {
    a = createAttune({ site: 'shop-1', storage: 'memory' })
    const errors: AttuneError[] = []
    a.on('error', (e) => errors.push(e))
    a.on('ready', () => {
      throw new Error('x')
    })
    a.consent.grant()
    await vi.waitFor(() => expect(errors.map((e) => e.code)).toEqual(['callback']))
  })
})

describe('debug', () => {
  it('is quiet by default: no console output for a dropped event', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    a = createAttune({ site: 'shop-1', storage: 'memory' })
    a.track(42 as never)
    expect(warn).not.toHaveBeenCalled()
  })

  it('logs caught errors with the [attune] prefix when on', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    a = createAttune({ site: 'shop-1', storage: 'memory', debug: true })
    a.track(42 as never)
    expect(warn).toHaveBeenCalledWith('[attune]', expect.stringMatching(/Dropped an event/), '')
  })
})

describe('on(type, fn) with a wrong type or no function', () => {
  it.each([
    ['an unknown event type', 'clicked', () => {}],
    ['a missing function', 'ready', undefined],
  ])('is reported, not thrown, for %s', (_n, type, fn) => {
    a = createAttune({ site: 'shop-1', storage: 'memory' })
    const errors: AttuneError[] = []
    a.on('error', (e) => errors.push(e))
    expect(() => a.on(type as 'ready', fn as never)()).not.toThrow()
    expect(errors[0]).toMatchObject({ code: 'bad_call', message: expect.stringMatching(/needs one of ready, consent, track, error, decision, exposure and a function/) })
  })
})
