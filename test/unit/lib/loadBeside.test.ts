import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'

const TAG = 'https://cdn.example/attune/attune.min.js'
/** A fresh copy of the module: it keeps its Trusted Types policy once made. */
const fresh = async () => (await import('../../../src/lib/loadBeside')).loadBeside
/** Loads `file` beside the tag with a fresh copy of the module; returns the `done` spy. */
const loadFile = async (file: string) => {
  const loadBeside = await fresh()
  const done = vi.fn()
  loadBeside(TAG, file, done)
  return done
}
const loaded = () => Array.from(document.querySelectorAll<HTMLScriptElement>('script[src]')).map((s) => s.src)

beforeEach(() => {
  vi.resetModules()
  document.head.replaceChildren()
})
afterEach(() => {
  vi.unstubAllGlobals()
})

describe('loadBeside', () => {
  it('loads an own file from beside the tag, and tells whether it loaded', async () => {
    const done = await loadFile('attune-page.min.js')
    expect(loaded()).toEqual(['https://cdn.example/attune/attune-page.min.js'])
    expect(done).not.toHaveBeenCalled()
    document.querySelector('script')?.dispatchEvent(new Event('load'))
    expect(done).toHaveBeenCalledWith(true)
  })

  it('tells when the file did not load', async () => {
    const done = await loadFile('attune-page.min.js')
    document.querySelector('script')?.dispatchEvent(new Event('error'))
    expect(done).toHaveBeenCalledWith(false)
  })

  it('loads nothing but its own files, and says so', async () => {
    const done = await loadFile('../evil.js')
    expect(loaded()).toEqual([])
    expect(done).toHaveBeenCalledWith(false)
  })

  it('throws nothing, and says it did not load, when the page refuses its Trusted Types policy', async () => {
    vi.stubGlobal('trustedTypes', {
      createPolicy: () => {
        throw new TypeError('Policy "attune" disallowed.')
      },
    })
    const loadBeside = await fresh()
    const done = vi.fn()
    expect(() => loadBeside(TAG, 'attune-page.min.js', done)).not.toThrow()
    expect(loaded()).toEqual([])
    expect(done).toHaveBeenCalledWith(false)
  })
})
