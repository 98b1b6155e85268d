import typescript from '@rollup/plugin-typescript'
import terser from '@rollup/plugin-terser'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

// One entry per public subpath (package.json "exports"); names mirror src/ so the
// emitted .d.ts files sit next to their .js.
const adapterNames = readdirSync('src/consent')
  .filter((f) => f.endsWith('.ts') && f != 'handToTag.ts')
  .map((f) => f.slice(0, -3))
const adapters = adapterNames.map((name) => 'consent/' + name)
const input = Object.fromEntries(
  ['index', 'auto', 'personalize', 'sync/index', 'decide/index', 'react/index', 'vitals', 'ui/index', 'debug/index', ...adapters].map((name) => [name, `src/${name}.ts`]),
)
const external = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0')

/** Private fields and methods start with `_`; the script-tag build mangles them (STYLE.md §10). */
const minify = () =>
  terser({
    ecma: 2020,
    module: false,
    compress: { passes: 2, pure_getters: true },
    mangle: { properties: { regex: /^_/ } },
    format: { comments: false },
  })

/** `attune-consent:<name>` → a script-tag file that hands adapter `<name>` to the tag. */
const tagAdapter = () => ({
  name: 'attune-tag-adapter',
  resolveId: (id) => (id.startsWith('attune-consent:') ? '\0' + id : null),
  load(id) {
    if (!id.startsWith('\0attune-consent:')) return null
    const name = id.slice('\0attune-consent:'.length)
    const fn = name.replace(/-(\w)/g, (_, c) => c.toUpperCase())
    const src = new URL('src/consent/', import.meta.url).pathname
    return `import { ${fn} } from '${src}${name}.ts'\nimport { handToTag } from '${src}handToTag.ts'\nhandToTag(${fn})\n`
  },
})

/**
 * In the tag, profile/logicLater.ts takes the place of profile/logic.ts: its page chunk brings the
 * profile's logic once consent allows, so the tag does not carry it (see logic.ts).
 */
const LOGIC = fileURLToPath(new URL('src/profile/logic', import.meta.url))
const logicLater = () => ({
  name: 'attune-logic-later',
  resolveId(source, importer) {
    if (!importer) return null
    const path = resolve(dirname(importer), source).replace(/\.[cm]?[jt]s$/, '')
    return path === LOGIC ? fileURLToPath(new URL('src/profile/logicLater.ts', import.meta.url)) : null
  },
})

/** The anti-flicker stylesheet ships as `dist/attune.css`, beside the tag. */
const css = () => ({
  name: 'attune-css',
  generateBundle() {
    this.emitFile({ type: 'asset', fileName: 'attune.css', source: readFileSync('src/attune.css', 'utf8') })
  },
})

export default [
  {
    input,
    external,
    plugins: [typescript({ tsconfig: './tsconfig.json', declaration: true, declarationDir: 'dist', outDir: 'dist' }), css()],
    // No bare `import './chunks/…'` lines hoisted into entries: with `sideEffects: false` bundlers
    // drop them anyway, and esbuild warns about each one (ignored-bare-import) in the user's build.
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: true, hoistTransitiveImports: false },
  },
  {
    input,
    external,
    plugins: [typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' })],
    output: { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', sourcemap: true, exports: 'named', hoistTransitiveImports: false },
  },
  {
    input: 'src/browser.ts',
    // The tag is one self-contained file: its dependencies (idb-keyval) are bundled in.
    plugins: [logicLater(), nodeResolve({ browser: true }), typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' })],
    output: { file: 'dist/attune.min.js', format: 'iife', sourcemap: true, plugins: [minify()] },
  },
  {
    // Server sync for the script tag, which loads it beside itself once consent allows.
    input: 'src/browser-sync.ts',
    plugins: [nodeResolve({ browser: true }), typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' })],
    output: { file: 'dist/attune-sync.min.js', format: 'iife', sourcemap: true, plugins: [minify()] },
  },
  {
    // Automatic tracking, decisions and swaps for the script tag, which loads it beside itself once consent allows.
    input: 'src/browser-page.ts',
    plugins: [nodeResolve({ browser: true }), typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' })],
    output: { file: 'dist/attune-page.min.js', format: 'iife', sourcemap: true, plugins: [minify()] },
  },
  {
    // attune/ui for script-tag sites: the site adds it beside the tag; it registers the elements with the tag's instance.
    input: 'src/browser-ui.ts',
    plugins: [nodeResolve({ browser: true }), typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' })],
    output: { file: 'dist/attune-ui.min.js', format: 'iife', sourcemap: true, plugins: [minify()] },
  },
  {
    // attune/debug for script-tag sites: the tag loads it beside itself for a #attune-preview= fragment.
    input: 'src/browser-debug.ts',
    plugins: [nodeResolve({ browser: true }), typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' })],
    output: { file: 'dist/attune-debug.min.js', format: 'iife', sourcemap: true, plugins: [minify()] },
  },
  {
    // The paint snippet, which a site puts inline in <head> right after the tag (README).
    input: 'src/browser-paint.ts',
    plugins: [nodeResolve({ browser: true }), typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' })],
    output: { file: 'dist/attune-paint.min.js', format: 'iife', sourcemap: false, plugins: [minify()] },
  },
  // One file per banner adapter, which the tag loads by name from data-attune-consent.
  ...adapterNames.map((name) => ({
    input: `attune-consent:${name}`,
    plugins: [tagAdapter(), nodeResolve({ browser: true }), typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' })],
    output: { file: `dist/attune-consent-${name}.min.js`, format: 'iife', sourcemap: true, plugins: [minify()] },
  })),
]
