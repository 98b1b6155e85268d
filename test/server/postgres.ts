/**
 * Vitest globalSetup of the `server` project: a real PostgreSQL for every server test.
 * With `DATABASE_URL` set, that server is used (each test file makes its own database in it).
 * Otherwise a throwaway cluster is made in a temporary directory: `initdb` + `pg_ctl start`
 * listening on a Unix socket only (no TCP port to collide with), run as the `postgres` OS user
 * when we are root (PostgreSQL refuses to run as root), and removed afterwards.
 * If none can be had the run fails, saying how to fix it: the tests never skip PostgreSQL.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL URL whose user may create databases (or schemas) for each test file. */
    postgresUrl: string
  }
}

const HOW_TO_FIX =
  'The server tests need PostgreSQL. Install it (Debian: apt-get install -y postgresql) so that pg_ctl and initdb are on PATH ' +
  'or under /usr/lib/postgresql/<version>/bin, or point DATABASE_URL at a server where the user may CREATE DATABASE.'

/** The directory holding initdb and pg_ctl: PATH first, then Debian's versioned directories (newest first). */
const findBin = (): string => {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'initdb'))) return dir
  }
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'pg_ctl'))) return join(root, v, 'bin')
  throw new Error(`pg_ctl not found. ${HOW_TO_FIX}`)
}

const isRoot = (): boolean => process.getuid?.() === 0

/**
 * Runs a PostgreSQL tool, as the `postgres` user when we are root, from `cwd` (a directory that
 * user can enter: the checkout may live under /root).
 */
const run = (bin: string, tool: string, args: string[], cwd: string): string => {
  const [file, argv] = isRoot() ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args]
  try {
    return execFileSync(file, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 })
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string }
    throw new Error(`${tool} failed: ${e.stderr || e.stdout || e.message}\n${HOW_TO_FIX}`)
  }
}

export default function setup(project: TestProject): (() => void) | undefined {
  if (process.env.DATABASE_URL) {
    project.provide('postgresUrl', process.env.DATABASE_URL)
    return undefined
  }
  const bin = findBin()
  const dir = mkdtempSync(join(tmpdir(), 'attune-pg-'))
  const data = join(dir, 'data')
  if (isRoot()) {
    let uid: number, gid: number
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
  try {
    run(bin, 'initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], dir)
    run(bin, 'pg_ctl', [
      '-D', data, '-l', join(dir, 'log'), '-w', '-t', '60',
      '-o', `-k ${dir} -p ${port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
      'start',
    ], dir)
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  project.provide('postgresUrl', `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(dir)}&port=${port}`)
  return () => {
    try {
      run(bin, 'pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'], dir)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
