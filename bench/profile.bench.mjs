/**
 * The on-device profile in Node, with fake-indexeddb standing in for the browser's IndexedDB:
 * the cost of `track()`, how its writes are coalesced into transactions, and the cost of
 * `profile.get()` on a profile with a year of history, and the merge of two 8-device profiles.
 * Measures the built `dist/index.js` (merge: the SDK's own source, bundled by esbuild).
 *
 * Targets (from the issue): track() < 20 µs mean, ≥ 100,000 track/s, profile.get() < 50 µs mean.
 */
import 'fake-indexeddb/auto'
import { createAttune } from '../dist/index.js'
import { build } from 'esbuild'
import { fileURLToPath } from 'node:url'
import { collectGarbage, nowNs, report, round, sleep, summarize, yieldToLoop } from './lib/measure.mjs'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const MERGE_SOURCE = `
export { merge, canonical } from './src/profile/merge'
export { foldAll } from './src/profile/fold'
export { derive } from './src/profile/derive'
`

const CALLS = 100_000
/** track() calls per task: a burst, then the event loop runs (and storage with it). */
const CHUNK = 1_000
const WARMUP = 20_000
const DAY = 864e5

// Every readwrite transaction anyone opens, counted at the source.
let readwrite = 0
const transaction = IDBDatabase.prototype.transaction
IDBDatabase.prototype.transaction = function (...args) {
  if (args[1] === 'readwrite') readwrite++
  return transaction.apply(this, args)
}

const ready = (attune) =>
  new Promise((done) => {
    const off = attune.on('ready', () => {
      off()
      done()
    })
  })

/** createAttune alone: automatic tracking is `attune/auto`, not imported here. */
const create = (options) => createAttune(options)

/** A granted instance with IndexedDB (fake-indexeddb here) and no auto-tracking, once ready. */
const start = async (site, now) => {
  const attune = create({ site, storage: 'indexeddb', ...(now && { now }) })
  const loaded = ready(attune)
  attune.consent.grant()
  await loaded
  return attune
}

/** A connection of our own to attune's database, to see what is on disk (readonly, so not counted). */
const openRaw = (name) =>
  new Promise((done, fail) => {
    const request = indexedDB.open(name)
    request.onsuccess = () => done(request.result)
    request.onerror = () => fail(request.error)
  })

/** The stored value of `counter`, summed over devices. */
const onDisk = (db, counter) =>
  new Promise((done, fail) => {
    const request = db.transaction('kv', 'readonly').objectStore('kv').get('profile')
    request.onsuccess = () =>
      done(Object.values(request.result?.devices ?? {}).reduce((sum, entry) => sum + (entry.counters[counter] ?? 0), 0))
    request.onerror = () => fail(request.error)
  })

const untilOnDisk = async (db, counter, expected, timeoutMs = 120_000) => {
  const deadline = Date.now() + timeoutMs
  let seen
  while ((seen = await onDisk(db, counter)) < expected) {
    if (Date.now() > deadline) throw new Error(`${counter} is ${seen} on disk, not ${expected}, after ${timeoutMs} ms`)
    await sleep(1)
  }
  if (seen !== expected) throw new Error(`${counter} is ${seen} on disk, not ${expected}: events were doubled`)
}

/** `calls` track() calls in bursts of CHUNK; returns the time spent inside the bursts, in ns. */
const burst = async (attune, name, props, calls) => {
  let busy = 0
  for (let done = 0; done < calls; done += CHUNK) {
    const n = Math.min(CHUNK, calls - done)
    const t0 = nowNs()
    for (let i = 0; i < n; i++) attune.track(name, props)
    busy += nowNs() - t0
    await yieldToLoop()
  }
  return busy
}

/** The same, timing every call on its own (for percentiles; the timer's own cost is included). */
const timedBurst = async (attune, name, props, calls) => {
  const samples = new Float64Array(calls)
  for (let done = 0; done < calls; done += CHUNK) {
    const n = Math.min(CHUNK, calls - done)
    for (let i = done; i < done + n; i++) {
      const t0 = nowNs()
      attune.track(name, props)
      samples[i] = nowNs() - t0
    }
    await yieldToLoop()
  }
  return summarize(samples)
}

const results = []
const notes = []

