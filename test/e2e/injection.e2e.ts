/**
 * DESIGN.md promise 5, "No script injection, ever", in real Chromium with the npm build: XSS, mXSS
 * and DOM-clobbering payloads (test/e2e/injection-payloads.ts) go through every way content reaches
 * a page — the site's `<template>` variants, declarative variants from the config, text and
 * attribute edits, and config strings — on pages served with a strict CSP and Trusted Types
 * enforced. No script runs, no handler or `javascript:`/`data:` URL reaches the DOM, nothing
 * clobbers `window` or `document`, attune causes no CSP violation, and every slot still shows
 * content: the default, or the variant made safe.
 */
import { readFile } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launch, serve, type Route, type TestServer } from './harness'
import {
  HOSTILE_FORCE,
  HOSTILE_SLOT_NAMES,
  HOSTILE_TEMPLATE_ATTRS,
  INERT_CONFIG_STRINGS,
  INERT_CONTENT,
  INERT_EDITS,
  REFUSED_CONFIG_STRINGS,
  REFUSED_CONTENT,
  REFUSED_EDITS,
  REFUSED_ON_PAGE_EDITS,
  TEMPLATE_PAYLOADS,
} from './injection-payloads'

/** One group of slots, run by its own attune instance (see test/e2e/pages/injection.js). */
interface Group {
  /** The site config, as JSON text. */
  config: string
  /** Events tracked before `apply()`: `[name, props]`. */
  track?: Array<[string, Record<string, unknown>]>
}

interface Decided {
  slot: string
  variant: string | null
  reason: string
  text: string
}

interface GroupResult {
  /** What the instance's `on('error')` heard, as `code: message`. */
  errors: string[]
  decisions: Decided[]
}

declare global {
  interface Window {
    __run(groups: Group[]): Promise<GroupResult[]>
    __loaded?: boolean
    __violations: Array<{ directive: string; blocked: string; sample: string; at: string }>
    __pwned?: boolean
    __pwnedBy?: string[]
    pwn(from?: string): void
  }
}

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const DIST = join(ROOT, 'dist')

/** The policy of the issue, plus where Chromium reports violations. */
const CSP = "default-src 'self'; require-trusted-types-for 'script'; report-uri /csp-report"

let browser: Browser
let server: TestServer
/** Generated pages by path (`/inj/<name>.html`), served with {@link CSP}. */
const pages = new Map<string, string>()
const contexts: BrowserContext[] = []
/** The CSP reports Chromium sent: the page's path and query, and the violated directive. */
const reports: Array<{ page: string; directive: string }> = []

/**
 * The test's routes: the generated pages with their CSP header, the report endpoint, and the ESM
 * build under `/esm/`. A CSP without `'unsafe-inline'` blocks inline import maps, so the one bare
 * import of the build (`idb-keyval`) is resolved here instead, to the same file the other pages'
 * import map names.
 */
