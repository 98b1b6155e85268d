/**
 * A throwaway PostgreSQL cluster for a benchmark, made the way test/server/postgres.ts makes the
 * tests' one: `initdb` + `pg_ctl start` in a temporary directory, listening on a Unix socket in
 * that directory only (no TCP port), run as the `postgres` OS user when we are root (PostgreSQL
 * refuses to run as root). `stop()` removes everything; `stopSync()` is for `process.on('exit')`.
 *
 * Unlike the tests' cluster it keeps PostgreSQL's durable defaults (fsync, synchronous_commit,
 * full_page_writes on): a throughput figure should be what a real deployment gets.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const HOW_TO_FIX =
  'Install PostgreSQL (Debian: apt-get install -y postgresql) so that pg_ctl and initdb are on PATH or under /usr/lib/postgresql/<version>/bin.'

/** The directory holding initdb and pg_ctl: PATH first, then Debian's versioned directories (newest first). */
const findBin = () => {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'initdb'))) return dir
  }
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'pg_ctl'))) return join(root, v, 'bin')
  throw new Error(`pg_ctl not found. ${HOW_TO_FIX}`)
}

const isRoot = () => process.getuid?.() === 0

/** Runs a PostgreSQL tool, as the `postgres` user when we are root, from `cwd` (a directory that user can enter). */
const tool = (bin, name, args, cwd) => {
  const [file, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', join(bin, name), ...args]] : [join(bin, name), args]
  try {
    return execFileSync(file, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 })
  } catch (error) {
    throw new Error(`${name} failed: ${error.stderr || error.stdout || error.message}`)
  }
}

/**
 * Starts a cluster. Resolves to `{ url, dir, postmasterPid(), stop(), stopSync() }`; throws (having
 * removed what it made) when PostgreSQL is not installed or does not start.
 */
export const startPostgres = ({ settings = [] } = {}) => {
  const bin = findBin()
  const dir = mkdtempSync(join(tmpdir(), 'attune-bench-pg-'))
  const data = join(dir, 'data')
  if (isRoot()) {
    let uid, gid
    try {
      uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
      gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    } catch {
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`Running as root, and there is no "postgres" user to run PostgreSQL as. ${HOW_TO_FIX}`)
    }
    chownSync(dir, uid, gid)
  }
  chmodSync(dir, 0o700)
  const port = 5432
  let started = false
  const stopSync = () => {
    try {
      if (started) tool(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'], dir)
    } catch {
      // Already stopped (or never started): the directory goes anyway.
    } finally {
      started = false
      rmSync(dir, { recursive: true, force: true })
    }
  }
  try {
    tool(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale'], dir)
    const options = [`-k ${dir}`, `-p ${port}`, "-c listen_addresses=''", ...settings.map((s) => `-c ${s}`)].join(' ')
    tool(bin, 'pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', options, 'start'], dir)
    started = true
  } catch (error) {
    stopSync()
    throw error
  }
  return {
    url: `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
    dir,
    version: tool(bin, 'pg_ctl', ['--version'], dir).trim().replace(/^pg_ctl \(PostgreSQL\) /, ''),
    /** The postmaster's pid (its backends are its children), for CPU accounting. */
    postmasterPid: () => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]),
    stop: async () => stopSync(),
    stopSync,
  }
}
