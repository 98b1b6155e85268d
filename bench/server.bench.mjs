/**
 * Ingest throughput of the reference server (`server/`), on PostgreSQL and on embedded PGlite:
 * `POST /v1/collect` with batches of 20 events of ~1 KB each, every event id sent once.
 *
 * Targets (issue 5), on this machine: ≥ 2,000 requests/s (40,000 events/s) on PostgreSQL and
 * ≥ 800 requests/s on PGlite; p99 < 50 ms at 70 % of saturation; at 2× saturation it sheds
 * with 429/503 + Retry-After and never crashes; afterwards the events acknowledged as accepted
 * are exactly the events stored.
 *
 * The server runs as its own process (`node server/bin/attune-server.mjs`, as users run it), the
 * load generator (autocannon, plus an open-loop pacer of our own for the latency run) in this
 * one. Both share the machine's cores with each other and with PostgreSQL: the CPU each used is
 * reported beside the figures.
 *
 * Env: `ATTUNE_BENCH_DRIVERS=postgres,pglite` (default both), `ATTUNE_BENCH_PROFILE=1` (server
 * under `--cpu-prof`, summary in the notes; slows it down, so figures are not comparable),
 * `ATTUNE_BENCH_PG_SETTINGS=synchronous_commit=off,…` (PostgreSQL settings; default none),
 * `PGPOOL_MAX` (passed on to the server).
 */
import autocannon from 'autocannon'
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { summarizeCpuProfile } from './lib/cpuprofile.mjs'
import { startPostgres } from './lib/postgres.mjs'
import { report, round, sleep, summarize } from './lib/measure.mjs'

const CORES = availableParallelism?.() ?? cpus().length
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const AUTOCANNON_VERSION = JSON.parse(readFileSync(join(ROOT, 'bench/node_modules/autocannon/package.json'), 'utf8')).version
const PROFILE_DIR = join(ROOT, 'bench/results/tmp/cpu-prof')

/** A timer that does not keep the process alive (for races against a deadline). */
const deadline = (ms) => new Promise((done) => setTimeout(done, ms).unref())

const BATCH = 20
const VISITORS = 300
const SITE = 'shop-1'
const ORIGIN = 'http://localhost'
const TARGETS = {
  postgres: { rps: 2_000, eventsPerSecond: 40_000 },
  pglite: { rps: 800 },
}
const P99_MS = 50
/** Seconds per phase: the whole file (both drivers) stays well under 4 minutes, plus each driver's memory soak (SOAK_S). */
const WARMUP_S = 3
const RAMP = [10, 50, 100]
const RAMP_S = 8
const PACED_S = 15
const OVERLOAD_S = 10
const OVERLOAD_CONNECTIONS = 512
/** The memory soak: steady load at this share of saturation, RSS sampled every SOAK_SAMPLE_S. */
const SOAK_S = Number(process.env.ATTUNE_BENCH_SOAK_S ?? 300)
const SOAK_SHARE = 0.3
const SOAK_SAMPLE_S = 10
/** RSS growth allowed over the soak, from its second minute (allocator warm) to its last. */
const SOAK_DRIFT = 0.1

const DRIVERS = (process.env.ATTUNE_BENCH_DRIVERS || 'postgres,pglite').split(',').map((s) => s.trim()).filter(Boolean)
const PROFILING = process.env.ATTUNE_BENCH_PROFILE === '1'
/** Extra PostgreSQL settings (`name=value`, comma-separated), e.g. `synchronous_commit=off`; none by default. */
const PG_SETTINGS = (process.env.ATTUNE_BENCH_PG_SETTINGS || '').split(',').map((s) => s.trim()).filter(Boolean)

// ---------------------------------------------------------------------------------------------
// Bodies: 20 events of ~1 KB, ids unique for the whole run and traceable to their request.

const CATEGORIES = ['shoes', 'jackets', 'shirts', 'trousers', 'bags', 'hats', 'socks', 'watches']
const BRANDS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'tyrell']
const LOREM =
  'Soft brushed cotton with a relaxed fit, reinforced seams and a water-repellent finish that keeps its shape wash after wash. ' +
  'Designed in Lisbon, made in Porto from organic fibres; ships in recycled packaging within two working days. '
/** 64 different props objects of ~1,000 bytes of JSON each. */
const PROPS = Array.from({ length: 64 }, (_, k) => {
  const props = {
    sku: `sku-${100_000 + k * 37}`,
    category: CATEGORIES[k % CATEGORIES.length],
    brand: BRANDS[(k * 3) % BRANDS.length],
    price: Math.round((19.99 + k * 7.5) * 100) / 100,
    currency: 'EUR',
    url: `https://shop.example/products/${CATEGORIES[k % CATEGORIES.length]}/item-${k}?utm_source=newsletter&utm_medium=email&utm_campaign=autumn-${k}`,
    referrer: `https://www.search.example/search?q=${BRANDS[(k * 3) % BRANDS.length]}+${CATEGORIES[k % CATEGORIES.length]}+sale`,
    title: `${BRANDS[(k * 3) % BRANDS.length]} ${CATEGORIES[k % CATEGORIES.length]} – model ${k}, limited autumn edition`,
    tags: ['new', 'autumn', k % 2 ? 'sale' : 'full-price', `size-${36 + (k % 10)}`],
    viewport: '1280x720',
    lang: 'en-GB',
    description: '',
  }
  const bare = JSON.stringify(props).length
  props.description = LOREM.repeat(4).slice(0, Math.max(0, 1_000 - bare))
  return JSON.stringify(props)
})
const EVENT_BYTES = Math.round(PROPS.reduce((sum, p) => sum + p.length, 0) / PROPS.length) + 120

// UUIDv7-shaped: 48-bit ms timestamp, version 7, 12 random bits fixed for the run, variant 10,
// then the event's serial number in the run (request index × 20 + position) in the last 48 bits.
const RUN_A = randomBytes(2).toString('hex').slice(0, 3)
const RUN_B = (8 + (randomBytes(1)[0] % 4)).toString(16) + randomBytes(2).toString('hex').slice(0, 3)

