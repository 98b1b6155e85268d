/**
 * Insights at scale (issue 11): 10 million events of one site in PostgreSQL, rolled up, then the
 * admin reads of the dashboard timed through the real HTTP server.
 *
 * 1. A throwaway PostgreSQL cluster (bench/lib/postgres.mjs, durable defaults); the schema made by
 *    the server's own migrations.
 * 2. 10,000,000 events generated in the database (`INSERT … SELECT generate_series`): 1,000,000
 *    visitors over 28 days, 10 events each — a session start with a campaign (utm_source,
 *    referrer host or none), an exposure to a 50/50 experiment (80 % of visitors), page and
 *    product views, carts, checkouts and orders with the funnel's drop-off (the treatment
 *    converting a little better), a `conversion` per goal reached, a second session for 30 %.
 *    They are queued for the rollup as the ingest queues them (ids per queue row, 2,000 a row).
 * 3. The initial rollup of all of them (`rollUpAll`, as a server does after an upgrade), then the
 *    incremental cost: 10,000 new events stored through `insertEventBatches` (the ingest's own
 *    statement) and rolled up.
 * 4. `node server/bin/attune-server.mjs` on that database; each admin read asked ≥ 20 times in a
 *    row (after 3 unmeasured): median and p95. Target: p95 < 300 ms each.
 *
 * Env: `ATTUNE_BENCH_INSIGHTS_EVENTS` (default 10000000; a multiple of 10), for a quick try.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'
import { startPostgres } from './lib/postgres.mjs'
import { report, round, sleep } from './lib/measure.mjs'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
// The server is TypeScript run as is (as bin/attune-server.mjs does): its migrations, ingest
// statement and rollup are imported from the source, not rewritten here.
register()
const { createDb } = await import('../server/src/db/createDb.ts')
const { migrate } = await import('../server/src/db/migrations.ts')
const { insertEventBatches } = await import('../server/src/db/events.ts')
const { rollUpAll } = await import('../server/src/db/rollup.ts')

const EVENTS = Number(process.env.ATTUNE_BENCH_INSIGHTS_EVENTS) || 10_000_000
const PER_VISITOR = 10
const VISITORS = Math.floor(EVENTS / PER_VISITOR)
const CHUNK = 100_000 // visitors per INSERT statement (1,000,000 events)
const SITE = 'shop-1'
const DAY = 24 * 3_600_000
const CALLS = 25
const WARMUP = 3
const TARGET_MS = 300
const CONFIG = {
  variants: { hero: [{ id: 'control' }, { id: 'treatment' }] },
  experiments: [{ key: 'hero-test', slot: 'hero', variants: ['control', 'treatment'] }],
  goals: ['product_added', 'order_completed'],
}

/**
 * One statement per chunk of visitors: per visitor uniform draws (r1: exposed, r2: a second
 * session, r3: variant, r4: how far into the funnel, r5: campaign), then its 10 events by position k.
 */
