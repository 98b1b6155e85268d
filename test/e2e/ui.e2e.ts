/**
 * attune/ui in real Chromium (DESIGN.md promise 6): `<attune-why>`, `<attune-preferences>` and a
 * zero-party question on a page served with `Content-Security-Policy: default-src 'self';
 * style-src 'self'` — so no inline style can have been needed — audited by axe-core with their
 * shadow roots, and driven by the keyboard alone: consent switches, editing an answer, removing
 * what was learned, downloading the JSON export and deleting everything.
 */
import { readFile } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { AxeResults } from 'axe-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { Attune, AttuneExport } from '../../src/createAttune'
import { launch, serve, storageSnapshot, waitForLoaded, type Route, type TestServer } from './harness'

declare global {
  interface Window {
    __a: Attune
    __errors?: string[]
    /** `securitypolicyviolation` events the page saw, as `directive: blocked sample`. */
    __cspViolations?: string[]
  }
}

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const DIST = join(ROOT, 'dist')
const CSP = "default-src 'self'; style-src 'self'; report-uri /csp-report"
const PAGE = '/ui.html'

let browser: Browser
let server: TestServer
const contexts: BrowserContext[] = []
/** CSP reports Chromium sent, by directive. */
const reports: string[] = []

/**
 * The page with its CSP; axe-core from node_modules (a same-origin script, since the policy
 * refuses inline ones, `addScriptTag({ content })` included); the ESM build under `/esm/` with
 * its one bare import (`idb-keyval`) resolved, since the policy refuses inline import maps too.
 */