const routes: Route = (req, res, body) => {
  const path = new URL(req.url ?? '/', 'http://x').pathname
  if (path === '/csp-report') {
    const report = (JSON.parse(body) as { 'csp-report': { 'document-uri': string; 'effective-directive': string } })['csp-report']
    const uri = new URL(report['document-uri'])
    reports.push({ page: uri.pathname + uri.search, directive: report['effective-directive'] })
    res.writeHead(204).end()
    return true
  }
  const page = pages.get(path)
  if (page !== undefined) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': CSP }).end(page)
    return true
  }
  if (!path.startsWith('/esm/')) return false
  const file = resolve(DIST, '.' + path.slice('/esm'.length))
  if (!file.startsWith(DIST + sep) || !file.endsWith('.js')) return false
  readFile(file, 'utf8').then(
    (code) => {
      const mapped = code.replace(/(from\s*|import\s*\(\s*)(['"])idb-keyval\2/g, '$1$2/node_modules/idb-keyval/dist/index.js$2')
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(mapped)
    },
    () => res.writeHead(404).end('not found'),
  )
  return true
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

/** Text and attribute values for HTML source. */
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

const html = (body: string): string => `<!doctype html>
<html lang="en" class="attune-loading">
  <head>
    <meta charset="utf-8">
    <title>Injection — Example Sports</title>
    <link rel="stylesheet" href="/dist/attune.css">
    <script src="/pages/injection-guard.js"></script>
    <script type="module" src="/pages/injection.js"></script>
  </head>
  <body>
    <h1>Example Sports</h1>
${body}
  </body>
</html>
`

const slot = (name: string, inner = `<p>default ${esc(name)}</p>`): string => `<div data-attune-slot="${esc(name)}">${inner}</div>`

const groupOf = (i: number, inner: string): string => `<div data-group="${i}">\n${inner}\n</div>`

const forceQuery = (entries: readonly string[]): string => `?attune_force=${encodeURIComponent(entries.join(','))}`

/** What a slot and the page hold that variant content never may. */
interface Audit {
  slots: Array<{ name: string; shown: boolean; text: string; elements: number; findings: string[] }>
  /** Handlers and script URLs anywhere in the document (the page itself has none). */
  anywhere: string[]
  /** Elements variant content must never add, and elements with `id` or `name`, in the document. */
  counts: Record<string, number>
}

/**
 * Audits the live page (no `source`), or markup parsed afresh into inert template content, as
 * code that re-parses a page's serialisation would (mXSS: markup that changes meaning when parsed
 * again). Runs in a page, so it is self-contained. Template contents are not looked into, as
 * `querySelectorAll` does not enter them: they are inert.
 */
const audit = (source?: string): Audit => {
  let d: Document | DocumentFragment = document
  if (source !== undefined) {
    const template = document.createElement('template')
    template.innerHTML = source
    d = template.content
  }
  const scope = source === undefined ? 'body ' : ''
  const XHTML = 'http://www.w3.org/1999/xhtml'
  const FORBIDDEN = (
    'script iframe frame frameset object embed applet base meta link style form input textarea select option portal ' +
    'noscript template svg math xmp noembed noframes title isindex keygen video audio marquee plaintext'
  ).split(' ')
  const URLS = (
    'href src action formaction xlink:href data poster background srcset cite codebase ping lowsrc dynsrc longdesc usemap ' +
    'manifest icon classid archive'
  ).split(' ')
  const scriptUrl = (name: string, value: string): boolean =>
    (name === 'srcset' ? value.split(',').map((part) => part.trim().split(/\s+/)[0] ?? '') : [value]).some((part) => {
      let v = part.replace(/[\t\n\r]/g, '')
      while (v && v.charCodeAt(0) <= 0x20) v = v.slice(1)
      let protocol = ''
      try {
        protocol = new URL(v, d.baseURI).protocol
      } catch {
        // Not a URL at all: nothing to navigate to.
      }
      return /^(javascript|data|vbscript):/i.test(v) || ['javascript:', 'data:', 'vbscript:'].includes(protocol)
    })
  const problems = (root: ParentNode, strict: boolean): string[] => {
    const found: string[] = []
    for (const el of Array.from(root.querySelectorAll('*'))) {
      const tag = `<${el.localName}>`
      if (strict && el.namespaceURI !== XHTML) found.push(`foreign ${tag}`)
      if (strict && FORBIDDEN.includes(el.localName)) found.push(tag)
      if (strict && el.shadowRoot) found.push(`shadow root on ${tag}`)
      for (const { name, value } of Array.from(el.attributes)) {
        const n = name.toLowerCase()
        if (n.startsWith('on')) found.push(`${n}="${value}" on ${tag}`)
        else if (URLS.includes(n) && scriptUrl(n, value)) found.push(`${n}="${value}" on ${tag}`)
        else if (strict && /^(id|name|style|srcdoc|formaction|action|is)$/.test(n)) found.push(`${n} on ${tag}`)
      }
    }
    return found
  }
  const counts: Record<string, number> = {}
  for (const tag of FORBIDDEN) counts[tag] = d.querySelectorAll(tag).length
  counts['[id], [name]'] = d.querySelectorAll(`${scope}[id], ${scope}[name]`).length
  return {
    slots: Array.from(d.querySelectorAll('[data-attune-slot]')).map((el) => ({
      name: el.getAttribute('data-attune-slot') ?? '',
      shown: el.hasAttribute('data-attune-shown'),
      text: el.textContent ?? '',
      elements: el.childElementCount,
      findings: problems(el, true),
    })),
    anywhere: problems(d, false),
    counts,
  }
}

/** The page's global state the payloads aim at. Runs in the page. */
const globals = () => {
  const isNode = (v: unknown): boolean => v instanceof Node || v instanceof HTMLCollection || v instanceof NodeList
  const checks: Array<[string, boolean]> = [
    ['window.attune is still undefined', window.attune === undefined],
    ['document.cookie is a string', typeof document.cookie === 'string'],
    ['document.body is the body', document.body instanceof HTMLBodyElement],
    ['document.location is location', document.location === location],
    ['document.defaultView is window', document.defaultView === window],
    ['document.getElementById is a function', typeof document.getElementById === 'function'],
    ['document.querySelector is a function', typeof document.querySelector === 'function'],
    ['document.createElement is a function', typeof document.createElement === 'function'],
    ['document.forms is empty', document.forms.length === 0],
    ['window.pwn is the canary', typeof window.pwn === 'function'],
  ]
  const names = 'attune cookie getElementById querySelector location defaultView __pwned attributes nodeName href attune-config config pwn'
  for (const name of names.split(' ')) {
    checks.push([`window["${name}"] is no element`, !isNode((window as unknown as Record<string, unknown>)[name])])
    checks.push([`document["${name}"] is no element`, !isNode((document as unknown as Record<string, unknown>)[name])])
  }
  return {
    pwned: { flag: window.__pwned ?? null, by: window.__pwnedBy ?? [] },
    violations: window.__violations,
    clobbered: checks.filter(([, ok]) => !ok).map(([what]) => what),
    loading: document.documentElement.classList.contains('attune-loading'),
    title: document.title,
    href: location.href,
  }
}

/** Audits the page's body as it is now, parsed again in a blank page (no CSP there, nothing runs). */
const reparsed = async (page: Page): Promise<Audit> => {
  const source = await page.evaluate(() => document.body.innerHTML)
  const blank = await page.context().newPage()
  try {
    return await blank.evaluate(audit, source)
  } finally {
    await blank.close()
  }
}

interface Visit {
  page: Page
  results: GroupResult[]
  before: Audit
  after: Audit
  reparsedBefore: Audit
  reparsedAfter: Audit
  /** Each slot's `innerHTML` before attune ran, by slot name. */
  defaults: Map<string, string>
  state: ReturnType<typeof globals>
  /** CSP violations the page caused before attune ran (its own markup). */
  violationsBefore: Window['__violations']
  /** The CSP reports about this page, by directive. Chromium sends each distinct report once. */
  reports: () => string[]
  /** How many of them the page's own markup caused, before attune ran. */
  reportsBefore: number
  dialogs: string[]
  pageErrors: string[]
  navigations: string[]
  /** Paths the server was asked for during the visit. */
  requested: string[]
}

/**
 * Serves `body` as page `name` under the CSP, opens it (at `query`), runs the groups, waits for
 * anything the payloads could have started (image errors, frames, timers), and collects the
 * evidence.
 */
const visit = async (name: string, body: string, groups: Group[], query = ''): Promise<Visit> => {
  const path = `/inj/${name}.html`
  pages.set(path, html(body))
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  const dialogs: string[] = []
  const pageErrors: string[] = []
  const navigations: string[] = []
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`)
    void dialog.dismiss()
  })
  page.on('pageerror', (error) => pageErrors.push(String(error)))
  page.on('framenavigated', (frame) => navigations.push(frame.url()))
  const first = server.requests.length
  await page.goto(server.url + path + query)
  await page.waitForFunction(() => window.__loaded === true, undefined, { timeout: 10_000, polling: 50 })
  navigations.length = 0
  const violationsBefore = await page.evaluate(() => [...window.__violations])
  const pageReports = (): string[] => reports.filter((r) => r.page === path + query).map((r) => r.directive)
  // Reports travel on their own: wait for the page's own ones, so that later ones are attune's.
  const distinct = (list: string[]): string[] => [...new Set(list)].sort()
  await expect.poll(() => distinct(pageReports()), { timeout: 10_000 }).toEqual(distinct(violationsBefore.map((x) => x.directive)))
  const reportsBefore = pageReports().length
  const before = await page.evaluate(audit, undefined)
  const reparsedBefore = await reparsed(page)
  const defaults = new Map(
    await page.evaluate(() => Array.from(document.querySelectorAll('[data-attune-slot]'), (el): [string, string] => [el.getAttribute('data-attune-slot') ?? '', el.innerHTML])),
  )
  const results = await page.evaluate((groups) => window.__run(groups), groups)
  // Time for whatever a payload could have started: image loads and errors, frames, timers, reports.
  await page.waitForTimeout(1_000)
  const after = await page.evaluate(audit, undefined)
  const reparsedAfter = await reparsed(page)
  const state = await page.evaluate(globals)
  const requested = server.requests.slice(first).map((r) => r.path)
  return { page, results, before, after, reparsedBefore, reparsedAfter, defaults, state, violationsBefore, reports: pageReports, reportsBefore, dialogs, pageErrors, navigations, requested }
}

/**
 * Everything promise 5 forbids, for every page. `ownViolations` says the page's own markup causes
 * CSP violations before attune runs: Chromium reports an inline handler or style attribute when
 * the parser creates it, even inside inert `<template>` content, so a page whose templates hold
 * `onerror=` does. Attune must add none.
 */
const expectNothingInjected = (v: Visit, ownViolations = false): void => {
  expect(v.state.pwned, 'the canary was called').toEqual({ flag: null, by: [] })
  expect(v.dialogs, 'dialogs opened').toEqual([])
  expect(v.pageErrors, 'errors thrown into the page').toEqual([])
  if (ownViolations) {
    expect(v.violationsBefore.length).toBeGreaterThan(0)
    expect(v.violationsBefore.filter((x) => !/^(script|style)-src-attr$/.test(x.directive) || x.blocked !== 'inline')).toEqual([])
  } else expect(v.violationsBefore, 'CSP violations by the page itself').toEqual([])
  expect(v.state.violations, 'CSP violations by attune').toEqual(v.violationsBefore)
  // The listener sees every violation; reports are a second witness (deduplicated by Chromium).
  expect(v.reports().length, 'CSP reports').toBe(v.reportsBefore)
  expect(v.state.clobbered, 'clobbered globals').toEqual([])
  expect(v.navigations, 'navigations').toEqual([])
  expect(v.state.title).toBe('Injection — Example Sports')
  expect(v.state.loading, 'anti-flicker class left on').toBe(false)
  expect(v.requested.filter((p) => p.startsWith('/pages/pwn')), 'hostile resources fetched').toEqual([])

  for (const [name, a, b] of [
    ['live', v.before, v.after],
    ['re-parsed', v.reparsedBefore, v.reparsedAfter],
  ] as const) {
    expect(b.anywhere, `${name}: handlers or script URLs in the document`).toEqual([])
    // Nothing forbidden was added anywhere (a text edit may remove a slot's own <script>).
    for (const [tag, n] of Object.entries(b.counts)) expect(n, `${name}: ${tag} in the document`).toBeLessThanOrEqual(a.counts[tag] ?? 0)
    // A slot holds nothing forbidden that its default content did not already hold.
    const had = new Map(a.slots.map((s) => [s.name, new Set(s.findings)]))
    const added = b.slots.flatMap((s) => s.findings.filter((f) => !had.get(s.name)?.has(f)).map((f) => `${s.name}: ${f}`))
    expect(added, `${name}: forbidden content in slots`).toEqual([])
  }
  // The page never breaks: every slot is shown, with some content.
  expect(v.after.slots.length).toBe(v.before.slots.length)
  expect(v.after.slots.filter((s) => !s.shown || (!s.text.trim() && !s.elements)).map((s) => s.name), 'slots hidden or empty').toEqual([])
  // Explanations are plain sentences, whatever the ids and tags held.
  const sentence =
    /^(Forced for testing|Shown as part of an experiment to improve this page|Shown because you match “[\p{L} ]+”|Picked for shoppers like you|Shown because you viewed [\p{L} ]+ products recently|Picked from products you viewed recently|This is our standard content)$/u
  for (const d of v.results.flatMap((r) => r.decisions)) expect(d.text, `explain(${JSON.stringify(d.slot)})`).toMatch(sentence)
}

/** The decision of `slot` in the results, failing when there is none. */
const decisionOf = (v: Visit, slot: string): Decided => {
  const found = v.results.flatMap((r) => r.decisions).find((d) => d.slot === slot)
  if (!found) throw new Error(`no decision for slot ${JSON.stringify(slot)}`)
  return found
}

const slotHtml = (page: Page, name: string): Promise<string> =>
  page.evaluate((name) => Array.from(document.querySelectorAll('[data-attune-slot]')).find((el) => el.getAttribute('data-attune-slot') === name)?.innerHTML ?? '', name)

/** Contents a slot may hold: the JSON-LD a product page carries, links, images, a frame, a stylesheet, SVG. */
const RICH_DEFAULT = (name: string): string =>
  `<h3>default ${esc(name)}</h3><p class="t">text of ${esc(name)}</p><a href="/pages/ok">link</a><img src="/pages/none.png" alt="pic">` +
  '<button type="button">buy</button><script type="application/ld+json">{"@context":"https://schema.org","@type":"Product","name":"Trail shoe","category":"running"}</script>' +
  '<link rel="stylesheet" href="/dist/attune.css"><iframe title="frame"></iframe><svg width="1" height="1"><rect width="1" height="1"></rect></svg>'

const everyone = { id: 'everyone', condition: { all: [] } }

describe('injection: every content path under a strict CSP with Trusted Types', () => {
  it('the evidence works: a same-origin script, a handler and a Trusted Types sink are all seen and reported', async () => {
    // Without this, a payload that ran could go unnoticed and the tests below would prove nothing.
    const body = groupOf(0, slot('s')) + '<template class="control"><script src="/pages/pwn.js"></script><img src="x" onerror="pwn(\'handler\')"></template>'
    const v = await visit('control', body, [{ config: '{}' }])
    // The template's handler is reported when parsed (see expectNothingInjected); nothing else yet.
    expect(v.violationsBefore.map((x) => x.directive)).toEqual(['script-src-attr'])
    expect(v.state.pwned.flag).toBeNull()
    expect(v.state.violations).toEqual(v.violationsBefore)
    await v.page.evaluate(() => {
      // Unsanitised template content in the page: the same-origin script runs (`default-src 'self'`
      // allows it), the inline handler is blocked and reported.
      document.body.append((document.querySelector('template.control') as HTMLTemplateElement).content.cloneNode(true))
      // An HTML string sink is refused by Trusted Types, and reported.
      try {
        document.createElement('div').innerHTML = '<b>x</b>'
      } catch {
        // TypeError: this document requires 'TrustedHTML' assignment.
      }
    })
    await expect.poll(() => v.page.evaluate(() => window.__pwnedBy ?? []), { timeout: 5_000 }).toEqual(['pwn.js'])
    const seen = (): Promise<string[]> => v.page.evaluate(() => window.__violations.map((x) => x.directive))
    await expect.poll(seen, { timeout: 5_000 }).toEqual(expect.arrayContaining(['script-src-attr', 'script-src-attr', 'require-trusted-types-for']))
    await expect.poll(() => new Set(v.reports()), { timeout: 10_000 }).toEqual(new Set(['script-src-attr', 'require-trusted-types-for']))
    expect((await v.page.evaluate(audit, undefined)).anywhere).toEqual([`onerror="pwn('handler')" on <img>`])
  })

  it(`page templates: ${TEMPLATE_PAYLOADS.length} hostile markups and ${HOSTILE_TEMPLATE_ATTRS.length} hostile data-attune-* attribute sets`, async () => {
    // Each payload after a marker paragraph, in a template of its own slot, chosen by an audience everyone is in.
    const templates = TEMPLATE_PAYLOADS.map(
      (payload, i) => `${slot(`t${i}`)}\n<template data-attune-variant="t${i}" data-attune-id="v" data-attune-audience="everyone"><p>variant t${i}</p>${payload}</template>`,
    )
    const attrSlots = [...new Set(HOSTILE_TEMPLATE_ATTRS.map((t) => t.variant as string))].map((name) => slot(name))
    const attrTemplates = HOSTILE_TEMPLATE_ATTRS.map(
      (t) => `<template ${Object.entries(t).map(([k, value]) => `data-attune-${k}="${esc(value)}"`).join(' ')}><p>variant of ${esc(t.variant as string)}</p></template>`,
    )
    const body = groupOf(0, [...templates, ...attrSlots, ...attrTemplates].join('\n'))
    const v = await visit('templates', body, [{ config: JSON.stringify({ audiences: [everyone] }) }])

    // The page is as written: every template parsed as one template (no payload leaked out of it).
    const ids = await v.page.evaluate(() => Array.from(document.querySelectorAll('template[data-attune-variant]'), (t) => t.getAttribute('data-attune-variant')))
    expect(ids.slice(0, TEMPLATE_PAYLOADS.length)).toEqual(TEMPLATE_PAYLOADS.map((_, i) => `t${i}`))
    expect(ids.length).toBe(TEMPLATE_PAYLOADS.length + HOSTILE_TEMPLATE_ATTRS.length)

    expectNothingInjected(v, true)
    // Every hostile template was shown, made safe: its marker is there, whatever else was removed.
    for (const [i] of TEMPLATE_PAYLOADS.entries()) {
      expect(decisionOf(v, `t${i}`), TEMPLATE_PAYLOADS[i]).toMatchObject({ variant: 'v', reason: 'audience' })
      expect(v.after.slots.find((s) => s.name === `t${i}`)?.text, TEMPLATE_PAYLOADS[i]).toContain(`variant t${i}`)
    }
    // What was removed is reported, and only as config problems.
    const errors = v.results[0]?.errors ?? []
    expect(errors.filter((e) => e.startsWith('config: Removed from the template')).length).toBeGreaterThan(TEMPLATE_PAYLOADS.length / 2)
    expect(errors.filter((e) => !e.startsWith('config: '))).toEqual([])
    // Malformed template attributes leave their slot on its default; well-formed hostile tags are only data.
    for (const name of ['h0', 'h1', 'h2']) expect(decisionOf(v, name)).toMatchObject({ variant: null, reason: 'default' })
    expect(decisionOf(v, 'x<script>pwn()</script>')).toMatchObject({ variant: null, reason: 'default' })
    expect(decisionOf(v, 'h3')).toMatchObject({ variant: 'v', reason: 'audience' })
    expect(v.after.slots.find((s) => s.name === 'h3')?.text).toBe('variant of h3')
  })

  it(`declarative variants: ${REFUSED_CONTENT.length} refused trees and ${INERT_CONTENT.length} trees whose hostile strings stay inert`, async () => {
    const inert = INERT_CONTENT.map((_, i) => slot(`d${i}`)).join('\n')
    const refused = REFUSED_CONTENT.map((_, i) => groupOf(i + 1, slot(`r${i}`)))
    const groups: Group[] = [
      { config: JSON.stringify({ allowForce: true, variants: Object.fromEntries(INERT_CONTENT.map(({ content }, i) => [`d${i}`, [{ id: 'v', content }]])) }) },
      ...REFUSED_CONTENT.map((content, i) => ({ config: JSON.stringify({ allowForce: true, variants: { [`r${i}`]: [{ id: 'v', content }] } }) })),
    ]
    const force = [...INERT_CONTENT.map((_, i) => `d${i}:v`), ...REFUSED_CONTENT.map((_, i) => `r${i}:v`)]
    const v = await visit('declarative', [groupOf(0, inert), ...refused].join('\n'), groups, forceQuery(force))

    expectNothingInjected(v)
    // Refused trees: not even forced, the slot keeps its default content untouched, and the reason is reported.
    for (const [i, content] of REFUSED_CONTENT.entries()) {
      const why = JSON.stringify(content).slice(0, 200)
      expect(decisionOf(v, `r${i}`), why).toMatchObject({ variant: null, reason: 'default' })
      expect(await slotHtml(v.page, `r${i}`), why).toBe(v.defaults.get(`r${i}`))
      expect(v.results[i + 1]?.errors.some((e) => e.startsWith('config: ')), why).toBe(true)
    }
    // Inert trees: built exactly as declared — hostile text as text, hostile values inside their attributes.
    const built = await v.page.evaluate(
      (cases) =>
        cases.map(({ name, content }) => {
          type Node = string | { tag: string; attrs?: Record<string, string>; children?: Node[] }
          const same = (dom: ChildNode, node: Node): boolean => {
            if (typeof node === 'string') return dom.nodeType === 3 && dom.nodeValue === node
            const el = dom as Element
            const attrs = node.attrs ?? {}
            const kids = node.children ?? []
            return (
              dom.nodeType === 1 &&
              el.localName === node.tag &&
              el.attributes.length === Object.keys(attrs).length &&
              Object.entries(attrs).every(([k, value]) => el.getAttribute(k) === value) &&
              el.childNodes.length === kids.length &&
              kids.every((kid, i) => same(el.childNodes[i] as ChildNode, kid))
            )
          }
          const el = Array.from(document.querySelectorAll('[data-attune-slot]')).find((s) => s.getAttribute('data-attune-slot') === name) as Element
          return el.childNodes.length === content.length && content.every((node, i) => same(el.childNodes[i] as ChildNode, node as Node))
        }),
      INERT_CONTENT.map(({ content }, i) => ({ name: `d${i}`, content })),
    )
    expect(built).toEqual(INERT_CONTENT.map(() => true))
    for (const [i, { text }] of INERT_CONTENT.entries()) {
      expect(decisionOf(v, `d${i}`)).toMatchObject({ variant: 'v', reason: 'forced' })
      if (text !== undefined) expect(v.after.slots.find((s) => s.name === `d${i}`)?.text).toBe(text)
    }
  })

  it(`text and attribute edits: ${REFUSED_EDITS.length} refused by the guard, ${REFUSED_ON_PAGE_EDITS.length} refused on the page, ${INERT_EDITS.length} inert`, async () => {
    const groups: Group[] = [
      // Edits the guard cannot judge: one config, each slot refused (or not) on its own.
      { config: JSON.stringify({ allowForce: true, variants: Object.fromEntries(REFUSED_ON_PAGE_EDITS.map((edits, i) => [`y${i}`, [{ id: 'v', edits }]])) }) },
      { config: JSON.stringify({ allowForce: true, variants: Object.fromEntries(INERT_EDITS.map(({ edits }, i) => [`e${i}`, [{ id: 'v', edits }]])) }) },
      ...REFUSED_EDITS.map((edits, i) => ({ config: JSON.stringify({ allowForce: true, variants: { [`x${i}`]: [{ id: 'v', edits }] } }) })),
    ]
    const body = [
      groupOf(0, REFUSED_ON_PAGE_EDITS.map((_, i) => slot(`y${i}`, RICH_DEFAULT(`y${i}`))).join('\n')),
      groupOf(1, INERT_EDITS.map((_, i) => slot(`e${i}`, RICH_DEFAULT(`e${i}`))).join('\n')),
      ...REFUSED_EDITS.map((_, i) => groupOf(i + 2, slot(`x${i}`, RICH_DEFAULT(`x${i}`)))),
    ].join('\n')
    const force = [...REFUSED_ON_PAGE_EDITS.map((_, i) => `y${i}:v`), ...INERT_EDITS.map((_, i) => `e${i}:v`), ...REFUSED_EDITS.map((_, i) => `x${i}:v`)]
    const v = await visit('edits', body, groups, forceQuery(force))

    expectNothingInjected(v)
    // Refused: the slot is exactly as it was — no half-applied variant — and the reason is reported.
    for (const [prefix, list] of [
      ['y', REFUSED_ON_PAGE_EDITS],
      ['x', REFUSED_EDITS],
    ] as const) {
      for (const [i, edits] of list.entries()) {
        const why = JSON.stringify(edits)
        expect(decisionOf(v, `${prefix}${i}`), why).toMatchObject({ variant: null, reason: 'default' })
        expect(await slotHtml(v.page, `${prefix}${i}`), why).toBe(v.defaults.get(`${prefix}${i}`))
      }
    }
    expect(v.results[0]?.errors.filter((e) => / was not shown: /.test(e)).length).toBe(REFUSED_ON_PAGE_EDITS.length)
    for (const [i] of REFUSED_EDITS.entries()) expect(v.results[i + 2]?.errors.some((e) => e.startsWith('config: ')), JSON.stringify(REFUSED_EDITS[i])).toBe(true)
    // Inert: applied as written, the hostile strings as text and attribute values.
    const applied = await v.page.evaluate(
      (cases) =>
        cases.flatMap(({ name, edits }) => {
          const el = Array.from(document.querySelectorAll('[data-attune-slot]')).find((s) => s.getAttribute('data-attune-slot') === name) as Element
          return (edits as Array<{ select?: string; text?: string; attrs?: Record<string, string> }>).flatMap(({ select, text, attrs = {} }) => {
            const target = select === undefined ? el : el.querySelector(select)
            const wrong: string[] = []
            if (!target) return [`${name}: ${String(select)} is gone`]
            if (text !== undefined && target.textContent !== text) wrong.push(`${name}: text ${JSON.stringify(target.textContent)}`)
            for (const [k, value] of Object.entries(attrs)) if (target.getAttribute(k) !== value) wrong.push(`${name}: ${k}=${JSON.stringify(target.getAttribute(k))}`)
            return wrong
          })
        }),
      INERT_EDITS.map(({ edits }, i) => ({ name: `e${i}`, edits })),
    )
    expect(applied).toEqual([])
    for (const [i, { text }] of INERT_EDITS.entries()) {
      expect(decisionOf(v, `e${i}`)).toMatchObject({ variant: 'v', reason: 'forced' })
      if (text !== undefined) expect(v.after.slots.find((s) => s.name === `e${i}`)?.text).toBe(text)
    }
  })

  it(`config strings: ${REFUSED_CONFIG_STRINGS.length} refused configs, ${INERT_CONFIG_STRINGS.length} hostile values kept as data, ${HOSTILE_SLOT_NAMES.length} slot names, ${HOSTILE_FORCE.length} forced entries`, async () => {
    // One slot per inert value, each with one variant that the value itself gets chosen by (or not).
    const tagged = INERT_CONFIG_STRINGS.flatMap(({ at, value }) => (at === 'tag' ? [value] : []))
    const audiences: unknown[] = [everyone]
    const variants: Record<string, unknown[]> = {}
    const goals: string[] = []
    for (const [i, { at, value }] of INERT_CONFIG_STRINGS.entries()) {
      const id = `i${i}`
      const content = [`variant ${id}`]
      if (at === 'tag') variants[id] = [{ id: 'v', tags: [value], content }]
      else if (at === 'goal') {
        goals.push(value)
        variants[id] = [{ id: 'v', audience: 'everyone', content }]
      } else if (at === 'fact path') {
        // The path reads nothing (no inherited key is a fact), so "not exists" holds.
        audiences.push({ id: `a${i}`, condition: { not: { fact: value, op: 'exists' } } })
        variants[id] = [{ id: 'v', audience: `a${i}`, content }]
      } else if (at === 'condition value') {
        audiences.push({ id: `a${i}`, condition: { any: [{ fact: 'page.title', op: 'eq', value }, { fact: 'page.path', op: 'ne', value }] } })
        variants[id] = [{ id: 'v', audience: `a${i}`, content }]
      } else {
        audiences.push({ id: value, condition: { all: [] } })
        variants[id] = [{ id: 'v', audience: value, content }]
      }
    }
    // The shopper viewed products whose category and brand are the hostile tag values.
    const track = tagged.flatMap((tag, n): Array<[string, Record<string, unknown>]> => {
      const [dimension, ...rest] = tag.split(':')
      return [1, 2, 3].map((k) => ['product_viewed', { id: `p${n}-${k}`, [dimension as string]: rest.join(':') }])
    })
    track.push([goals[0] as string, { price: 1 }], ['product_added', { id: '<img src=x onerror=pwn()>', category: '"><svg onload=pwn()>' }])

    const inertSlots = INERT_CONFIG_STRINGS.map((_, i) => slot(`i${i}`)).join('\n')
    const namedSlots = HOSTILE_SLOT_NAMES.map((name) => slot(name)).join('\n')
    const groups: Group[] = [
      { config: JSON.stringify({ allowForce: true, audiences, variants, goals }), track },
      // Slot names from the page: the config has variants for other slots only.
      { config: JSON.stringify({ allowForce: true, audiences: [everyone], variants: { c0: [{ id: 'v', audience: 'everyone', content: ['x'] }] } }) },
      ...REFUSED_CONFIG_STRINGS.map(({ config }) => ({ config: JSON.stringify({ allowForce: true, ...config }) })),
    ]
    const body = [groupOf(0, inertSlots), groupOf(1, namedSlots), ...REFUSED_CONFIG_STRINGS.map((_, i) => groupOf(i + 2, slot('c0')))].join('\n')
    const v = await visit('config', body, groups, forceQuery([...HOSTILE_FORCE, 'c0:v']))

    expectNothingInjected(v)
    // Refused configs: default content, reported.
    for (const [i, { at }] of REFUSED_CONFIG_STRINGS.entries()) {
      const result = v.results[i + 2] as GroupResult
      expect(result.decisions, at).toEqual([expect.objectContaining({ slot: 'c0', variant: null, reason: 'default' })])
      expect(result.errors.some((e) => e.startsWith('config: ')), `${at}: ${JSON.stringify(result.errors)}`).toBe(true)
    }
    expect(v.after.slots.filter((s) => s.name === 'c0').map((s) => s.text)).toEqual(REFUSED_CONFIG_STRINGS.map(() => 'default c0'))
    // Hostile values that are valid data choose variants as data would; forced entries naming no variant change nothing.
    for (const [i, { at, value }] of INERT_CONFIG_STRINGS.entries()) {
      const d = decisionOf(v, `i${i}`)
      expect(d, `${at} ${value}`).toMatchObject({ variant: 'v', reason: at === 'tag' ? 'affinity' : 'audience' })
      expect(v.after.slots.find((s) => s.name === `i${i}`)?.text).toBe(`variant i${i}`)
    }
    expect(decisionOf(v, `i${INERT_CONFIG_STRINGS.findIndex((s) => s.value === 'onerror')}`).text).toBe('Shown because you match “onerror”')
    // Page slot names keep their default content.
    for (const name of HOSTILE_SLOT_NAMES) {
      expect(decisionOf(v, name), name).toMatchObject({ variant: null, reason: 'default' })
      expect(await slotHtml(v.page, name), name).toBe(v.defaults.get(name))
    }
  })
})