/** Visitors made beforehand by one first-contact request each: `{ id, token, session }`. */
let visitors = []

const makeBody = (request) => {
  const visitor = visitors[request % visitors.length]
  const now = Date.now()
  const t = now.toString(16).padStart(12, '0')
  const prefix = `${t.slice(0, 8)}-${t.slice(8)}-7${RUN_A}-${RUN_B}-`
  const first = request * BATCH
  let events = ''
  for (let i = 0; i < BATCH; i++) {
    const serial = first + i
    events +=
      (i ? ',' : '') +
      `{"id":"${prefix}${serial.toString(16).padStart(12, '0')}","name":"product_viewed","props":${PROPS[serial % PROPS.length]},"ts":${now},"session":"${visitor.session}"}`
  }
  return `{"site":"${SITE}","visitor":"${visitor.id}","token":"${visitor.token}","events":[${events}]}`
}

// ---------------------------------------------------------------------------------------------
// The ledger: what became of every request, so stored events can be checked request by request.

const UNSENT = 0
const SENT = 1 // no answer seen (in flight when a run ended, timed out, connection lost)
const OK = 2
const REFUSED = 3

/** Every phase's counters (of the current driver). */
const phases = []
const newPhase = () => {
  const phase = { status: {}, shedWithoutRetryAfter: 0, accepted: 0, duplicates: 0, rejected: 0, badOk: 0 }
  phases.push(phase)
  return phase
}

const ledger = {
  next: 0,
  state: new Uint8Array(1 << 20),
  phase: undefined,
  issue() {
    const request = this.next++
    if (request >= this.state.length) {
      const bigger = new Uint8Array(this.state.length * 2)
      bigger.set(this.state)
      this.state = bigger
    }
    this.state[request] = SENT
    return request
  },
  answer(request, status, body, retryAfter) {
    const phase = this.phase
    phase.status[status] = (phase.status[status] ?? 0) + 1
    if (status === 200) {
      this.state[request] = OK
      let json
      try {
        json = JSON.parse(body)
      } catch {
        json = {}
      }
      phase.accepted += json.accepted ?? 0
      phase.duplicates += json.duplicates ?? 0
      phase.rejected += json.rejected ?? 0
      if (json.accepted !== BATCH) phase.badOk++
    } else {
      this.state[request] = REFUSED
      if ((status === 429 || status === 503) && !retryAfter) phase.shedWithoutRetryAfter++
    }
  },
}

const headerOf = (headers, name) => {
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key]
  return undefined
}

// ---------------------------------------------------------------------------------------------
// CPU and memory of processes, from /proc (Linux).

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** CPU seconds (user + system) of a process, all threads or only its main one; 0 when it is gone. */
const cpuSeconds = (pid, mainThreadOnly = false) => {
  try {
    const stat = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
  } catch {
    return 0
  }
}

/**
 * The process and its children (PostgreSQL's backends are the postmaster's children): the live
 * ones, plus those it has reaped (its cutime and cstime), so a backend that exits (the server's
 * pool closes idle connections) takes nothing away.
 */
const familyCpuSeconds = (pid) => {
  let total = 0
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    total = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLK_TCK
  } catch {
    return 0
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === pid) total += (Number(fields[11]) + Number(fields[12])) / CLK_TCK
    } catch {
      // gone meanwhile
    }
  }
  return total
}

/** Resident memory of a process, MB; undefined when it is gone. */
const rssMb = (pid) => {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb ? Math.round(Number(kb) / 1024) : undefined
  } catch {
    return undefined
  }
}

/** CPU seconds the whole machine was busy (all cores, every process), from /proc/stat. */
const machineBusySeconds = () => {
  try {
    const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number)
    // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
    return (ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3] - ticks[4]) / CLK_TCK
  } catch {
    return 0
  }
}

/**
 * Starts a CPU meter; calling what it returns gives the % of one core (2 cores = 200 %) used by
 * the server, this process (the load generator), PostgreSQL, and every other process of the
 * machine (other work running meanwhile takes cores from the measured processes).
 */
const cpuMeter = (serverPid, postmasterPid) => {
  const t0 = performance.now()
  const self0 = process.cpuUsage()
  const server0 = cpuSeconds(serverPid)
  const main0 = cpuSeconds(serverPid, true)
  const db0 = postmasterPid ? familyCpuSeconds(postmasterPid) : 0
  const machine0 = machineBusySeconds()
  return () => {
    const seconds = (performance.now() - t0) / 1000
    const self = process.cpuUsage(self0)
    const pct = (s) => Math.round((s / seconds) * 100)
    const cpu = {
      server: pct(cpuSeconds(serverPid) - server0),
      serverMainThread: pct(cpuSeconds(serverPid, true) - main0),
      generator: pct((self.user + self.system) / 1e6),
      ...(postmasterPid ? { postgres: pct(familyCpuSeconds(postmasterPid) - db0) } : {}),
    }
    cpu.others = Math.max(0, pct(machineBusySeconds() - machine0) - cpu.server - cpu.generator - (cpu.postgres ?? 0))
    return cpu
  }
}

/** CPU milliseconds per request answered 200, by process, from a phase's CPU % and rate. */
const costPerRequest = (cpu, rps) => {
  const ms = (pct) => (rps > 0 ? round((pct * 10) / rps) : 0)
  const cost = {
    server: ms(cpu.server),
    serverMainThread: ms(cpu.serverMainThread),
    generator: ms(cpu.generator),
    ...(cpu.postgres === undefined ? {} : { postgres: ms(cpu.postgres) }),
  }
  // What the machine could answer if it did nothing else: its cores over the CPU one request
  // costs, and at most one core's worth for the server's main thread (JavaScript, and PGlite).
  const ceiling = (extra) => {
    const cores = cost.server + (cost.postgres ?? 0) + extra
    const byCores = cores > 0 ? (CORES * 1000) / cores : Infinity
    const byThread = cost.serverMainThread > 0 ? 1000 / cost.serverMainThread : Infinity
    return { rps: Math.round(Math.min(byCores, byThread)), limit: byThread < byCores ? "the server's main thread" : `the ${CORES} cores` }
  }
  cost.ceiling = ceiling(0)
  cost.ceilingBesideGenerator = ceiling(cost.generator)
  return cost
}