// (a) + (b): track() and the transactions behind it.
{
  const site = 'bench-track'
  const attune = await start(site)
  const db = await openRaw(`attune-${site}`)
  await burst(attune, 'warm', undefined, WARMUP)
  await untilOnDisk(db, 'event:warm', WARMUP)
  await timedBurst(attune, 'warm', undefined, WARMUP)
  await untilOnDisk(db, 'event:warm', 2 * WARMUP)

  collectGarbage()
  readwrite = 0
  const t0 = nowNs()
  const busy = await burst(attune, 'tick', undefined, CALLS)
  await untilOnDisk(db, 'event:tick', CALLS)
  const written = nowNs() - t0
  const transactions = readwrite
  const meanUs = busy / CALLS / 1e3

  collectGarbage()
  const perCall = await timedBurst(attune, 'tick', undefined, CALLS)
  await untilOnDisk(db, 'event:tick', 2 * CALLS)

  const product = { product_id: 'sku-run-1', name: 'Trail runner', category: 'Running', brand: 'Northpeak', price: 129 }
  await burst(attune, 'product_viewed', product, WARMUP)
  await untilOnDisk(db, 'product_views', WARMUP)
  collectGarbage()
  const productBusy = await burst(attune, 'product_viewed', product, CALLS)
  await untilOnDisk(db, 'product_views', WARMUP + CALLS)

  results.push(
    {
      metric: "track('tick') mean time per call",
      subject: 'attune',
      value: round(meanUs),
      unit: 'µs',
      p50: round(perCall.p50 / 1e3),
      p99: round(perCall.p99 / 1e3),
      target: { op: '<', value: 20 },
    },
    { metric: "track('tick') calls per second", subject: 'attune', value: Math.round(CALLS / (busy / 1e9)), unit: '/s', target: { op: '>=', value: 100_000 } },
    { metric: `track('product_viewed', 5 props) mean time per call`, subject: 'attune', value: round(productBusy / CALLS / 1e3), unit: 'µs', target: { op: '<', value: 20 } },
    { metric: `IndexedDB readwrite transactions for ${CALLS.toLocaleString('en-US')} track() calls`, subject: 'attune', value: transactions, unit: '' },
    { metric: `time until all ${CALLS.toLocaleString('en-US')} are on disk`, subject: 'attune', value: round(written / 1e6), unit: 'ms' },
    { metric: 'sustained events per second, storage included', subject: 'attune', value: Math.round(CALLS / (written / 1e9)), unit: '/s' },
  )
  notes.push(
    `track(): ${CALLS.toLocaleString('en-US')} calls after ${(2 * WARMUP).toLocaleString('en-US')} warm-up calls, in bursts of ${CHUNK.toLocaleString('en-US')} with the event loop (and so storage) running between bursts. ` +
      'The mean is the time inside the bursts divided by the calls; p50/p99 come from a second run timing every call on its own, so they include the timer (≈0.1 µs). ' +
      'The time until on disk runs from the first call until a separate connection reads the final counter from IndexedDB.',
  )
  db.close()
  await attune.profile.delete()
  await attune.destroy()
}

// (c): profile.get() on a year of history.
{
  const EVENTS = 10_000
  const GETS = 10_000
  const end = Date.UTC(2026, 0, 1)
  let clock = end - 365 * DAY
  const attune = await start('bench-get', () => clock)
  // A deterministic PRNG (mulberry32), so every run builds the same profile.
  let seed = 42
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const first = clock
  for (let i = 0; i < EVENTS; i++) {
    clock = first + Math.round((i * 365 * DAY) / EVENTS)
    const c = Math.floor(random() * 50)
    attune.track('product_viewed', {
      product_id: `sku-${c}-${Math.floor(random() * 40)}`,
      category: `category-${c}`,
      brand: `brand-${Math.floor(random() * 20)}`,
      price: Math.round(random() * 20000) / 100,
    })
    if (i % CHUNK === CHUNK - 1) await yieldToLoop()
  }
  clock = end
  const db = await openRaw('attune-bench-get')
  await untilOnDisk(db, 'product_views', EVENTS)
  db.close()

  let sink = 0
  for (let i = 0; i < 2_000; i++) sink += attune.profile.get().viewed.length
  collectGarbage()
  const samples = new Float64Array(GETS)
  let busy = 0
  for (let i = 0; i < GETS; i++) {
    const t0 = nowNs()
    const view = attune.profile.get()
    const took = nowNs() - t0
    samples[i] = took
    busy += took
    sink += view.viewed.length
  }
  const stats = summarize(samples)
  const view = attune.profile.get()
  const bytes = JSON.stringify((await attune.profile.export()).profile).length
  if (sink === 0 || view.counters.product_views !== EVENTS) throw new Error('profile.get() did not see the history')
  results.push({
    metric: 'profile.get() mean time, a year of history',
    subject: 'attune',
    value: round(busy / GETS / 1e3),
    unit: 'µs',
    p50: round(stats.p50 / 1e3),
    p99: round(stats.p99 / 1e3),
    target: { op: '<', value: 50 },
  })
  notes.push(
    `profile.get(): ${GETS.toLocaleString('en-US')} calls after 2,000 warm-up calls, each timed on its own, on a profile built from ` +
      `${EVENTS.toLocaleString('en-US')} product_viewed events spread evenly over 365 days (50 categories, 20 brands, 2,000 products): ` +
      `${Object.keys(view.affinities).length} affinities, ${view.viewed.length} recently viewed, ${Object.keys(view.counters).length} counters, ${bytes.toLocaleString('en-US')} bytes of JSON stored.`,
  )
  await attune.profile.delete()
  await attune.destroy()
}

