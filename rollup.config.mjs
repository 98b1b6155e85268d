import typescript from '@rollup/plugin-typescript'
import terser from '@rollup/plugin-terser'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import { readdirSync } from 'node:fs'

// One entry per public subpath (package.json "exports"); names mirror src/ so the
// emitted .d.ts files sit next to their .js.
const adapters = readdirSync('src/consent')
  .filter((f) => f.endsWith('.ts'))
  .map((f) => 'consent/' + f.slice(0, -3))
const input = Object.fromEntries(
  ['index', 'auto', 'sync/index', 'react/index', 'vitals', 'ui/index', ...adapters].map((name) => [name, `src/${name}.ts`]),
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

export default [
  {
    input,
    external,
    plugins: [typescript({ tsconfig: './tsconfig.json', declaration: true, declarationDir: 'dist', outDir: 'dist' })],
    output: { dir: 'dist', format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', sourcemap: true },
  },
  {
    input,
    external,
    plugins: [typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' })],
    output: { dir: 'dist', format: 'cjs', entryFileNames: '[name].cjs', chunkFileNames: 'chunks/[name]-[hash].cjs', sourcemap: true, exports: 'named' },
  },
  {
    input: 'src/browser.ts',
    // The tag is one self-contained file: its dependencies (idb-keyval) are bundled in.
    plugins: [nodeResolve({ browser: true }), typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' })],
    output: { file: 'dist/attune.min.js', format: 'iife', sourcemap: true, plugins: [minify()] },
  },
  {
    // Server sync for the script tag, which loads it beside itself once consent allows.
    input: 'src/browser-sync.ts',
    plugins: [nodeResolve({ browser: true }), typescript({ tsconfig: './tsconfig.json', declaration: false, outDir: 'dist' })],
    output: { file: 'dist/attune-sync.min.js', format: 'iife', sourcemap: true, plugins: [minify()] },
  },
]