const costText = (cost) =>
  `server ${cost.server} ms (main thread ${cost.serverMainThread} ms)${cost.postgres === undefined ? '' : `, PostgreSQL ${cost.postgres} ms`}, load generator ${cost.generator} ms`

const cpuText = (cpu) =>
  `server ${cpu.server} % (its main thread ${cpu.serverMainThread} %), load generator ${cpu.generator} %${cpu.postgres === undefined ? '' : `, PostgreSQL ${cpu.postgres} %`}, other processes ${cpu.others} %`

/**
 * Asks `/healthz` every 250 ms on a connection of its own and keeps the slowest answer: the
 * longest the server's event loop was unable to answer (plus this process's own delays).
 */
const stallProbe = (base) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  let slowest = 0
  let busy = false
  let start = 0
  const timer = setInterval(() => {
    if (busy) return
    busy = true
    start = performance.now()
    const req = http.get(`${base}/healthz`, { agent }, (res) => {
      res.resume()
      res.on('end', () => {
        slowest = Math.max(slowest, performance.now() - start)
        busy = false
      })
    })
    req.on('error', () => (busy = false))
  }, 250)
  return () => {
    clearInterval(timer)
    agent.destroy()
    return Math.round(Math.max(slowest, busy ? performance.now() - start : 0))
  }
}

/** CPU meter and stall probe together, for one phase. */
const phaseMeter = (server, postmasterPid) => {
  const cpu = cpuMeter(server.pid, postmasterPid)
  const stall = stallProbe(server.base)
  return () => ({ cpu: cpu(), stallMs: stall() })
}

// ---------------------------------------------------------------------------------------------
// The server process.

const startServer = async (env, label) => {
  const args = []
  if (PROFILING) {
    // One file per thread (tsx's module loader has a thread of its own): the main one is `.0.`.
    rmSync(join(PROFILE_DIR, label), { recursive: true, force: true })
    mkdirSync(join(PROFILE_DIR, label), { recursive: true })
    args.push('--cpu-prof', `--cpu-prof-dir=${join(PROFILE_DIR, label)}`)
  }
  const child = spawn(process.execPath, [...args, join(ROOT, 'server/bin/attune-server.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      ATTUNE_SECRET: randomBytes(32).toString('hex'),
      ATTUNE_ADMIN_KEY: randomBytes(24).toString('hex'),
      ATTUNE_SITES: JSON.stringify({ [SITE]: { origins: [ORIGIN] } }),
      ATTUNE_RATE_IP: 'off',
      ATTUNE_RATE_VISITOR: 'off',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const log = []
  const server = { child, pid: child.pid, exit: undefined, errors: 0, log, port: 0 }
  const exited = new Promise((done) => child.on('exit', (code, signal) => done((server.exit = { code, signal }))))
  server.exited = exited
  const keep = (line) => {
    log.push(line)
    if (log.length > 200) log.shift()
  }
  let buffered = ''
  const listening = new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        keep(line)
        const match = /listening on http:\/\/[^\s]*:(\d+)/.exec(line)
        if (match) resolve(Number(match[1]))
      }
    })
    exited.then(({ code, signal }) => reject(new Error(`attune-server exited (${signal ?? `code ${code}`}) before listening:\n${log.join('\n')}`)))
  })
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    for (const line of chunk.split('\n').filter(Boolean)) {
      keep(line)
      if (/failed|error/i.test(line)) {
        server.errors++
        if (server.errors <= 5) console.error(`  [server] ${line}`)
      }
    }
  })
  const timeout = deadline(90_000).then(() => {
    throw new Error(`attune-server did not say it was listening within 90 s:\n${log.join('\n')}`)
  })
  server.port = await Promise.race([listening, timeout])
  server.base = `http://127.0.0.1:${server.port}`
  return server
}

/** SIGTERM, then wait for the graceful exit (SIGKILL after 60 s). */
const stopServer = async (server) => {
  server.stopping = true
  if (!server.exit) {
    server.child.kill('SIGTERM')
    const killed = await Promise.race([server.exited.then(() => false), deadline(60_000).then(() => true)])
    if (killed) {
      server.child.kill('SIGKILL')
      await server.exited
      server.exit.timedOut = true
    }
  }
  return server.exit
}

// ---------------------------------------------------------------------------------------------
// Load.

const post = async (base, body) => {
  const response = await fetch(`${base}/v1/collect`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', origin: ORIGIN },
    body,
  })
  return { status: response.status, text: await response.text(), retryAfter: response.headers.get('retry-after') }
}

/** One first-contact request per visitor (no token, no events): keeps the token the server gives. */
const makeVisitors = async (base) => {
  const made = []
  const one = async () => {
    const id = randomUUID()
    const { status, text } = await post(base, JSON.stringify({ site: SITE, visitor: id, events: [] }))
    const token = status === 200 ? JSON.parse(text).token : undefined
    if (!token) throw new Error(`first contact answered ${status} ${text}`)
    made.push({ id, token, session: `s-${id.slice(0, 8)}` })
  }
  for (let i = 0; i < VISITORS; i += 20) await Promise.all(Array.from({ length: Math.min(20, VISITORS - i) }, one))
  return made
}

/** A tracked collect request outside autocannon (the checks after overload). */
const trackedCollect = async (base) => {
  const request = ledger.issue()
  try {
    const { status, text, retryAfter } = await post(base, makeBody(request))
    ledger.answer(request, status, text, retryAfter)
    return status
  } catch {
    return 0
  }
}

