/** Shared setup of the attune/ui unit tests: instances on fresh fake IndexedDB, and reading shadow roots. */
import { afterEach, beforeEach, vi } from 'vitest'
import { createAttune, type Attune, type AttuneError } from '../../../src/index'
import type { AttuneOptions } from '../../../src/options'
import { freshIndexedDb } from '../fresh'

export let errors: AttuneError[] = []
let instances: Attune[] = []
const cleanups: Array<() => void> = []

/** Runs `fn` after the test (stops, reverts). */
export const later = (fn: () => void): void => {
  cleanups.push(fn)
}

beforeEach(() => {
  freshIndexedDb()
  errors = []
  document.body.replaceChildren()
})
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) fn()
  await Promise.all(instances.map((a) => a.destroy()))
  instances = []
  localStorage.clear()
})

/** An instance (nothing granted). */
export const attune = (options: Partial<AttuneOptions> = {}): Attune => {
  const a = createAttune({ site: 'shop-1', ...options })
  a.on('error', (e) => errors.push(e))
  instances.push(a)
  return a
}

/** Resolves on the instance's next (or past) `ready`. */
export const ready = (a: Attune): Promise<unknown> => new Promise((resolve) => a.on('ready', resolve))

/** A granted, loaded instance. */
export const granted = async (options: Partial<AttuneOptions> = {}): Promise<Attune> => {
  const a = attune(options)
  a.consent.grant()
  await ready(a)
  return a
}

/** Lets microtasks and the profile's IndexedDB work run. */
export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

/** Waits until `check` passes. */
export const until = (check: () => void): Promise<void> => vi.waitFor(check, { timeout: 2_000, interval: 5 })

/** Adds markup to the body; returns the first element. */
export const add = <E extends Element = HTMLElement>(html: string): E => {
  const t = document.createElement('template')
  t.innerHTML = html
  const first = t.content.firstElementChild as E
  document.body.append(t.content)
  return first
}

/** The element's shadow root (open). */
export const shadow = (el: Element): ShadowRoot => {
  if (!el.shadowRoot) throw new Error(`<${el.localName}> has no shadow root`)
  return el.shadowRoot
}

/** Visible text, whitespace collapsed. */
export const text = (node: Node | null | undefined): string => (node?.textContent ?? '').replace(/\s+/g, ' ').trim()

/** The button in `root` whose text starts with `label` (hidden helper text included). */
export const button = (root: ParentNode, label: string | RegExp): HTMLButtonElement => {
  const found = Array.from(root.querySelectorAll('button')).find((b) => (typeof label == 'string' ? text(b).startsWith(label) : label.test(text(b))))
  if (!found) throw new Error(`no button ${String(label)} in: ${Array.from(root.querySelectorAll('button')).map((b) => text(b)).join(' | ')}`)
  return found
}
