// @vitest-environment node
/**
 * DESIGN.md promise 5 in the bytes that ship: no built file turns a string into code or markup.
 * Reads `dist/`, so it runs after `npm run build` (the order of package.json's "test" script).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const DIST = fileURLToPath(new URL('../../dist', import.meta.url))

/** What may not appear, as patterns over the code (minified or not). */
const FORBIDDEN: ReadonlyArray<[string, RegExp]> = [
  ['eval(', /(?<![\w$])eval\s*\(/],
  ['new Function / Function(…)', /(?<![\w$.])(new\s+)?Function\s*\(/],
  ['a string timer', /(?<![\w$])set(Timeout|Interval)\s*\(\s*['"`]/],
  ['innerHTML =', /\.innerHTML\s*\+?=(?!=)|\[\s*['"`]innerHTML['"`]\s*\]\s*\+?=(?!=)/],
  ['outerHTML =', /\.outerHTML\s*\+?=(?!=)|\[\s*['"`]outerHTML['"`]\s*\]\s*\+?=(?!=)/],
  ['insertAdjacentHTML', /insertAdjacentHTML\s*\(/],
  ['document.write', /\bdocument\s*\.\s*write(ln)?\s*\(/],
]

/** Every script file under `dir`: the ESM and CJS builds, their chunks and the script-tag files. */
const scripts = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? scripts(join(dir, entry.name)) : /\.(m|c)?js$/.test(entry.name) ? [join(dir, entry.name)] : [],
  )

describe('the built files in dist/', () => {
  it('exist (npm run build ran first)', () => {
    const files = scripts(DIST).map((file) => relative(DIST, file))
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.cjs', 'personalize.js', 'attune.min.js', 'attune-page.min.js']))
  })

  it('hold no eval, new Function, string timers, innerHTML/outerHTML assignment, insertAdjacentHTML or document.write', () => {
    const found: string[] = []
    for (const file of scripts(DIST)) {
      const code = readFileSync(file, 'utf8')
      for (const [what, pattern] of FORBIDDEN) {
        const match = pattern.exec(code)
        if (match) found.push(`${relative(DIST, file)}: ${what} at …${code.slice(Math.max(0, match.index - 40), match.index + 40)}…`)
      }
    }
    expect(found).toEqual([])
  })

  it('the script tag leaves the profile’s logic to its page chunk, loaded after consent (profile/logic.ts)', () => {
    // A counter name only folding knows, and a message only the stored profile's reader has.
    const logic = ['"page_views"', 'a device entry has the wrong shape']
    const has = (file: string) => logic.filter((text) => readFileSync(join(DIST, file), 'utf8').includes(text))
    expect(has('attune.min.js')).toEqual([])
    expect(has('attune-page.min.js')).toEqual(logic)
  })

  it('the patterns catch what they are for', () => {
    // A pattern that matched nothing ever would pass the test above for free.
    const caught = [
      'eval("x")',
      'a=new Function("return 1")',
      'Function("return this")()',
      "setTimeout('go()',1)",
      'setInterval("go()")',
      'el.innerHTML = s',
      'el.innerHTML+=s',
      'el["outerHTML"]=s',
      'el.insertAdjacentHTML("beforeend",s)',
      'document.write(s)',
    ]
    const innocent = ['evaluate(x)', 'typeof f == "function"', 'isFunction(x)', 'setTimeout(go, 1)', 'if (el.innerHTML == s) {}', 'x.textContent = s', '// never innerHTML of strings']
    const hits = (code: string): boolean => FORBIDDEN.some(([, pattern]) => pattern.test(code))
    expect(caught.filter((code) => !hits(code))).toEqual([])
    expect(innocent.filter(hits)).toEqual([])
  })
})