/** An autocannon run; every request carries fresh event ids and is accounted in the ledger. */
const cannon = (base, { connections, seconds, overallRate }) => {
  ledger.phase = newPhase()
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: base,
        connections,
        duration: seconds,
        timeout: 10,
        ...(overallRate ? { overallRate } : {}),
        requests: [
          {
            method: 'POST',
            path: '/v1/collect',
            headers: { 'content-type': 'text/plain;charset=UTF-8', origin: ORIGIN },
            setupRequest: (request, context) => {
              context.request = ledger.issue()
              request.body = makeBody(context.request)
              return request
            },
            onResponse: (status, body, context, headers) => ledger.answer(context.request, status, body, headerOf(headers, 'retry-after')),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve({ result, phase: ledger.phase })),
    )
  })
}

/**
 * Open-loop load: one request every 1/rate s whatever the answers (as a crowd of browsers would),
 * latency counted from the moment the request was due, so a slow answer delays nothing and hides
 * nothing (no coordinated omission). autocannon's `overallRate` is not used here: it gives each
 * connection a quota per second, spent back to back at the start of every second, which measures
 * a burst at full concurrency every second rather than a steady 70 %.
 */
const paced = async (base, { rate, seconds }) => {
  ledger.phase = newPhase()
  const phase = ledger.phase
  const { port } = new URL(base)
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
  const total = Math.round(rate * seconds)
  const fromDue = []
  const fromSent = []
  let errors = 0
  let inFlight = 0
  let sent = 0
  let settled
  const allSettled = new Promise((done) => (settled = done))
  const fire = (due) => {
    const request = ledger.issue()
    const body = makeBody(request)
    const start = performance.now()
    inFlight++
    const finish = () => {
      if (--inFlight === 0 && sent === total) settled()
    }
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/collect',
        headers: { 'content-type': 'text/plain;charset=UTF-8', origin: ORIGIN, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks = []
        res.on('data', (chunk) => chunks.push(chunk))
        res.on('end', () => {
          const end = performance.now()
          ledger.answer(request, res.statusCode, Buffer.concat(chunks).toString(), res.headers['retry-after'])
          if (res.statusCode === 200) {
            fromDue.push(end - due)
            fromSent.push(end - start)
          }
          finish()
        })
      },
    )
    req.on('error', () => {
      errors++
      finish()
    })
    req.end(body)
  }
  const t0 = performance.now()
  await new Promise((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1)
      while (sent < due) {
        sent++
        fire(t0 + ((sent - 1) * 1000) / rate)
      }
      if (sent < total) setTimeout(tick, 1)
      else done()
    }
    tick()
  })
  await Promise.race([allSettled, deadline(15_000)])
  agent.destroy()
  const elapsed = (performance.now() - t0) / 1000
  return { phase, errors, elapsed, offered: total / seconds, fromDue: summarize(fromDue), fromSent: summarize(fromSent) }
}

/**
 * Why a saturation target was missed, in CPU time: what one request cost each process at
 * saturation against what the target leaves per request (the cores, or for PGlite the server's
 * one main thread, over the target rate). Empty when the target was met.
 */
const budgetNote = (r, target) => {
  const c = r.best?.cost
  if (!c || r.maxRps >= target.rps) return ''
  const ms = (x) => `${round(x)} ms`
  const others = r.best.cpu.others >= 10 ? ` Other processes took ${r.best.cpu.others} % of a core meanwhile, which this run could not use.` : ''
  if (c.postgres === undefined) {
    return (
      `**Why ${r.label} stays under ${target.rps.toLocaleString('en-US')} req/s here** — PGlite is PostgreSQL compiled to WebAssembly and runs on the server's main thread, beside the HTTP and JSON work: ` +
      `${target.rps.toLocaleString('en-US')} req/s leaves that one thread ${ms(1000 / target.rps)} per request, and one request cost it ${ms(c.serverMainThread)} at saturation ` +
      `(${ms(c.server)} in all of the server's threads), so that thread alone caps it at ~${c.ceiling.rps.toLocaleString('en-US')} req/s; a second core does not help an embedded database that has one thread.${others}`
    )
  }
  const total = c.server + c.postgres + c.generator
  const { cpu } = r.best
  const busy = Math.round((cpu.server + cpu.postgres + cpu.generator + cpu.others) / CORES)
  return (
    `**Why ${r.label} stays under ${target.rps.toLocaleString('en-US')} req/s here** — at ${target.rps.toLocaleString('en-US')} req/s the ${CORES} cores leave ${ms((CORES * 1000) / target.rps)} of CPU per request for everything on the machine. ` +
    `At saturation one request cost ${ms(c.server)} in the server, ${ms(c.postgres)} in PostgreSQL (its share of a group-committed INSERT: ${BATCH} rows of ~1 KB JSON parsed into jsonb, a heap tuple and two index entries each, WAL) ` +
    `and ${ms(c.generator)} in the load generator on the same cores: ${ms(total)} together, so the cores cap this machine at ~${c.ceilingBesideGenerator.rps.toLocaleString('en-US')} req/s ` +
    `(~${c.ceiling.rps.toLocaleString('en-US')} with the load generator elsewhere). The measured rate stays below even that: at saturation the cores were ${busy} % busy, ` +
    'the rest lost while the three processes wait on one another (each group commit waits for its WAL flush, then the server for the answer, then the client). ' +
    (total > (CORES * 1000) / target.rps
      ? `Reaching ${target.rps.toLocaleString('en-US')} req/s on these two cores would take ${ms(total - (CORES * 1000) / target.rps)} less CPU per request than measured.`
      : 'The CPU per request fits the budget; what is missing is that waiting.') +
    others
  )
}

const statusText = (status) => {
  const other = Object.entries(status)
    .filter(([s]) => !['200', '429', '503'].includes(s))
    .reduce((sum, [, n]) => sum + n, 0)
  return { ok: status[200] ?? 0, s429: status[429] ?? 0, s503: status[503] ?? 0, other, text: Object.entries(status).map(([s, n]) => `${s}: ${n.toLocaleString('en-US')}`).join(' · ') }
}

// ---------------------------------------------------------------------------------------------
// After the run: every event of a request answered 200 is stored, none of a refused one, and
// the answered-or-not rest either all or nothing (one statement per batch).