const routes: Route = (req, res, body) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  const send = (file: string, type: string, edit = (s: string) => s): true => {
    readFile(file, 'utf8').then(
      (code) => res.writeHead(200, { 'Content-Type': type, ...(type.startsWith('text/html') && { 'Content-Security-Policy': CSP }) }).end(edit(code)),
      () => res.writeHead(404).end('not found'),
    )
    return true
  }
  if (path === '/csp-report') {
    reports.push((JSON.parse(body) as { 'csp-report': { 'effective-directive': string } })['csp-report']['effective-directive'])
    res.writeHead(204).end()
    return true
  }
  if (path === PAGE) return send(join(ROOT, 'test/e2e/pages/ui.html'), 'text/html; charset=utf-8')
  if (path === '/axe.min.js') return send(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'text/javascript; charset=utf-8')
  if (!path.startsWith('/esm/')) return false
  const file = resolve(DIST, '.' + path.slice('/esm'.length))
  if (!file.startsWith(DIST + sep) || !file.endsWith('.js')) return false
  return send(file, 'text/javascript; charset=utf-8', (code) =>
    code.replace(/(from\s*|import\s*\(\s*)(['"])idb-keyval\2/g, '$1$2/node_modules/idb-keyval/dist/index.js$2'),
  )
}

beforeAll(async () => {
  server = await serve([routes])
  browser = await launch()
})
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close()
})
afterAll(async () => {
  await browser?.close()
  await server?.close()
})

/** What has focus, looking through shadow roots. */
interface Focus {
  tag: string
  text: string
  role: string | null
  /** The custom element whose shadow root holds it, if any. */
  host: string | null
  outline: string
}

const focused = (page: Page): Promise<Focus | null> =>
  page.evaluate(() => {
    let el = document.activeElement
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement
    if (!el || el === document.body) return null
    const style = getComputedStyle(el)
    return {
      tag: el.localName,
      text: (el.textContent ?? '').replace(/\s+/g, ' ').trim(),
      role: el.getAttribute('role'),
      host: ((el.getRootNode() as ShadowRoot).host as Element | undefined)?.localName ?? null,
      outline: `${style.outlineStyle} ${style.outlineWidth}`,
    }
  })

/** Presses Tab (Shift+Tab when `back`) until the focused control's text starts with `text`. */
const tabTo = async (page: Page, text: string, back = false): Promise<Focus> => {
  const seen: string[] = []
  for (let i = 0; i < 80; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab')
    const f = await focused(page)
    if (f?.text.startsWith(text)) return f
    seen.push(f?.text ?? '(body)')
  }
  throw new Error(`Tab never reached "${text}"; it went through: ${seen.join(' | ')}`)
}

const deepText = (page: Page, selector: string): Promise<string> =>
  page.evaluate((selector) => {
    const [host, inner] = selector.split(' >>> ')
    const el = inner ? document.querySelector(host!)?.shadowRoot?.querySelector(inner) : document.querySelector(host!)
    return ((el as HTMLElement | null | undefined)?.innerText ?? '').replace(/\s+/g, ' ').trim()
  }, selector)

const status = (page: Page): Promise<string> => deepText(page, 'attune-preferences >>> [role="status"]')

/**
 * Waits until the profile stored in IndexedDB counts `n` product views (so a reload keeps them).
 * Polled with `evaluate`, which awaits the read: `waitForFunction` takes the promise an async
 * predicate returns for a truthy answer, so it would not wait at all.
 */
const stored = (page: Page, n: number, site = 'shop-1'): Promise<void> =>
  expect
    .poll(() =>
      page.evaluate(
        async ([n, site]) =>
          // Never open attune's database before attune has made it: that would create it without its store.
          (await indexedDB.databases()).some((d) => d.name === `attune-${site}`) &&
          new Promise<boolean>((resolve) => {
            const open = indexedDB.open(`attune-${site}`)
            open.onerror = () => resolve(false)
            open.onsuccess = () => {
              const db = open.result
              const get = db.transaction('kv').objectStore('kv').get('profile')
              get.onerror = () => resolve(false)
              get.onsuccess = () => {
                db.close()
                const devices = Object.values((get.result as { devices?: Record<string, { counters: Record<string, number> }> } | undefined)?.devices ?? {})
                resolve(devices.some((d) => d.counters.product_views === n))
              }
            }
          }),
        [n, site] as const,
      ),
      { timeout: 10_000 },
    )
    .toBe(true)

/**
 * A shopper who granted everything and looked at four pairs of running shoes, back on the page:
 * the hero shows the running variant.
 */
const shopper = async (): Promise<Page> => {
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  await page.goto(server.url + PAGE)
  await page.waitForFunction(() => !!window.__a)
  await page.evaluate(async () => {
    window.__a.consent.grant()
    await window.__a.profile.export()
    for (let i = 0; i < 4; i++) window.__a.track('product_viewed', { product_id: `sku-${i}`, category: 'Running' })
  })
  await stored(page, 4)
  await page.reload()
  await page.waitForFunction(() => document.querySelector('[data-attune-slot="hero"]')?.textContent === 'New running shoes')
  await page.waitForFunction(() => document.querySelector('[data-attune-ask]')?.getAttribute('data-attune-state') === 'asking')
  return page
}

/** axe-core over the whole document, shadow roots included. */
const audit = async (page: Page): Promise<{ violations: string[]; shadowNodes: number }> => {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ url: '/axe.min.js' })
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<AxeResults> } }).axe
    const results = await axe.run(document)
    // A node inside a shadow root has a target of selectors per shadow host: an array in the array.
    const inShadow = [...results.passes, ...results.violations].flatMap((r) => r.nodes).filter((n) => n.target.some((t) => Array.isArray(t)))
    return {
      violations: results.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`),
      shadowNodes: inShadow.length,
    }
  })
}

/** No CSP violation was seen, while the page can see one (an inline style attribute, set on purpose). */
const expectNoViolations = async (page: Page): Promise<void> => {
  expect(await page.evaluate(() => window.__cspViolations)).toEqual([])
  expect(await page.evaluate(() => window.__errors)).toEqual([])
  await page.evaluate(() => document.body.setAttribute('style', 'color: red'))
  await page.waitForFunction(() => window.__cspViolations?.length === 1)
  expect(await page.evaluate(() => window.__cspViolations)).toEqual([expect.stringMatching(/^style-src-attr: inline/)])
}

describe('attune/ui in Chromium under a strict CSP', () => {
  it('has zero axe-core violations, shadow roots included, in every state of the elements', async () => {
    const page = await shopper()
    const first = await audit(page)
    expect(first.violations).toEqual([])
    // axe looked inside the shadow roots (the preference center alone holds dozens of nodes).
    expect(first.shadowNodes).toBeGreaterThan(20)

    // The disclosure open, an answer being edited, deletion being confirmed.
    await page.evaluate(() => document.querySelector('attune-why')!.shadowRoot!.querySelector('button')!.click())
    await page.evaluate(() => (document.querySelector('[data-attune-ask] button') as HTMLButtonElement).click())
    await page.waitForFunction(() => document.querySelector('attune-preferences')?.shadowRoot?.textContent?.includes('Your shoe size?: 38'))
    await page.evaluate(() => {
      const root = document.querySelector('attune-preferences')!.shadowRoot!
      const buttons = () => Array.from(root.querySelectorAll('button'))
      buttons().find((b) => b.textContent?.startsWith('Edit'))!.click()
      buttons().find((b) => b.textContent === 'Delete everything')!.click()
    })
    expect((await audit(page)).violations).toEqual([])

    // After deleting everything: the empty state.
    await page.evaluate(() => {
      const root = document.querySelector('attune-preferences')!.shadowRoot!
      Array.from(root.querySelectorAll('button')).find((b) => b.textContent === 'Yes, delete everything')!.click()
    })
    await page.waitForFunction(() => document.querySelector('attune-preferences')?.shadowRoot?.textContent?.includes('Personalization is off'))
    expect((await audit(page)).violations).toEqual([])
    // And axe would have told: a nameless button slipped into the shadow root is caught.
    await page.evaluate(() => document.querySelector('attune-preferences')!.shadowRoot!.querySelector('section')!.append(document.createElement('button')))
    expect((await audit(page)).violations).toEqual([expect.stringMatching(/^button-name \(critical\): \[\["#preferences",/)])
    await expectNoViolations(page)
  })

  it('is styled by constructable stylesheets alone: no <style>, no style attribute', async () => {
    const page = await shopper()
    const styled = await page.evaluate(() => {
      const why = document.querySelector('attune-why')!.shadowRoot!
      const center = document.querySelector('attune-preferences')!.shadowRoot!
      return {
        sheets: [why.adoptedStyleSheets.length, center.adoptedStyleSheets.length],
        inline: [why, center].flatMap((root) => Array.from(root.querySelectorAll('style, [style]'))).length + document.querySelectorAll('style, [style]').length,
        // The switch track is an empty span: it has a size only through the adopted sheet.
        track: getComputedStyle(center.querySelector('.track')!).width,
        // Themed with a custom property set on the host by the page's own stylesheet? None here: the default.
        accent: getComputedStyle(center.querySelector('[aria-checked="true"] .track')!).backgroundColor,
      }
    })
    expect(styled).toEqual({ sheets: [1, 1], inline: 0, track: '40px', accent: 'rgb(11, 87, 208)' })
    await expectNoViolations(page)
    expect(reports.filter((r) => r !== 'style-src-attr')).toEqual([])
  })

  it('is operable by keyboard alone: why, the question, switches, edit, remove, download and delete', async () => {
    const page = await shopper()

    // "Why am I seeing this?": Enter opens, Escape closes and leaves focus on the button.
    let f = await tabTo(page, 'Why am I seeing this?')
    expect(f).toMatchObject({ tag: 'button', host: 'attune-why', outline: 'solid 3px' })
    await page.keyboard.press('Enter')
    expect(await deepText(page, 'attune-why >>> #why')).toBe('Shown because you viewed running products recently. See and change what we know about you')
    expect(await page.evaluate(() => document.querySelector('attune-why')!.shadowRoot!.querySelector('button')!.getAttribute('aria-expanded'))).toBe('true')
    await page.keyboard.press('Escape')
    expect(await page.evaluate(() => document.querySelector('attune-why')!.shadowRoot!.querySelector('button')!.getAttribute('aria-expanded'))).toBe('false')
    expect((await focused(page))?.text).toBe('Why am I seeing this?')

    // The question: Space on "41" answers it; focus moves to the thank-you note.
    await tabTo(page, '41')
    await page.keyboard.press('Space')
    expect(await page.evaluate(() => window.__a.profile.get().interests)).toEqual({ size: '41' })
    expect(await focused(page)).toMatchObject({ tag: 'p', text: 'Thanks, saved. Change it in your preferences' })

    // A switch: Space turns measurement off, and on again; the state is in aria-checked.
    f = await tabTo(page, 'Measurement')
    expect(f).toMatchObject({ role: 'switch', host: 'attune-preferences', outline: 'solid 3px' })
    await page.keyboard.press('Space')
    expect(await page.evaluate(() => window.__a.consent.get().measurement)).toBe(false)
    expect(await status(page)).toBe('Measurement is off.')
    expect((await focused(page))?.text).toBe('Measurement')
    await page.keyboard.press('Space')
    expect(await page.evaluate(() => window.__a.consent.get().measurement)).toBe(true)

    // Edit the answer: Enter opens a field with focus in it; an arrow key picks, Save saves.
    await tabTo(page, 'Edit Your shoe size?')
    await page.keyboard.press('Enter')
    expect(await focused(page)).toMatchObject({ tag: 'select' })
    await page.keyboard.press('ArrowDown')
    await page.keyboard.press('Tab')
    expect((await focused(page))?.text).toBe('Save')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => window.__a.profile.get().interests.size === '42')
    expect(await status(page)).toBe('Saved “Your shoe size?”: 42.')
    expect((await focused(page))?.text).toBe('Edit Your shoe size?')

    // Remove what was learned: focus goes to the section heading.
    await tabTo(page, 'Remove running')
    await page.keyboard.press('Enter')
    expect(await page.evaluate(() => window.__a.profile.get().affinities)).toEqual({})
    expect((await focused(page))?.text).toBe('What we learned from your visits')

    // Download: Enter saves a JSON file holding the export.
    await tabTo(page, 'Download my data')
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')])
    expect(download.suggestedFilename()).toBe('shop-1-my-data.json')
    const data = JSON.parse(await readFile((await download.path())!, 'utf8')) as AttuneExport
    expect(data).toMatchObject({ format: 'attune-export', site: 'shop-1', view: { interests: { size: '42' }, counters: { product_views: 4 } } })
    expect(await status(page)).toBe('Downloaded shop-1-my-data.json.')

    // Delete everything: Enter asks; focus on Cancel; Shift+Tab to confirm; Enter deletes.
    await tabTo(page, 'Delete everything')
    await page.keyboard.press('Enter')
    expect((await focused(page))?.text).toBe('Cancel')
    await page.keyboard.press('Shift+Tab')
    expect((await focused(page))?.text).toBe('Yes, delete everything')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelector('attune-preferences')?.shadowRoot?.textContent?.includes('Deleted everything'))
    expect(await page.evaluate(() => window.__a.consent.get())).toEqual({ personalization: false, measurement: false, sync: false })
    expect((await focused(page))?.text).toBe('Delete everything')
    await expect.poll(() => page.evaluate(async () => (await indexedDB.databases()).length)).toBe(0)
    const left = await storageSnapshot(page)
    expect({ ...left, cookies: left.cookies.length }).toEqual({ cookies: 0, localStorage: [], sessionStorage: [], indexedDB: [], caches: [] })
    // The question went away with consent; the page is as it was served.
    expect(await page.evaluate(() => document.querySelector('[data-attune-ask]')!.childNodes.length)).toBe(0)
    await expectNoViolations(page)
  })
})

describe('attune/ui on a script-tag site (dist/attune-ui.min.js)', () => {
  it('registers the elements with the tag’s instance: why, the question and the preference center work', async () => {
    const context = await browser.newContext()
    contexts.push(context)
    const page = await context.newPage()
    const tag = server.url + '/pages/ui-tag.html'
    // The page's first calls, queued through the stub before the tag loads (as a site's own code
    // would): consent, then three running products, so the hero is decided from them on this page.
    await page.addInitScript(() => {
      const stub = ((...args: unknown[]) => void (stub.q = stub.q ?? []).push(args)) as unknown as typeof window.attune & { q?: unknown[] }
      window.attune = stub
      window.attune('consent', 'grant')
      for (let i = 0; i < 3; i++) window.attune('track', 'product_viewed', { product_id: `sku-${i}`, category: 'Running' })
    })
    await page.goto(tag)
    await waitForLoaded(page)
    await stored(page, 3, 'shop-ui')
    await page.waitForFunction(() => document.querySelector('[data-attune-slot="hero"]')?.textContent === 'New running shoes')
    await page.waitForFunction(() => document.querySelector('[data-attune-ask]')?.getAttribute('data-attune-state') === 'asking')
    await tabTo(page, 'Why am I seeing this?')
    await page.keyboard.press('Enter')
    expect(await deepText(page, 'attune-why >>> #why')).toBe('Shown because you viewed running products recently. See and change what we know about you')
    expect(await page.evaluate(() => document.querySelector('attune-why')!.shadowRoot!.querySelector('a')!.getAttribute('href'))).toBe('#preferences')
    await tabTo(page, '39')
    await page.keyboard.press('Enter')
    await page.waitForFunction(() => document.querySelector('attune-preferences')?.shadowRoot?.textContent?.includes('Your shoe size?: 39'))
    expect(await deepText(page, 'attune-preferences >>> section')).toContain('running (category) — from about 3 products you viewed recently.')
    expect((await audit(page)).violations).toEqual([])
  })
})
