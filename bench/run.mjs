/**
 * Runs every `bench/*.bench.mjs` in turn, each in its own node process (so one cannot warm up or
 * slow down the next), then merges their results with a description of the machine into
 * `bench/results/latest.json` and a markdown table in `bench/results/latest.md`.
 *
 * `npm run bench` from the repository root, or `node bench/run.mjs [name…]` to run only the
 * bench files whose names contain one of the words: their sections replace their earlier ones in
 * latest.*, and the other sections are kept as they were (marked with the date they ran). Figures
 * that miss their target are marked in the table; they never fail the run (a crashed bench file
 * does). A bench file may report `machine` facts of its own (the Chromium version), shown in the
 * header.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, arch, platform, release, totalmem, freemem, loadavg, availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = join(BENCH, '..')
const RESULTS = join(BENCH, 'results')
const SCRATCH = join(RESULTS, 'tmp')

const run = (command, args, cwd) => {
  const { status } = spawnSync(command, args, { cwd, stdio: 'inherit', shell: process.platform === 'win32' })
  if (status !== 0) throw new Error(`\`${command} ${args.join(' ')}\` in ${cwd} exited with ${status}`)
}

// The benchmarks measure the built package, as users get it.
if (!existsSync(join(ROOT, 'dist/index.js'))) {
  console.log('dist/ is missing: npm run build')
  run('npm', ['run', 'build'], ROOT)
}
// The load generator (autocannon) and, later, peer libraries are the bench package's own
// dependencies, not the repository's: installed here when any is missing.
const manifest = JSON.parse(readFileSync(join(BENCH, 'package.json'), 'utf8'))
const wanted = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })
const missing = wanted.filter((name) => !existsSync(join(BENCH, 'node_modules', name, 'package.json')))
if (missing.length > 0) {
  console.log(`bench dependencies missing (${missing.join(', ')}): npm install --prefix bench`)
  run('npm', ['install', '--prefix', 'bench', '--no-audit', '--no-fund'], ROOT)
}

const filters = process.argv.slice(2)
const files = readdirSync(BENCH)
  .filter((file) => file.endsWith('.bench.mjs'))
  .filter((file) => filters.length === 0 || filters.some((word) => file.includes(word)))
  .sort()
if (files.length === 0) throw new Error(`No bench/*.bench.mjs file matches ${filters.join(', ')}`)

const gib = (bytes) => Math.round((bytes / 2 ** 30) * 10) / 10
const load = () => loadavg().map((x) => Math.round(x * 100) / 100)
const machine = {
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cpuMHz: cpus()[0]?.speed || undefined,
  cores: availableParallelism?.() ?? cpus().length,
  memoryGiB: gib(totalmem()),
  freeMemoryGiB: gib(freemem()),
  node: process.version,
  v8: process.versions.v8,
  platform: `${platform()} ${arch()}`,
  kernel: release(),
  // Other work on the machine meanwhile slows what is measured: the 1, 5 and 15 min load averages.
  loadAverage: load(),
  date: new Date().toISOString(),
}

mkdirSync(SCRATCH, { recursive: true })
const benches = []
let crashed = 0
for (const file of files) {
  const out = join(SCRATCH, file.replace(/\.bench\.mjs$/, '.json'))
  rmSync(out, { force: true })
  console.log(`\n▶ ${file}`)
  const loadBefore = load()
  const started = Date.now()
  const date = new Date(started).toISOString()
  const { status, signal } = spawnSync(process.execPath, ['--expose-gc', join(BENCH, file)], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ATTUNE_BENCH_OUT: out, NODE_ENV: 'production' },
  })
  const seconds = Math.round((Date.now() - started) / 100) / 10
  const reported = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : undefined
  if (status !== 0 || !reported) {
    // A bench file exits non-zero for a crash of attune itself (e.g. the server died); what it
    // measured before that is still shown.
    crashed++
    console.error(`✗ ${file} failed (${signal ?? `exit ${status}`})`)
    benches.push({ file, error: signal ?? `exit ${status}`, date, seconds, loadBefore, ...reported })
    continue
  }
  benches.push({ file, date, seconds, loadBefore, ...reported })
}

// A run of some bench files keeps the others' last results (read now, not at the start, so a run
// that ended meanwhile is not undone), in file order.
if (filters.length > 0 && existsSync(join(RESULTS, 'latest.json'))) {
  try {
    const earlier = JSON.parse(readFileSync(join(RESULTS, 'latest.json'), 'utf8'))
    const kept = (earlier.benches ?? [])
      .filter((bench) => !files.includes(bench.file) && existsSync(join(BENCH, bench.file)))
      .map((bench) => ({ date: earlier.machine?.date, ...bench }))
    benches.push(...kept)
    benches.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
  } catch (error) {
    console.error(`bench/results/latest.json is unreadable (${error.message}): it is replaced by this run's results alone`)
  }
}
for (const bench of benches) Object.assign(machine, bench.machine)

// A target is `{ op, value }` compared with the row's value, or `{ text, pass }` judged by the bench itself.
const meets = ({ value }, target) => {
  if (typeof target.pass === 'boolean') return target.pass
  const { op, value: limit } = target
  return op === '<' ? value < limit : op === '<=' ? value <= limit : op === '>' ? value > limit : value >= limit
}
for (const bench of benches) for (const row of bench.results ?? []) if (row.target) row.pass = meets(row, row.target)

const number = (x) => (x === undefined ? '' : typeof x === 'number' ? x.toLocaleString('en-US', { maximumFractionDigits: 3 }) : String(x))
const cell = (x) => String(x).replaceAll('|', '\\|')
const lines = [
  '# attune benchmarks',
  '',
  `${machine.date.slice(0, 10)} · ${machine.cpu}${machine.cpuMHz ? ` (${machine.cpuMHz} MHz)` : ''} · ${machine.cores} cores · ${machine.memoryGiB} GiB · Node ${machine.node} (V8 ${machine.v8})${machine.chromium ? ` · Chromium ${machine.chromium}` : ''} · ${machine.platform} ${machine.kernel} · load average at start ${machine.loadAverage.join(' / ')}`,
  '',
  'Written by `npm run bench` (bench/run.mjs); the same figures, unrounded where it matters, are in latest.json.',
  'A target missed is marked ✗ and never fails the run.',
]
for (const bench of benches) {
  lines.push('', `## ${bench.title ?? bench.file}`, '')
  if (bench.error) {
    lines.push(`**Failed** (${bench.error}); see the console output of the run.`)
    if (!bench.results) continue
    lines.push('')
  }
  if (bench.description) lines.push(bench.description, '')
  lines.push('| metric | subject | value | p50 | p99 | target | |', '|---|---|--:|--:|--:|--:|:-:|')
  for (const row of bench.results) {
    const unit = row.unit ? ` ${row.unit}` : ''
    lines.push(
      '| ' +
        [
          row.metric,
          row.subject,
          number(row.value) + unit,
          row.p50 === undefined ? '' : number(row.p50) + unit,
          row.p99 === undefined ? '' : number(row.p99) + unit,
          !row.target ? '' : row.target.text !== undefined ? row.target.text : `${row.target.op} ${number(row.target.value)}${unit}`,
          row.target ? (row.pass ? '✓' : '✗') : '',
        ]
          .map(cell)
          .join(' | ') +
        ' |',
    )
  }
  for (const note of bench.notes ?? []) lines.push('', note)
  const earlier = bench.date && bench.date < machine.date ? ` on ${bench.date.slice(0, 16).replace('T', ' ')} UTC, in an earlier run` : ''
  lines.push('', `Ran in ${bench.seconds} s${earlier} (\`bench/${bench.file}\`); load average before it: ${bench.loadBefore.join(' / ')}.`)
}

writeFileSync(join(RESULTS, 'latest.json'), JSON.stringify({ machine, benches }, null, 2) + '\n')
writeFileSync(join(RESULTS, 'latest.md'), lines.join('\n') + '\n')
console.log(`\n${lines.join('\n')}\n\nWrote bench/results/latest.json and bench/results/latest.md`)
if (crashed > 0) process.exitCode = 1