const STORED_BY_REQUEST = `SELECT ((('x' || right(event_id::text, 12))::bit(48)::bigint) / ${BATCH})::int AS request, count(*)::int AS n
  FROM events GROUP BY 1`

const verify = (rows, ackAccepted) => {
  const seen = new Uint8Array(ledger.next)
  const check = { stored: 0, ackAccepted, lost: 0, storedButRefused: 0, partial: 0, foreign: 0, fromUnanswered: 0, unanswered: 0 }
  for (const { request, n } of rows) {
    check.stored += n
    if (request >= ledger.next || ledger.state[request] === UNSENT) {
      check.foreign += n
      continue
    }
    seen[request] = 1
    const state = ledger.state[request]
    if (n !== BATCH) check.partial++
    if (state === REFUSED) check.storedButRefused++
    else if (state === SENT) check.fromUnanswered += n
  }
  for (let request = 0; request < ledger.next; request++) {
    if (ledger.state[request] === OK && !seen[request]) check.lost++
    if (ledger.state[request] === SENT) check.unanswered++
  }
  check.pass =
    check.lost === 0 && check.storedButRefused === 0 && check.partial === 0 && check.foreign === 0 && check.stored === check.ackAccepted + check.fromUnanswered
  return check
}

// ---------------------------------------------------------------------------------------------
// One driver, start to finish.