// (d): merge of two 8-device profiles, the pure functions the browser and the server both run.
{
  // The SDK's merge, fold and derive from source (they are not public entry points), bundled once.
  const built = await build({ stdin: { contents: MERGE_SOURCE, resolveDir: ROOT, loader: 'ts' }, bundle: true, format: 'esm', write: false, logLevel: 'silent' })
  const { merge, foldAll, derive, canonical } = await import(`data:text/javascript;base64,${Buffer.from(built.outputFiles[0].text).toString('base64')}`)
  const DEVICES = 8
  const EVENTS_PER_DEVICE = 2_000
  const MERGES = 20_000
  const end = Date.UTC(2026, 0, 1)
  let seed = 7
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const empty = { v: 0, counters: {}, affinities: {}, viewed: [], carted: [], traits: {}, interests: {}, experiments: {} }
  const history = (n) =>
    Array.from({ length: n }, (_, i) => {
      const c = Math.floor(random() * 50)
      return {
        name: random() < 0.2 ? 'product_added' : 'product_viewed',
        props: { product_id: `sku-${c}-${Math.floor(random() * 40)}`, category: `category-${c}`, brand: `brand-${Math.floor(random() * 20)}`, price: Math.round(random() * 20000) / 100 },
        ts: end - 365 * DAY + Math.round((i * 365 * DAY) / n),
      }
    })
  // Two replicas of one shopper's profile (say the laptop's and the server's), each holding the
  // same 8 devices at different versions: every device entry differs between them, so merge has
  // to pick per device, the most work it ever does.
  const a = { schema: 1, devices: {} }
  const b = { schema: 1, devices: {} }
  for (let d = 0; d < DEVICES; d++) {
    const events = history(EVENTS_PER_DEVICE)
    const older = foldAll(empty, events.slice(0, EVENTS_PER_DEVICE / 2))
    const newer = foldAll(older, events.slice(EVENTS_PER_DEVICE / 2))
    a.devices[`device-${d}`] = d % 2 ? newer : older
    b.devices[`device-${d}`] = d % 2 ? older : newer
  }
  if (canonical(merge(a, b)) !== canonical(merge(b, a))) throw new Error('merge is not commutative on the benchmark profiles')
  const bytes = JSON.stringify(a).length + JSON.stringify(b).length
  let sink = 0
  for (let i = 0; i < 2_000; i++) sink += Object.keys(merge(a, b).devices).length
  const time = (fn, calls) => {
    collectGarbage()
    const samples = new Float64Array(calls)
    let busy = 0
    for (let i = 0; i < calls; i++) {
      const t0 = nowNs()
      sink += fn()
      const took = nowNs() - t0
      samples[i] = took
      busy += took
    }
    return { mean: busy / calls, ...summarize(samples) }
  }
  const mergeOnly = time(() => Object.keys(merge(a, b).devices).length, MERGES)
  const withView = time(() => derive(merge(a, b), end).viewed.length, MERGES / 10)
  if (sink === 0) throw new Error('merge returned nothing')
  results.push(
    { metric: 'merge of two 8-device profiles, mean time', subject: 'attune', value: round(mergeOnly.mean / 1e3), unit: 'µs', p50: round(mergeOnly.p50 / 1e3), p99: round(mergeOnly.p99 / 1e3) },
    { metric: 'merges per second, two 8-device profiles', subject: 'attune', value: Math.round(1e9 / mergeOnly.mean), unit: '/s' },
    { metric: 'merge + derived view (what a pull costs), mean time', subject: 'attune', value: round(withView.mean / 1e3), unit: 'µs', p50: round(withView.p50 / 1e3), p99: round(withView.p99 / 1e3) },
  )
  notes.push(
    `merge: two replicas of one profile with the same ${DEVICES} devices at different versions (every entry differs, so each is picked by version), ` +
      `each device folded from ${EVENTS_PER_DEVICE.toLocaleString('en-US')} product events over a year; ${bytes.toLocaleString('en-US')} bytes of JSON in all. ` +
      `${MERGES.toLocaleString('en-US')} merges (and ${(MERGES / 10).toLocaleString('en-US')} merges with the derived view) after 2,000 warm-up merges, each timed on its own. ` +
      'merge(a, b) and merge(b, a) were checked equal first. Merge shares unchanged entries rather than copying them, so its cost grows with the number of devices, not their size.',
  )
}

notes.push('IndexedDB is fake-indexeddb in Node, not a browser: the storage figures show coalescing and relative cost, not what a browser’s disk does.')

report({
  name: 'profile',
  title: 'On-device profile: track(), profile.get() and merge',
  description: 'The built `dist/index.js` in Node with fake-indexeddb, consent granted, `storage: \'indexeddb\'`, without `attune/auto`.',
  results,
  notes,
})
