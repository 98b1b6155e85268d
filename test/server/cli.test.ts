import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDb, optionsFromEnv } from '../../server/src/index'
import type { TestDatabase } from './helpers'
import { ADMIN_KEY, SECRET, SITE, drivers, event, visitorId } from './helpers'

const BIN = join(import.meta.dirname, '../../server/bin/attune-server.mjs')
const SITES = JSON.stringify({ [SITE]: { origins: ['https://shop.example'] } })

/** Runs the CLI as `npx attune-server` would, with a clean environment plus `env`. */
const start = (env: Record<string, string>) => {
  const child = spawn(process.execPath, [BIN], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not listening after 90 s\n${stdout}\n${stderr}`)), 90_000)
    const look = () => {
      const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]
      if (port) {
        clearTimeout(timer)
        resolve(Number(port))
      }
    }
    child.stdout?.on('data', look)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code}\n${stdout}\n${stderr}`))
    })
  })
  listening.catch(() => undefined)
  return { child, exited, listening, output: () => ({ stdout, stderr }) }
}

describe.each(drivers)('the attune-server CLI ($name)', (driver) => {
  let database: TestDatabase
  let dataDir: string
  let dbEnv: Record<string, string>
  const children: ChildProcess[] = []
  beforeAll(async () => {
    database = await driver.open()
    dataDir = mkdtempSync(join(tmpdir(), 'attune-cli-'))
    // PGlite in a child process needs a directory on disk (memory:// would die with it).
    dbEnv = driver.name === 'postgres' ? { DATABASE_URL: database.url } : { ATTUNE_DATA_DIR: join(dataDir, 'pglite') }
  })
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
    await database.drop()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('SIGTERM mid-request: the request still gets 200, its events are stored, the process exits 0', async () => {
    const server = start({ ...dbEnv, PORT: '0', ATTUNE_SECRET: SECRET, ATTUNE_ADMIN_KEY: ADMIN_KEY, ATTUNE_SITES: SITES })
    children.push(server.child)
    const port = await server.listening
    expect(server.output().stdout).toContain(`database: ${driver.name}`)

    const visitor = visitorId()
    const batch = [event(), event(), event()]
    const body = JSON.stringify({ site: SITE, visitor, events: batch })
    const half = Math.floor(body.length / 2)
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/collect', headers: { 'content-type': 'text/plain;charset=UTF-8' } }, (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
      })
      req.on('error', reject)
      // Half the body now (chunked), the rest after SIGTERM.
      req.write(body.slice(0, half))
      setTimeout(() => {
        server.child.kill('SIGTERM')
        setTimeout(() => req.end(body.slice(half)), 500)
      }, 300)
    })
    const result = await answer
    expect(result.status).toBe(200)
    expect(JSON.parse(result.body)).toMatchObject({ accepted: 3, duplicates: 0, rejected: 0 })
    expect(await server.exited).toBe(0)
    expect(server.output().stdout).toContain('SIGTERM: draining')
    expect(server.output().stdout).toContain('stopped')

    const db = await createDb(driver.name === 'postgres' ? database.url : join(dataDir, 'pglite'))
    const rows = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events WHERE site = $1 AND visitor = $2', [SITE, visitor])
    await db.close()
    expect(rows[0]?.n).toBe(3)
  })

  it('NODE_ENV=production without ATTUNE_SECRET and ATTUNE_ADMIN_KEY: exit 1 with a message saying what to set', async () => {
    const server = start({ ...dbEnv, PORT: '0', NODE_ENV: 'production' })
    children.push(server.child)
    expect(await server.exited).toBe(1)
    expect(server.output().stderr).toMatch(/ATTUNE_SECRET and ATTUNE_ADMIN_KEY/)
    expect(server.output().stdout).not.toContain('listening')
  })

  it('development without a secret: starts with a warning, sites from ATTUNE_SITES_FILE', async () => {
    const file = join(dataDir, 'sites.json')
    writeFileSync(file, SITES)
    const server = start({ ...dbEnv, PORT: '0', ATTUNE_SITES_FILE: file })
    children.push(server.child)
    const port = await server.listening
    expect(server.output().stderr).toMatch(/ATTUNE_SECRET is not set/)
    const res = await fetch(`http://127.0.0.1:${port}/v1/sites/${SITE}/config`, { headers: { origin: 'https://shop.example' } })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example')
    server.child.kill('SIGINT')
    expect(await server.exited).toBe(0)
  })
})

describe('optionsFromEnv', () => {
  it.each([
    { env: { NODE_ENV: 'production' }, error: /ATTUNE_SECRET and ATTUNE_ADMIN_KEY/ },
    { env: { NODE_ENV: 'production', ATTUNE_SECRET: 'x'.repeat(40) }, error: /needs ATTUNE_ADMIN_KEY/ },
    { env: { NODE_ENV: 'production', ATTUNE_SECRET: 'short', ATTUNE_ADMIN_KEY: 'k' }, error: /at least 32 characters/ },
    { env: { PORT: 'http' }, error: /PORT must be an integer/ },
    { env: { ATTUNE_SITES: '{nope' }, error: /ATTUNE_SITES must be JSON/ },
    { env: { ATTUNE_SITES: '{"shop-1":{"origins":["https://a.example/path"]}}' }, error: /shop-1\.origins\.0/ },
    { env: { ATTUNE_SITES: '{"shop-1":{"origin":[]}}' }, error: /shop-1\.origin/ },
    { env: { ATTUNE_SITES_FILE: '/nonexistent/sites.json' }, error: /cannot read/ },
    { env: { ATTUNE_RATE_IP: 'fast' }, error: /ATTUNE_RATE_IP must be/ },
  ])('refuses $env', ({ env, error }) => {
    expect(() => optionsFromEnv(env)).toThrow(error)
  })

  it('reads every variable', () => {
    const cli = optionsFromEnv({
      PORT: '9000',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u@h/db',
      ATTUNE_SECRET: 's'.repeat(32),
      ATTUNE_ADMIN_KEY: 'admin',
      ATTUNE_SITES: SITES,
      ATTUNE_RATE_IP: '100/200',
      ATTUNE_RATE_VISITOR: 'off',
      ATTUNE_MAX_IN_FLIGHT: '64',
      ATTUNE_TRUST_PROXY: '1',
      NODE_ENV: 'production',
    })
    expect(cli).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      options: {
        db: 'postgres://u@h/db',
        secret: 's'.repeat(32),
        adminKey: 'admin',
        sites: { [SITE]: { origins: ['https://shop.example'] } },
        rateLimits: { ip: { rate: 100, burst: 200 }, visitor: false },
        maxInFlight: 64,
        trustProxy: true,
      },
      warnings: [],
    })
  })

  it('defaults: port 8787 on 127.0.0.1, PGlite in .attune-data, a random secret with a warning', () => {
    const cli = optionsFromEnv({})
    expect(cli).toMatchObject({ port: 8787, host: '127.0.0.1', options: { db: '.attune-data', maxInFlight: 256, trustProxy: false } })
    expect(cli.options.secret).toMatch(/^[0-9a-f]{64}$/)
    expect(cli.warnings.join('\n')).toMatch(/ATTUNE_SECRET is not set/)
    expect(optionsFromEnv({ ATTUNE_DATA_DIR: '/var/lib/attune' }).options.db).toBe('/var/lib/attune')
  })
})