const runDriver = async (driver) => {
  const label = driver === 'postgres' ? 'PostgreSQL' : 'PGlite'
  console.log(`\n  ${label}`)
  const cleanups = []
  const out = { driver, label, steps: [], notes: [] }
  let server
  try {
    let env
    let postmasterPid
    let pgcluster
    if (driver === 'postgres') {
      pgcluster = startPostgres({ settings: PG_SETTINGS })
      cleanups.push(() => pgcluster.stopSync())
      exitCleanups.add(pgcluster.stopSync)
      env = { DATABASE_URL: pgcluster.url }
      postmasterPid = pgcluster.postmasterPid()
      out.database =
        `PostgreSQL ${pgcluster.version} (throwaway cluster on a Unix socket, ` +
        (PG_SETTINGS.length ? `settings ${PG_SETTINGS.join(', ')}` : 'default settings: fsync and synchronous_commit on') +
        `; the server's pool: ${process.env.PGPOOL_MAX || 10} connections, each with backend_flush_after = 256kB, as the server sets it)`
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'attune-bench-pglite-'))
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      exitCleanups.add(() => rmSync(dir, { recursive: true, force: true }))
      env = { ATTUNE_DATA_DIR: join(dir, 'data') }
      out.dataDir = join(dir, 'data')
      out.database = "PGlite (embedded, in the server process; data directory on disk; PGlite's own settings, fsync off among them, and wal_init_zero off, as the server sets it)"
    }

    const startedAt = performance.now()
    server = await startServer(env, driver)
    exitCleanups.add(() => server.child.kill('SIGKILL'))
    out.startSeconds = round((performance.now() - startedAt) / 1000)
    visitors = await makeVisitors(server.base)
    out.rssBefore = rssMb(server.pid)
    console.log(`    listening on ${server.port} after ${out.startSeconds} s, ${visitors.length} visitors, RSS ${out.rssBefore} MB`)

    // (1) Saturation: warm up, then a ramp of connections; the best step is the saturation rate.
    await cannon(server.base, { connections: 20, seconds: WARMUP_S })
    for (const connections of RAMP) {
      const meter = phaseMeter(server, postmasterPid)
      const { result, phase } = await cannon(server.base, { connections, seconds: RAMP_S })
      const { cpu, stallMs } = meter()
      const statuses = statusText(phase.status)
      const step = {
        connections,
        rps: round(statuses.ok / result.duration),
        eventsPerSecond: round(phase.accepted / result.duration),
        p50: result.latency.p50,
        p99: result.latency.p99,
        statuses: statuses.text,
        errors: result.errors,
        timeouts: result.timeouts,
        cpu,
        cost: costPerRequest(cpu, statuses.ok / result.duration),
        stallMs,
      }
      out.steps.push(step)
      console.log(`    ${connections} connections: ${step.rps} req/s (${step.eventsPerSecond} events/s), p50 ${step.p50} ms, p99 ${step.p99} ms, ${step.statuses}, errors ${step.errors}, slowest /healthz ${stallMs} ms; CPU ${cpuText(cpu)}`)
      if (server.exit) throw new Error(`attune-server died during the ramp (${JSON.stringify(server.exit)})`)
    }
    const best = out.steps.reduce((a, b) => (b.rps > a.rps ? b : a))
    out.maxRps = best.rps
    out.maxEventsPerSecond = best.eventsPerSecond
    out.best = best

    // (2) Latency at 70 % of saturation, open loop.
    await sleep(1_000)
    {
      const rate = Math.max(1, Math.round(0.7 * out.maxRps))
      const meter = phaseMeter(server, postmasterPid)
      const run = await paced(server.base, { rate, seconds: PACED_S })
      const { cpu, stallMs } = meter()
      const statuses = statusText(run.phase.status)
      out.paced = {
        rate,
        achieved: round((statuses.ok) / PACED_S),
        p50: round(run.fromDue.p50),
        p99: round(run.fromDue.p99),
        max: round(run.fromDue.max),
        sentP50: round(run.fromSent.p50),
        sentP99: round(run.fromSent.p99),
        statuses: statuses.text,
        errors: run.errors,
        cpu,
        stallMs,
      }
      console.log(`    70 %: ${rate} req/s offered, p50 ${out.paced.p50} ms, p99 ${out.paced.p99} ms (from send: ${out.paced.sentP50} / ${out.paced.sentP99}), ${statuses.text}, errors ${run.errors}, slowest /healthz ${stallMs} ms; CPU ${cpuText(cpu)}`)
    }

    // (3) Overload: 2× the saturation rate over many connections.
    await sleep(1_000)
    {
      const rate = Math.max(2, Math.round(2 * out.maxRps))
      const meter = phaseMeter(server, postmasterPid)
      const { result, phase } = await cannon(server.base, { connections: OVERLOAD_CONNECTIONS, seconds: OVERLOAD_S, overallRate: rate })
      const { cpu, stallMs } = meter()
      const statuses = statusText(phase.status)
      await sleep(1_000)
      const alive = !server.exit
      let healthz = 0
      let collectAfter = 0
      if (alive) {
        healthz = await fetch(`${server.base}/healthz`).then((r) => r.status, () => 0)
        collectAfter = await trackedCollect(server.base)
      }
      out.overload = {
        rate,
        connections: OVERLOAD_CONNECTIONS,
        sent: Object.values(phase.status).reduce((a, b) => a + b, 0) + result.errors,
        ...statuses,
        shedWithoutRetryAfter: phase.shedWithoutRetryAfter,
        errors: result.errors,
        timeouts: result.timeouts,
        p50ok: result.latency.p50,
        p99ok: result.latency.p99,
        okRps: round(statuses.ok / result.duration),
        alive,
        healthz,
        collectAfter,
        cpu,
        stallMs,
      }
      out.overload.pass = alive && healthz === 200 && collectAfter === 200 && statuses.other === 0 && phase.shedWithoutRetryAfter === 0 && result.errors === 0
      console.log(
        `    2×: ${rate} req/s offered on ${OVERLOAD_CONNECTIONS} connections: ${statuses.text}, errors ${result.errors} (timeouts ${result.timeouts}), ` +
          `shed without Retry-After ${phase.shedWithoutRetryAfter}, 200s at ${out.overload.okRps} req/s p99 ${result.latency.p99} ms; ` +
          `slowest /healthz ${stallMs} ms; alive ${alive}, /healthz ${healthz}, collect ${collectAfter}; CPU ${cpuText(cpu)}`,
      )
    }
    await sleep(1_000)
    out.rssAfter = rssMb(server.pid)

    // (4) Memory soak: steady load for minutes, RSS sampled as it runs. The baseline is the soak's
    // second minute, once caches and the allocator have settled; a leak shows as growth from there
    // to its last minute.
    if (SOAK_S > 0 && !server.exit) {
      const rate = Math.max(1, Math.round(SOAK_SHARE * out.maxRps))
      const samples = [{ s: 0, mb: rssMb(server.pid) }]
      const startedAt = performance.now()
      const sampler = setInterval(() => samples.push({ s: Math.round((performance.now() - startedAt) / 1000), mb: rssMb(server.pid) }), SOAK_SAMPLE_S * 1000)
      const run = await paced(server.base, { rate, seconds: SOAK_S }).finally(() => clearInterval(sampler))
      samples.push({ s: SOAK_S, mb: rssMb(server.pid) })
      const statuses = statusText(run.phase.status)
      // Medians of a minute each, so one garbage collection does not decide: the soak's second
      // minute (caches and allocator settled) against its last minute.
      const window = Math.min(60, SOAK_S / 4)
      const medianOf = (from, to) => {
        const mbs = samples.filter((x) => x.s >= from && x.s <= to).map((x) => x.mb).sort((a, b) => a - b)
        return { s: from, mb: mbs[Math.floor(mbs.length / 2)] ?? samples[0].mb }
      }
      const settled = medianOf(window, 2 * window)
      const end = { ...medianOf(SOAK_S - window, SOAK_S), s: SOAK_S }
      out.soak = {
        seconds: SOAK_S,
        rate,
        statuses: statuses.text,
        errors: run.errors,
        p99: round(run.fromDue.p99),
        samples,
        settled,
        end,
        drift: settled.mb ? round((end.mb - settled.mb) / settled.mb) : undefined,
        peak: Math.max(...samples.map((x) => x.mb)),
      }
      console.log(`    soak: ${rate} req/s for ${SOAK_S} s, ${statuses.text}, errors ${run.errors}; RSS ${samples.map((x) => x.mb).join(' → ')} MB; drift ${out.soak.drift}`)
    }

    // (5) Stop the server (gracefully: an accepted event is never lost), then count what is stored.
    const died = Boolean(server.exit)
    const exit = await stopServer(server)
    out.exit = exit
    out.crashed = died || exit.code !== 0 || Boolean(exit.timedOut)
    out.serverErrors = server.errors
    let okAccepted = 0
    // Sum over every phase would need each phase kept; the ledger's 200s all had 20 accepted unless badOk.
    for (let request = 0; request < ledger.next; request++) if (ledger.state[request] === OK) okAccepted += BATCH
    out.badOk = phases.reduce((sum, p) => sum + p.badOk, 0)
    let rows
    if (driver === 'postgres') {
      const client = new pg.Client({ connectionString: pgcluster.url })
      await client.connect()
      try {
        rows = (await client.query(STORED_BY_REQUEST)).rows
        out.notes.push(`${(await client.query('SELECT version()')).rows[0].version}`)
        out.tableMb = round((await client.query(`SELECT pg_total_relation_size('events')::float8 / 1048576 AS mb`)).rows[0].mb)
      } finally {
        await client.end()
      }
    } else {
      const db = await PGlite.create(out.dataDir)
      try {
        rows = (await db.query(STORED_BY_REQUEST)).rows
        out.tableMb = round((await db.query(`SELECT pg_total_relation_size('events')::float8 / 1048576 AS mb`)).rows[0].mb)
      } finally {
        await db.close()
      }
    }
    out.check = verify(rows, okAccepted)
    console.log(
      `    stored ${out.check.stored} events (${out.tableMb} MB); acknowledged accepted ${out.check.ackAccepted}; from unanswered requests ${out.check.fromUnanswered} ` +
        `(${out.check.unanswered} unanswered); lost ${out.check.lost}, stored though refused ${out.check.storedButRefused}, partial ${out.check.partial}, foreign ${out.check.foreign}; ` +
        `server exit ${JSON.stringify(exit)}; RSS ${out.rssBefore} → ${out.rssAfter} MB`,
    )
    if (PROFILING) {
      const dir = join(PROFILE_DIR, driver)
      const main = existsSync(dir) ? readdirSync(dir).find((f) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(f)) : undefined
      if (main) out.profile = { file: join(dir, main), ...summarizeCpuProfile(join(dir, main)) }
    }
  } catch (error) {
    out.error = error.message
    out.crashed = Boolean(server?.exit && !server.stopping)
    console.error(`    ✗ ${label}: ${error.stack ?? error.message}`)
    if (server?.log.length) console.error(server.log.slice(-20).map((l) => `    [server] ${l}`).join('\n'))
    if (server && !server.exit) await stopServer(server).catch(() => undefined)
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        cleanup()
      } catch {
        // best effort
      }
    }
  }
  return out
}