const GENERATE = `
  INSERT INTO events (site, event_id, visitor, name, props, ts, session, received_at)
  SELECT '${SITE}', gen_random_uuid(), p.visitor, x.name, x.props, x.ts, x.session, x.ts
  FROM (
    SELECT md5('visitor' || v)::uuid AS visitor, v, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
           $3::bigint - 28 * ${DAY}::bigint + (random() * 25 * ${DAY})::bigint AS t0
    FROM generate_series($1::int, $2::int) AS v
  ) AS p
  CROSS JOIN generate_series(0, ${PER_VISITOR - 1}) AS k
  CROSS JOIN LATERAL (
    SELECT p.r1 < 0.8 AS exposed, CASE WHEN p.r3 < 0.5 THEN 'control' ELSE 'treatment' END AS variant,
           CASE WHEN p.r3 >= 0.5 AND p.r1 < 0.8 THEN 1.1 ELSE 1.0 END AS lift,
           p.r2 < 0.3 AS returns
  ) AS a
  CROSS JOIN LATERAL (
    SELECT
      CASE
        WHEN k = 0 OR (k = 6 AND a.returns) THEN 'session_started'
        WHEN k = 1 AND a.exposed THEN 'exposure'
        WHEN k = 3 THEN 'product_viewed'
        WHEN k = 4 AND p.r4 < 0.4 * a.lift THEN 'product_added'
        WHEN k = 5 AND p.r4 < 0.4 * a.lift THEN 'conversion'
        WHEN k = 7 AND p.r4 < 0.2 * a.lift THEN 'checkout_started'
        WHEN k = 8 AND p.r4 < 0.1 * a.lift THEN 'order_completed'
        WHEN k = 9 AND p.r4 < 0.1 * a.lift THEN 'conversion'
        WHEN k IN (5, 8) THEN 'product_viewed'
        ELSE 'page_viewed'
      END AS name,
      p.t0 + k * 60000 + CASE WHEN k >= 6 AND a.returns THEN 2 * ${DAY} ELSE 0 END AS ts,
      'v' || p.v || CASE WHEN k >= 6 AND a.returns THEN '-2' ELSE '-1' END AS session
  ) AS n
  CROSS JOIN LATERAL (
    SELECT n.name, n.ts, n.session,
      CASE n.name
        WHEN 'session_started' THEN CASE
          WHEN p.r5 < 0.3 THEN jsonb_build_object('utm_source', 'newsletter', 'utm_medium', 'email', 'utm_campaign', 'autumn', 'landing_path', '/')
          WHEN p.r5 < 0.5 THEN jsonb_build_object('utm_source', 'google', 'utm_medium', 'cpc', 'landing_path', '/sale')
          WHEN p.r5 < 0.7 THEN jsonb_build_object('referrer_host', 'www.search.example', 'landing_path', '/')
          ELSE jsonb_build_object('landing_path', '/') END
        WHEN 'exposure' THEN jsonb_build_object('slot', 'hero', 'variant', a.variant, 'experiment', 'hero-test', 'reason', jsonb_build_object('kind', 'experiment', 'key', 'hero-test', 'sticky', false))
        WHEN 'conversion' THEN jsonb_build_object('goal', CASE WHEN k = 5 THEN 'product_added' ELSE 'order_completed' END, 'event', gen_random_uuid(), 'experiments', CASE WHEN a.exposed THEN jsonb_build_object('hero-test', a.variant) ELSE '{}'::jsonb END)
        WHEN 'page_viewed' THEN jsonb_build_object('path', '/products/' || (p.v % 500), 'title', 'A product page')
        ELSE jsonb_build_object('sku', 'sku-' || (p.v % 500), 'category', (ARRAY['shoes', 'jackets', 'shirts', 'bags'])[1 + p.v % 4], 'price', 19.99 + p.v % 80)
      END AS props
  ) AS x`

/** Queues every event for the rollup, 2,000 ids a row, as the ingest statement does (the migration's own backfill). */
const QUEUE = `
  INSERT INTO rollup_queue (site, event_ids)
  SELECT site, array_agg(event_id) FROM (
    SELECT site, event_id, (row_number() OVER (PARTITION BY site ORDER BY event_id) - 1) / 2000 AS chunk FROM events
  ) AS e GROUP BY site, chunk`

const percentile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]

