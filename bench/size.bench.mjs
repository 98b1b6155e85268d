/**
 * What attune costs in bytes, beside its peers: raw, gzip (level 9) and brotli (quality 11), the
 * way size-limit counts, of
 *
 * - what a script-tag user's shoppers download: attune's `dist/attune.min.js` (every shopper),
 *   the paint snippet `dist/attune-paint.min.js` (inline in each page), `dist/attune-page.min.js` (after consent), `dist/attune-sync.min.js` (with an endpoint), the
 *   consent adapters, and the sums; against the script build each peer ships in its npm package;
 * - what an npm user's bundle gains: esbuild bundles (minified, ESM, browser platform,
 *   `process.env.NODE_ENV` = production) of a one-line import of each entry, less an empty bundle.
 *
 * Targets (issue 9): attune's script tag ≤ 9,000 B gzip, `createAttune` ≤ 7,500 B gzip. The
 * budgets that gate `npm test` are size-limit's, in package.json; this is the side-by-side view.
 */
import { build, version as esbuildVersion } from 'esbuild'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { report } from './lib/measure.mjs'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = join(BENCH, '..')
const TAG_TARGET = 9_000
const CORE_TARGET = 7_500

const sizes = (bytes) => ({
  raw: bytes.length,
  gzip: gzipSync(bytes, { level: 9 }).length,
  brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
})
const add = (...all) => ({ raw: all.reduce((s, x) => s + x.raw, 0), gzip: all.reduce((s, x) => s + x.gzip, 0), brotli: all.reduce((s, x) => s + x.brotli, 0) })
const bytes = (n) => n.toLocaleString('en-US')
const shown = ({ raw, gzip, brotli }) => `${bytes(raw)} / ${bytes(gzip)} / ${bytes(brotli)} B`
const ratio = (a, b) => Math.round((a / b) * 10) / 10

const attuneVersion = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version
const versionOf = (name) => JSON.parse(readFileSync(join(BENCH, 'node_modules', name, 'package.json'), 'utf8')).version
/** `name version`, or `name (not installed)`: a peer that is missing is reported, never dropped. */
const peerSubject = (name) => {
  try {
    return `${name} ${versionOf(name)}`
  } catch {
    return `${name} (not installed)`
  }
}

const results = []
const notes = []
/** Raw / gzip / brotli in one row (text), with the numbers kept in latest.json beside it. */
const row = (metric, subject, measured, target) =>
  results.push({
    metric,
    subject,
    value: shown(measured),
    ...measured,
    ...(target && { target: { text: `≤ ${bytes(target)} B gzip`, pass: measured.gzip <= target } }),
  })
const failed = (metric, subject, error) => {
  const message = String(error?.message ?? error).split('\n')[0]
  results.push({ metric, subject, value: `failed: ${message}`, target: { text: 'measured', pass: false } })
  console.error(`${subject}: ${metric}: ${message}`)
}

// ── (a) Script tag ────────────────────────────────────────────────────────────────────────────
const dist = (file) => sizes(readFileSync(join(ROOT, 'dist', file)))
const attune = `attune ${attuneVersion}`
const tag = dist('attune.min.js')
const page = dist('attune-page.min.js')
const syncChunk = dist('attune-sync.min.js')
const paintSnippet = dist('attune-paint.min.js')
const TAG = 'script tag (raw / gzip / brotli)'
row(`${TAG}: dist/attune.min.js, what every shopper downloads`, attune, tag, TAG_TARGET)
row(`${TAG}: dist/attune-paint.min.js, the paint snippet, inline in each page's HTML (optional)`, attune, paintSnippet)
row(`${TAG}: sum, the tag and the paint snippet (what every shopper pays on a site that uses the snippet)`, attune, add(tag, paintSnippet), TAG_TARGET)
row(`${TAG}: dist/attune-page.min.js, after personalization or measurement consent`, attune, page)
row(`${TAG}: dist/attune-sync.min.js, after consent, with data-attune-endpoint`, attune, syncChunk)
const granted = add(tag, page)
const everything = add(tag, page, syncChunk)
row(`${TAG}: sum, consent granted, no endpoint (tag + page)`, attune, granted)
row(`${TAG}: sum, everything granted with an endpoint (tag + page + sync)`, attune, everything)
const adapters = ['tcf', 'consent-mode', 'onetrust', 'cookiebot', 'cookieconsent', 'gpc'].map((name) => [name, dist(`attune-consent-${name}.min.js`)])
for (const [name, measured] of adapters) row(`${TAG}: dist/attune-consent-${name}.min.js, only with data-attune-consent="${name}"`, attune, measured)