// Whatever happens (an exception, Ctrl-C), no server process, cluster or data directory stays behind.
const exitCleanups = new Set()
process.on('exit', () => {
  for (const cleanup of exitCleanups) {
    try {
      cleanup()
    } catch {
      // best effort
    }
  }
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130))

// ---------------------------------------------------------------------------------------------

const results = []
const notes = []
const summary = [
  '| driver | max req/s | events/s | p50 at 70 % | p99 at 70 % | overload 2×: 200 / 429 / 503 / other | alive after | accepted == stored | RSS before → after | targets |',
  '|---|--:|--:|--:|--:|--:|:-:|:-:|--:|:-:|',
]
let crashed = false
for (const driver of DRIVERS) {
  ledger.next = 0
  ledger.state.fill(UNSENT)
  phases.length = 0
  ledger.phase = newPhase()
  const r = await runDriver(driver)
  const subject = `attune · ${r.label}`
  const target = TARGETS[driver]
  if (r.crashed) crashed = true
  if (r.error && r.maxRps === undefined) {
    results.push({ metric: 'ingest benchmark', subject, value: `not run: ${r.error.split('\n')[0]}`, target: { text: 'runs', pass: false } })
    summary.push(`| ${r.label} | not run: ${r.error.split('\n')[0].replaceAll('|', '\\|')} | | | | | | | | ✗ |`)
    continue
  }
  const passes = []
  const row = (x) => {
    results.push({ subject, ...x })
    if (x.target) passes.push('pass' in x.target ? x.target.pass : x.target.op === '>=' ? x.value >= x.target.value : x.value < x.target.value)
  }
  row({ metric: `saturation: requests/s, batches of ${BATCH} events × ~1 KB (best of ${RAMP.join('/')} connections)`, value: r.maxRps, unit: '/s', p50: undefined, target: { op: '>=', value: target.rps } })
  row({ metric: 'saturation: events/s', value: r.maxEventsPerSecond, unit: '/s', ...(target.eventsPerSecond ? { target: { op: '>=', value: target.eventsPerSecond } } : {}) })
  if (r.paced) {
    row({ metric: `latency at 70 % of saturation (${r.paced.rate} req/s, open loop), p99`, value: r.paced.p99, unit: 'ms', p50: r.paced.p50, p99: r.paced.p99, target: { op: '<', value: P99_MS } })
  }
  if (r.overload) {
    const o = r.overload
    row({
      metric: `overload at 2× saturation (${o.rate} req/s offered, ${o.connections} connections, ${OVERLOAD_S} s): answers`,
      value: `200: ${o.ok.toLocaleString('en-US')} · 429: ${o.s429.toLocaleString('en-US')} · 503: ${o.s503.toLocaleString('en-US')} · other: ${o.other} · errors: ${o.errors}`,
      target: { text: 'only 200/429/503, each 429/503 with Retry-After, no errors', pass: o.other === 0 && o.shedWithoutRetryAfter === 0 && o.errors === 0 },
    })
    row({
      metric: 'alive after overload (/healthz and a collect answer 200)',
      value: o.alive ? `yes (/healthz ${o.healthz}, collect ${o.collectAfter})` : 'no: the server died',
      target: { text: 'yes', pass: o.alive && o.healthz === 200 && o.collectAfter === 200 },
    })
  }
  if (r.check) {
    const c = r.check
    row({
      metric: 'accepted == stored unique (after a graceful stop)',
      value: `${c.pass ? 'yes' : 'no'}: ${c.stored.toLocaleString('en-US')} stored = ${c.ackAccepted.toLocaleString('en-US')} acknowledged + ${c.fromUnanswered.toLocaleString('en-US')} of unanswered requests`,
      target: { text: 'equal, nothing lost, nothing refused stored', pass: c.pass },
    })
  }
  row({ metric: 'server process RSS before → after load', value: `${r.rssBefore ?? '?'} → ${r.rssAfter ?? '?'} MB` })
  if (r.soak) {
    const k = r.soak
    row({
      metric: `memory soak: server RSS over ${k.seconds} s at ${k.rate} req/s (${Math.round(SOAK_SHARE * 100)} % of saturation), median of its ${k.settled.s}–${2 * k.settled.s} s samples → median of its last ${k.settled.s} s`,
      value: `${k.settled.mb} → ${k.end.mb} MB (${k.drift >= 0 ? '+' : ''}${round(k.drift * 100)} %; peak ${k.peak} MB; ${k.statuses}, errors ${k.errors})`,
      // A leak is growth: memory given back to the system is not drift.
      target: { text: `growth < ${SOAK_DRIFT * 100} %`, pass: k.drift < SOAK_DRIFT && k.errors === 0 },
    })
  }
  row({ metric: `CPU at saturation (% of one core; ${CORES} cores = ${CORES * 100} %)`, value: cpuText(r.best.cpu) })
  row({
    metric: 'CPU time per request at saturation',
    value:
      `${costText(r.best.cost)}: at most ~${r.best.cost.ceiling.rps.toLocaleString('en-US')} req/s on this machine with nothing else running, limited by ${r.best.cost.ceiling.limit} ` +
      `(~${r.best.cost.ceilingBesideGenerator.rps.toLocaleString('en-US')} beside this load generator)`,
  })
  if (r.error) row({ metric: 'benchmark error', value: r.error.split('\n')[0], target: { text: 'none', pass: false } })
  const all = passes.every(Boolean)
  summary.push(
    '| ' +
      [
        r.label,
        r.maxRps.toLocaleString('en-US') + (r.maxRps >= target.rps ? ' ✓' : ' ✗'),
        r.maxEventsPerSecond.toLocaleString('en-US') + (target.eventsPerSecond ? (r.maxEventsPerSecond >= target.eventsPerSecond ? ' ✓' : ' ✗') : ''),
        r.paced ? `${r.paced.p50} ms` : '',
        r.paced ? `${r.paced.p99} ms ${r.paced.p99 < P99_MS ? '✓' : '✗'}` : '',
        r.overload ? `${r.overload.ok} / ${r.overload.s429} / ${r.overload.s503} / ${r.overload.other}` : '',
        r.overload ? (r.overload.alive ? 'yes' : 'no') : '',
        r.check ? (r.check.pass ? 'yes' : 'no') : '',
        `${r.rssBefore ?? '?'} → ${r.rssAfter ?? '?'} MB`,
        all ? '✓' : '✗',
      ].join(' | ') +
      ' |',
  )
  notes.push(
    `**${r.label}** — ${r.database}. Server up in ${r.startSeconds} s. Ramp (${RAMP_S} s per step after ${WARMUP_S} s of warm-up): ` +
      r.steps.map((s) => `${s.connections} connections ${s.rps.toLocaleString('en-US')} req/s (p50 ${s.p50} ms, p99 ${s.p99} ms, slowest /healthz ${s.stallMs} ms; CPU ${cpuText(s.cpu)})`).join('; ') +
      '.' +
      (r.paced
        ? ` At 70 %: ${r.paced.rate} req/s offered for ${PACED_S} s, ${r.paced.achieved} answered 200 per second; latency from when each request was due p50 ${r.paced.p50} ms, p99 ${r.paced.p99} ms, max ${r.paced.max} ms (from when it was written to the socket: p50 ${r.paced.sentP50} ms, p99 ${r.paced.sentP99} ms), slowest /healthz ${r.paced.stallMs} ms; CPU ${cpuText(r.paced.cpu)}.`
        : '') +
      (r.overload
        ? ` At 2×: ${r.overload.text}; 200s at ${r.overload.okRps} req/s (p50 ${r.overload.p50ok} ms, p99 ${r.overload.p99ok} ms), timeouts ${r.overload.timeouts} (autocannon gives up after 10 s), slowest /healthz ${r.overload.stallMs} ms; CPU ${cpuText(r.overload.cpu)}.`
        : '') +
      (r.check
        ? ` Stored: ${r.check.stored.toLocaleString('en-US')} events (${r.tableMb} MB with indexes); ${r.check.unanswered} requests were in flight when a run ended (autocannon drops them), ${r.check.fromUnanswered / BATCH} of them stored whole; lost ${r.check.lost}, stored though refused ${r.check.storedButRefused}, partly stored ${r.check.partial}, unknown ${r.check.foreign}.`
        : '') +
      (r.exit ? ` Server exit after SIGTERM: ${r.exit.signal ?? `code ${r.exit.code}`}${r.exit.timedOut ? ' (killed after 60 s)' : ''}; error lines logged: ${r.serverErrors}.` : ''),
  )
  const why = budgetNote(r, target)
  if (why) notes.push(why)
  if (r.profile) {
    notes.push(
      `**${r.label} CPU profile** (server under --cpu-prof, whole run, ${r.profile.busyMs} ms busy of ${r.profile.totalMs} ms): by area ` +
        r.profile.areas.map((a) => `${a.name} ${a.percentOfBusy} %`).join(', ') +
        '; top functions ' +
        r.profile.functions.map((f) => `\`${f.name}\` ${f.percentOfBusy} %`).join(', ') +
        '.',
    )
  }
}

