#!/usr/bin/env node
// Makes sure a Chromium for the e2e tests exists: CHROMIUM_PATH, else /usr/bin/chromium, else
// /usr/bin/chromium-browser (the same order as test/e2e/harness.ts). When none is there, root
// installs Debian's `chromium` package; anyone else is told the command and the run fails.
// It never succeeds without a browser.
import { accessSync, constants } from 'node:fs'
import { spawnSync } from 'node:child_process'

const candidates = () =>
  [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean)

const isExecutable = (path) => {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

const find = () => candidates().find(isExecutable)

const run = (command, args) => {
  console.error(`ensure-chromium: ${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  if (result.error) console.error(`ensure-chromium: could not run ${command}: ${result.error.message}`)
  return result.status === 0
}

if (process.env.CHROMIUM_PATH && !isExecutable(process.env.CHROMIUM_PATH)) {
  console.error(`ensure-chromium: CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not an executable file; looking elsewhere.`)
}

let found = find()
if (!found) {
  if (process.getuid?.() !== 0) {
    console.error(
      'ensure-chromium: no Chromium found (looked at CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser).\n' +
        'Install it with:  sudo apt-get install -y chromium\n' +
        'or point CHROMIUM_PATH at a Chromium executable.',
    )
    process.exit(1)
  }
  console.error('ensure-chromium: no Chromium found; installing Debian package "chromium".')
  if (run('apt-get', ['update']) && run('apt-get', ['install', '-y', 'chromium'])) found = find()
  if (!found) {
    console.error('ensure-chromium: installing chromium failed; install it by hand or set CHROMIUM_PATH.')
    process.exit(1)
  }
}
console.log(`chromium: ${found}`)