/** Starts the server on the database, as users run it; resolves to its base URL and a stop function. */
const startServer = async (url, adminKey) => {
  const child = spawn(process.execPath, [join(ROOT, 'server/bin/attune-server.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: url,
      ATTUNE_SECRET: randomBytes(32).toString('hex'),
      ATTUNE_ADMIN_KEY: adminKey,
      ATTUNE_SITES: JSON.stringify({ [SITE]: { origins: ['http://localhost'], config: CONFIG } }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log = []
  child.stderr.setEncoding('utf8').on('data', (chunk) => log.push(chunk))
  const port = await new Promise((resolve, reject) => {
    let buffered = ''
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk
      const match = /listening on http:\/\/[^\s]*:(\d+)/.exec(buffered)
      if (match) resolve(Number(match[1]))
    })
    child.on('exit', (code, signal) => reject(new Error(`attune-server exited (${signal ?? code}) before listening: ${log.join('')}`)))
  })
  const exited = new Promise((done) => child.on('exit', done))
  return {
    base: `http://127.0.0.1:${port}`,
    log,
    stop: async () => {
      child.kill('SIGTERM')
      await Promise.race([exited, sleep(30_000).then(() => child.kill('SIGKILL'))])
    },
  }
}

const results = []
const notes = []
let pgcluster
let server
let db
process.on('exit', () => pgcluster?.stopSync())
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130))
try {
  pgcluster = startPostgres()
  db = await createDb(pgcluster.url)
  await migrate(db)
  const subject = `attune · PostgreSQL ${pgcluster.version}`

  // 2. The events.
  const now = Date.now()
  let started = performance.now()
  for (let first = 1; first <= VISITORS; first += CHUNK) {
    await db.query(GENERATE, [first, Math.min(VISITORS, first + CHUNK - 1), now])
    console.log(`  generated ${Math.min(VISITORS, first + CHUNK - 1) * PER_VISITOR} events (${round((performance.now() - started) / 1000)} s)`)
  }
  await db.query(QUEUE)
  await db.query('VACUUM ANALYZE events')
  const generateSeconds = round((performance.now() - started) / 1000)
  const [{ n: stored, mb }] = await db.query(`SELECT count(*)::float8 AS n, pg_total_relation_size('events')::float8 / 1048576 AS mb FROM events`)
  console.log(`  ${stored} events stored and queued in ${generateSeconds} s (${round(mb)} MB with indexes)`)

  // 3. The rollup: everything, then 10,000 new events.
  started = performance.now()
  const taken = await rollUpAll(db)
  const initialSeconds = (performance.now() - started) / 1000
  console.log(`  initial rollup: ${taken} events in ${round(initialSeconds)} s`)
  results.push({ metric: `initial rollup of ${stored.toLocaleString('en-US')} events (${VISITORS.toLocaleString('en-US')} visitors)`, subject, value: round(initialSeconds), unit: 's' })
  results.push({ metric: 'initial rollup throughput', subject, value: round(taken / initialSeconds), unit: 'events/s' })

  // New events as the ingest stores them: 1,000 visitors (half of them known) × 10 events, in 2,000-event statements.
  const batches = []
  for (let i = 0; i < 1000; i++) {
    const visitor = i % 2 ? (await db.query(`SELECT md5('visitor' || $1::text)::uuid AS v`, [i * 997 + 1]))[0].v : crypto.randomUUID()
    const t = Date.now() - 60_000
    const id = () => crypto.randomUUID()
    batches.push({
      site: SITE,
      visitor,
      now: t,
      events: [
        { id: id(), name: 'session_started', props: { utm_source: 'newsletter' }, ts: t, session: `n${i}` },
        { id: id(), name: 'exposure', props: { slot: 'hero', variant: i % 4 < 2 ? 'control' : 'treatment', experiment: 'hero-test', reason: { kind: 'experiment' } }, ts: t + 1 },
        { id: id(), name: 'page_viewed', props: { path: '/' }, ts: t + 2 },
        { id: id(), name: 'product_viewed', props: { sku: 'sku-1' }, ts: t + 3 },
        { id: id(), name: 'product_added', props: { sku: 'sku-1' }, ts: t + 4 },
        { id: id(), name: 'conversion', props: { goal: 'product_added', event: id(), experiments: {} }, ts: t + 5 },
        { id: id(), name: 'checkout_started', props: {}, ts: t + 6 },
        { id: id(), name: 'order_completed', props: { value: 42 }, ts: t + 7 },
        { id: id(), name: 'conversion', props: { goal: 'order_completed', event: id(), experiments: {} }, ts: t + 8 },
        { id: id(), name: 'page_viewed', props: { path: '/thanks' }, ts: t + 9 },
      ],
    })
  }
  for (let i = 0; i < batches.length; i += 200) await insertEventBatches(db, batches.slice(i, i + 200))
  started = performance.now()
  const incremental = await rollUpAll(db)
  const incrementalMs = performance.now() - started
  console.log(`  incremental rollup: ${incremental} events in ${round(incrementalMs)} ms`)
  results.push({ metric: `incremental rollup of ${incremental.toLocaleString('en-US')} new events (after the ${stored.toLocaleString('en-US')})`, subject, value: round(incrementalMs), unit: 'ms' })
  const [{ n: rollupRows }] = await db.query(
    `SELECT ((SELECT count(*) FROM insight_visitors) + (SELECT count(*) FROM insight_members) + (SELECT count(*) FROM insight_goals))::float8 AS n`,
  )
  const [{ mb: rollupMb }] = await db.query(
    `SELECT sum(pg_total_relation_size(c.oid))::float8 / 1048576 AS mb FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'insight%'`,
  )
  await db.close()
  db = undefined

  // 4. The reads, through HTTP.
  const adminKey = randomBytes(24).toString('hex')
  server = await startServer(pgcluster.url, adminKey)
  const reads = [
    ['GET /v1/admin/sites/:site/experiments/:key', `/v1/admin/sites/${SITE}/experiments/hero-test`, true],
    ['GET /v1/admin/sites/:site/experiments (all)', `/v1/admin/sites/${SITE}/experiments`, true],
    ['GET /v1/admin/sites/:site/funnels (default steps)', `/v1/admin/sites/${SITE}/funnels`, true],
    ['GET /v1/admin/sites/:site/funnels?by=channel', `/v1/admin/sites/${SITE}/funnels?by=channel`, true],
    ['GET /v1/admin/sites/:site/funnels?by=variant', `/v1/admin/sites/${SITE}/funnels?by=variant&experiment=hero-test`, true],
    ['GET /v1/admin/sites/:site/anomalies (last 7 days)', `/v1/admin/sites/${SITE}/anomalies`, true],
    ['GET /v1/admin/sites/:site/series (last 7 days)', `/v1/admin/sites/${SITE}/series`, true],
    ['GET /v1/admin/sites/:site/series?metric=conversions', `/v1/admin/sites/${SITE}/series?metric=conversions&goal=order_completed`, true],
    ['GET /v1/admin/sites/:site/funnels?steps=… (custom steps: from the raw events, no target)', `/v1/admin/sites/${SITE}/funnels?steps=page_viewed,product_viewed,product_added`, false],
  ]
  const bodies = {}
  for (const [label, path, targeted] of reads) {
    const calls = targeted ? CALLS : 5
    const times = []
    for (let i = 0; i < WARMUP + calls; i++) {
      const t0 = performance.now()
      const res = await fetch(server.base + path, { headers: { authorization: `Bearer ${adminKey}` } })
      const text = await res.text()
      const ms = performance.now() - t0
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 300)}`)
      if (i >= WARMUP) times.push(ms)
      bodies[label] = text
    }
    times.sort((a, b) => a - b)
    const p50 = round(percentile(times, 0.5))
    const p95 = round(percentile(times, 0.95))
    console.log(`  ${label}: median ${p50} ms, p95 ${p95} ms (${calls} calls)`)
    results.push({ metric: `${label}: p95 of ${calls} calls (median in p50)`, subject, value: p95, unit: 'ms', p50, ...(targeted ? { target: { op: '<', value: TARGET_MS } } : {}) })
  }
  const experiment = JSON.parse(bodies['GET /v1/admin/sites/:site/experiments/:key'])
  const funnel = JSON.parse(bodies['GET /v1/admin/sites/:site/funnels (default steps)'])
  notes.push(
    `Data: ${stored.toLocaleString('en-US')} events (${round(mb)} MB with indexes) of ${VISITORS.toLocaleString('en-US')} visitors over 28 days, generated and queued in ${generateSeconds} s; ` +
      `rollups afterwards: ${rollupRows.toLocaleString('en-US')} per-visitor rows, ${round(rollupMb)} MB in all. ` +
      `Experiment read back: ${experiment.variants.map((v) => `${v.variant} ${v.exposures.toLocaleString('en-US')} exposed`).join(', ')}; SRM p = ${experiment.srm?.pValue?.toPrecision(3)}; ` +
      `order_completed ${experiment.goals.find((g) => g.goal === 'order_completed')?.variants.map((v) => `${v.variant} ${(100 * v.rate).toFixed(2)} %`).join(' vs ')}. ` +
      `Default funnel (28 days): ${funnel.groups[0].visitors.map((n) => n.toLocaleString('en-US')).join(' → ')}.`,
    'Each read first brings the rollups up to date (an empty queue here: one advisory lock and one empty DELETE), then reads only rollup tables: per-arm and per-goal counts, ' +
      'funnel depths per hour × channel × segment (or × variant), hourly counts per event name and per goal. Custom funnel steps are computed from the raw events, so their cost grows with the site (no target). ' +
      `Calls are sequential over one keep-alive connection, ${WARMUP} unmeasured first; the server, PostgreSQL and this process share the machine's cores.`,
  )
} catch (error) {
  console.error(error)
  results.push({ metric: 'insights benchmark', subject: 'attune · PostgreSQL', value: `failed: ${String(error.message).split('\n')[0]}`, target: { text: 'runs', pass: false } })
  process.exitCode = 1
} finally {
  if (server) {
    if (server.log.length) notes.push(`Server stderr: ${server.log.join('').slice(0, 500)}`)
    await server.stop()
  }
  await db?.close()
  pgcluster?.stopSync()
}

report({
  name: 'insights',
  title: 'Reference server: insights at 10 M events (rollups and admin reads)',
  description:
    'A throwaway PostgreSQL cluster (durable defaults), 10,000,000 generated events of one site, the rollup (db/rollup.ts) over all of them and over 10,000 more, ' +
    'then each admin read of the dashboard through `node server/bin/attune-server.mjs` over loopback.',
  results,
  notes,
})
