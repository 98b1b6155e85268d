/**
 * Reads a V8 `.cpuprofile` (as written by `node --cpu-prof`) and says where the time went:
 * self time by function and by area (database driver, Hono, valibot, attune's own code, GC…).
 */
import { readFileSync } from 'node:fs'

/** Which part of the stack a call frame belongs to, from its URL and name. */
const areaOf = ({ url, functionName }) => {
  if (!url) {
    if (functionName === '(garbage collector)') return 'garbage collector'
    if (functionName === '(idle)') return 'idle'
    if (functionName === '(program)') return 'V8 / native (program)'
    return `native: ${functionName || '(anonymous)'}`
  }
  if (url.includes('/@electric-sql/pglite/')) return 'PGlite (WebAssembly PostgreSQL)'
  if (url.includes('/node_modules/pg') || url.includes('/pg-protocol/') || url.includes('/pg-pool/')) return 'pg driver'
  if (url.includes('/node_modules/@hono/node-server/')) return '@hono/node-server'
  if (url.includes('/node_modules/hono/')) return 'hono'
  if (url.includes('/node_modules/valibot/')) return 'valibot'
  if (url.includes('/node_modules/tsx/') || url.includes('/node_modules/esbuild/')) return 'tsx / esbuild'
  if (url.includes('/server/src/')) return 'attune server code'
  if (url.includes('/dist/') || url.includes('/src/')) return 'attune SDK code'
  if (url.startsWith('node:')) return url.startsWith('node:internal/deps/undici') ? 'undici (Request/Response)' : `node core (${url.split('/').slice(0, 3).join('/')})`
  return 'other JavaScript'
}

/**
 * The `top` functions and all areas by self time, in ms and % of the profile.
 * `skipIdle`: percentages of busy time (idle excluded), which is what a saturated server cares about.
 */
export const summarizeCpuProfile = (file, top = 15) => {
  const profile = JSON.parse(readFileSync(file, 'utf8'))
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfUs = new Map()
  // Time per sample: the delta *after* each sample belongs to it (the V8 convention).
  const { samples, timeDeltas } = profile
  for (let i = 0; i < samples.length; i++) {
    const dt = timeDeltas[i + 1] ?? 0
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt)
  }
  const functions = new Map()
  const areas = new Map()
  let total = 0
  let idle = 0
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id)
    const area = areaOf(callFrame)
    total += us
    if (area === 'idle') {
      idle += us
      continue
    }
    const where = callFrame.url ? `${callFrame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(server|src|dist)\//, '$1/')}:${callFrame.lineNumber + 1}` : ''
    const key = `${callFrame.functionName || '(anonymous)'} ${where}`.trim()
    functions.set(key, (functions.get(key) ?? 0) + us)
    areas.set(area, (areas.get(area) ?? 0) + us)
  }
  const busy = total - idle
  const list = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), percentOfBusy: Math.round((us / busy) * 1000) / 10 }))
  return { totalMs: Math.round(total / 1000), busyMs: Math.round(busy / 1000), areas: list(areas, 20), functions: list(functions, top) }
}