/** Each peer's script build: the file a `<script src>` or the vendor's snippet loads first, from its npm package. */
const PEER_SCRIPTS = [
  ['@growthbook/growthbook', 'dist/bundles/auto.min.js', 'the script-tag build (`data-client-key`, self-starting)'],
  ['@growthbook/growthbook', 'dist/bundles/index.min.js', 'the UMD library (`window.growthbook`)'],
  ['posthog-js', 'dist/array.js', 'what the snippet loads first (extensions follow lazily)'],
  ['@segment/analytics-next', 'dist/umd/standalone.js', 'the standalone build the snippet loads (destination chunks follow)'],
  ['launchdarkly-js-client-sdk', 'dist/ldclient.min.js', 'the UMD build'],
  ['@optimizely/optimizely-sdk', 'dist/optimizely.browser.umd.min.js', 'the browser UMD build'],
  ['@snowplow/browser-tracker', 'dist/index.umd.min.js', 'the UMD build'],
]
const peerTag = new Map()
for (const [name, file, what] of PEER_SCRIPTS) {
  const metric = `${TAG}: ${file}, ${what}`
  try {
    const measured = sizes(readFileSync(join(BENCH, 'node_modules', name, file)))
    if (!peerTag.has(name)) peerTag.set(name, measured)
    row(metric, peerSubject(name), measured)
  } catch (error) {
    failed(metric, peerSubject(name), error)
  }
}

