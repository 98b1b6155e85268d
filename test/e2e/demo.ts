import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** A running `node scripts/demo.mjs`: the URLs it printed, and how to stop it. */
export interface Demo {
  /** The demo shop (script tag), e.g. `http://localhost:40123`. */
  shop: string
  /** The React SPA. */
  spa: string
  /** The attune server. */
  api: string
  /** The agent console (call center), when the demo prints one. */
  agent?: string
  /** Everything the demo printed so far (for failure messages). */
  output: string[]
  /** SIGTERM, wait for the exit, remove the data directory. */
  stop: () => Promise<void>
}

/** A port nobody listens on right now. */
export const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const probe = createServer()
    probe.once('error', fail)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => done(port))
    })
  })

/**
 * Starts the demo as `npm run demo` does (after the build), on free ports and a PGlite data
 * directory of its own, and resolves once it has printed its URLs: by then the server is healthy,
 * the config seeded, the SPA bundled and every page server listening. A port found free can be
 * taken by another test before the demo listens on it: then the demo is started again on others.
 */
export const startDemo = async (adminKey: string, env: Record<string, string> = {}): Promise<Demo> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDemoOnce(adminKey, env)
    } catch (error) {
      if (attempt < 3 && /EADDRINUSE/.test((error as Error).message)) continue
      throw error
    }
  }
}

const startDemoOnce = async (adminKey: string, env: Record<string, string>): Promise<Demo> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'attune-demo-e2e-'))
  const [shopPort, apiPort, spaPort, agentPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
  const demo = spawn(process.execPath, [join(ROOT, 'scripts/demo.mjs')], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(shopPort),
      API_PORT: String(apiPort),
      SPA_PORT: String(spaPort),
      AGENT_PORT: String(agentPort),
      ATTUNE_DATA_DIR: join(dataDir, 'db'),
      ATTUNE_ADMIN_KEY: adminKey,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const output: string[] = []
  const stop = async (): Promise<void> => {
    if (demo.exitCode === null && demo.signalCode === null) {
      const exited = new Promise((done) => demo.once('exit', done))
      demo.kill('SIGTERM')
      await exited
    }
    await rm(dataDir, { recursive: true, force: true })
  }
  try {
    const urls = await new Promise<Omit<Demo, 'output' | 'stop'>>((done, fail) => {
      let text = ''
      demo.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8')
        output.push(chunk.toString('utf8'))
        const shop = /attune demo shop: +(http:\/\/\S+?)\/\s/.exec(text)?.[1]
        const spa = /attune demo SPA: +(http:\/\/\S+?)\/\s/.exec(text)?.[1]
        const api = /attune server: +(http:\/\/\S+?)\/healthz/.exec(text)?.[1]
        const agent = /attune agent console: +(http:\/\/\S+?)\/\s/.exec(text)?.[1]
        // The agent console line comes last, when there is one; 'Ctrl-C' ends the list.
        if (shop && spa && api && /Ctrl-C/.test(text)) done({ shop, spa, api, ...(agent ? { agent } : {}) })
      })
      demo.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')))
      demo.once('exit', (code) => fail(new Error(`scripts/demo.mjs exited (${code}) before printing its URLs:\n${output.join('')}`)))
    })
    const ports = [urls.shop, urls.api, urls.spa].map((u) => new URL(u).port)
    if (ports.join() !== [shopPort, apiPort, spaPort].join()) throw new Error(`the demo listens on ${ports.join(', ')}, not the ports it was given`)
    return { ...urls, output, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