notes.unshift(summary.join('\n'))
notes.push(
  `Requests: \`POST /v1/collect\`, \`text/plain;charset=UTF-8\`, Origin allowed, ${BATCH} \`product_viewed\` events of ~${EVENT_BYTES} bytes each (props ~1,000 bytes of JSON) per request, ` +
    `~${Math.round((EVENT_BYTES * BATCH) / 1024)} KB per body, every event id (UUIDv7) sent once, spread over ${VISITORS} visitors made beforehand by a first-contact request each. ` +
    'Rate limits off (ATTUNE_RATE_IP/ATTUNE_RATE_VISITOR=off), ATTUNE_MAX_IN_FLIGHT at its default (256): shedding at 2× is the 503 of that limit. ' +
    'Saturation is the best 200s-per-second of the ramp, with autocannon in this process and the server in its own. ' +
    '70 %: an open-loop pacer (node:http, keep-alive), not autocannon\'s overallRate, which spends each connection\'s per-second quota back to back at the start of every second. ' +
    'Accepted == stored: each event id carries its request\'s serial number, so after the server has stopped the stored events are counted per request: every event of a 200 must be there, none of a 429/503, ' +
    'and those of a request that got no answer (cut off at the end of a run) all or none.',
  'The load generator, the server (one Node thread plus its pool threads) and PostgreSQL share the machine\'s cores; the CPU figures (from /proc, % of one core) say who used what, ' +
    '"other processes" being whatever else ran on the machine meanwhile. CPU time per request is those % over the requests answered, and the ceiling what the cores (or the server\'s one main thread, which also runs PGlite) could answer at that cost. ' +
    '"Slowest /healthz": a probe asks /healthz every 250 ms on a connection of its own; its slowest answer is how long the server\'s event loop could not answer anything. ' +
    'RSS is the server process\'s only (PostgreSQL\'s memory is its own).',
)

report({
  name: 'server',
  title: 'Reference server: ingest (POST /v1/collect)',
  description: `\`node server/bin/attune-server.mjs\` in its own process, on PostgreSQL and on embedded PGlite, loaded over loopback by autocannon ${AUTOCANNON_VERSION} from this process.`,
  results,
  notes,
})
if (crashed) {
  console.error('attune-server crashed (died, or did not stop cleanly on SIGTERM): see above')
  process.exitCode = 1
}