// ── (b) npm: what a bundle gains ──────────────────────────────────────────────────────────────
/** esbuild bundle of `code` (an ES module) resolved from `resolveDir`: one output, in memory. */
const bundleOf = async (code, resolveDir) => {
  const out = await build({
    stdin: { contents: code, resolveDir, loader: 'js', sourcefile: 'entry.js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    treeShaking: true,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  })
  return sizes(Buffer.from(out.outputFiles[0].contents))
}
/**
 * What importing `names` from `from` adds to a bundle: the bundle of an entry that imports and
 * uses them (`console.log(…)`, so nothing is shaken away), less the bundle of the same entry
 * without the import (`console.log()`, and the gzip and brotli framing), as size-limit does.
 */
const empty = await bundleOf('console.log()', ROOT)
const bundle = async (imports, resolveDir) => {
  const names = imports.flatMap(([list]) => list.map((name) => name.split(' as ').pop()))
  const code = imports.map(([list, from]) => `import { ${list.join(', ')} } from '${from}'`).join('\n') + `\nconsole.log(${names.join(', ')})`
  const full = await bundleOf(code, resolveDir)
  return { raw: full.raw - empty.raw, gzip: full.gzip - empty.gzip, brotli: full.brotli - empty.brotli }
}

// attune's entries by their built files (the package resolves `attune/x` to these), its one
// dependency (idb-keyval) from the repository's node_modules.
const ATTUNE_IMPORTS = [
  ["import { createAttune } from 'attune'", { createAttune: 'index.js' }, CORE_TARGET],
  ["import { autoTrack } from 'attune/auto'", { autoTrack: 'auto.js' }],
  ["import { personalize } from 'attune/personalize'", { personalize: 'personalize.js' }],
  ["import { sync } from 'attune/sync'", { sync: 'sync/index.js' }],
  ['createAttune + sync', { createAttune: 'index.js', sync: 'sync/index.js' }],
  ['createAttune + autoTrack + personalize (what the script tag does, consent granted)', { createAttune: 'index.js', autoTrack: 'auto.js', personalize: 'personalize.js' }],
  ['createAttune + autoTrack + personalize + sync (everything)', { createAttune: 'index.js', autoTrack: 'auto.js', personalize: 'personalize.js', sync: 'sync/index.js' }],
  ...[
    ['tcf', 'tcf'],
    ['consentMode', 'consent-mode'],
    ['onetrust', 'onetrust'],
    ['cookiebot', 'cookiebot'],
    ['cookieconsent', 'cookieconsent'],
    ['gpc', 'gpc'],
  ].map(([name, file]) => [`import { ${name} } from 'attune/consent/${file}'`, { [name]: `consent/${file}.js` }]),
]
const NPM = 'npm bundle gains (raw / gzip / brotli)'
const attuneNpm = new Map()
for (const [what, exports, target] of ATTUNE_IMPORTS) {
  const metric = `${NPM}: ${what}`
  try {
    const measured = await bundle(
      Object.entries(exports).map(([name, file]) => [[name], `./dist/${file}`]),
      ROOT,
    )
    attuneNpm.set(what, measured)
    row(metric, attune, measured, target)
  } catch (error) {
    // attune's own build failing to bundle is attune's failure: the run says so and exits non-zero.
    failed(metric, attune, error)
    process.exitCode = 1
  }
}

/** The least an npm user imports to use each peer. */
const PEER_IMPORTS = [
  ['@growthbook/growthbook', ['GrowthBook']],
  ['posthog-js', ['default as posthog']],
  ['@segment/analytics-next', ['AnalyticsBrowser']],
  ['launchdarkly-js-client-sdk', ['initialize']],
  ['@optimizely/optimizely-sdk', ['createInstance', 'createPollingProjectConfigManager']],
  ['@snowplow/browser-tracker', ['newTracker', 'trackPageView']],
]
const peerNpm = new Map()
for (const [name, list] of PEER_IMPORTS) {
  const what = list[0].startsWith('default as ') ? `import ${list[0].slice(11)} from '${name}'` : `import { ${list.join(', ')} } from '${name}'`
  const metric = `${NPM}: ${what}`
  try {
    const measured = await bundle([[list, name]], BENCH)
    peerNpm.set(name, measured)
    row(metric, peerSubject(name), measured)
  } catch (error) {
    failed(metric, peerSubject(name), error)
  }
}

// ── Ratios (gzip) ─────────────────────────────────────────────────────────────────────────────
const core = attuneNpm.get("import { createAttune } from 'attune'")
const full = attuneNpm.get('createAttune + autoTrack + personalize + sync (everything)')
for (const [name, measured] of peerTag) {
  results.push({
    metric: `gzip ratio, script tag: ${name} ÷ attune (tag alone · tag + page + sync)`,
    subject: `attune vs ${name}`,
    value: `${ratio(measured.gzip, tag.gzip)} × · ${ratio(measured.gzip, everything.gzip)} ×`,
  })
}
for (const [name, measured] of peerNpm) {
  if (!core || !full) break
  results.push({
    metric: `gzip ratio, npm: ${name} ÷ attune (createAttune · everything)`,
    subject: `attune vs ${name}`,
    value: `${ratio(measured.gzip, core.gzip)} × · ${ratio(measured.gzip, full.gzip)} ×`,
  })
}

notes.push(
  `Sizes are raw / gzip (level 9) / brotli (quality 11) in bytes, counted as size-limit counts them; the gzip figures of attune's files equal size-limit's in \`npm test\` (the bundles differ from size-limit's by the few bytes of its wrapper). npm bundles: esbuild ${esbuildVersion}, \`bundle\`, \`minify\`, \`format: 'esm'\`, \`platform: 'browser'\`, \`target: 'es2020'\`, \`process.env.NODE_ENV\` = production, tree-shaking on, of an entry that imports the names and passes them to \`console.log\`, less the same bundle without the import (as size-limit subtracts its empty project); dependencies (idb-keyval for attune) are bundled in.`,
  `What a shopper downloads with attune depends on consent: the tag alone before any grant (and with a refusal), the page chunk once personalization or measurement is granted, the sync chunk only with \`data-attune-endpoint\`. The ≤ ${bytes(TAG_TARGET)} B target is checked on the tag, which every shopper pays, and on the tag with the paint snippet, which every page of a site that uses it carries; the profile's logic (folding, reading, deriving) comes with the page chunk, since before consent there is no profile. Everything granted is ${bytes(everything.gzip)} B gzip in three files, the last two loaded after the page has rendered.`,
  'Peers: the file named is the one their script tag or snippet loads first; PostHog then loads extensions (recorder, surveys…) and Segment destination chunks as the remote settings ask, which are not counted. GrowthBook `auto.min.js` is what its script-tag documentation uses; `index.min.js` is the same library without the self-start. Snowplow ships `sp.js` in another package (@snowplow/javascript-tracker); the browser-tracker UMD is its nearest equivalent here. The npm rows for Optimizely include the polling config manager, without which an instance has no datafile.',
)

report({
  name: 'size',
  title: 'Size: what shoppers download and what bundles gain, beside the peers',
  description: `attune's built \`dist/\` and the peers' npm packages as installed in bench/node_modules. Targets from issue 9: script tag ≤ ${bytes(TAG_TARGET)} B gzip, \`createAttune\` ≤ ${bytes(CORE_TARGET)} B gzip.`,
  results,
  notes,
})
