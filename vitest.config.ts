import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/** React 18, nested in test/react18/node_modules by `npm ci` (that folder is a workspace). */
const react18 = (name: string): string => fileURLToPath(new URL(`test/react18/node_modules/${name}`, import.meta.url))

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'jsdom',
          include: ['test/unit/**/*.test.ts'],
          restoreMocks: true,
          unstubGlobals: true,
        },
      },
      {
        // attune/react's unit tests again, on React 18: `react` and `react-dom` (and their subpaths)
        // resolve to test/react18's copies. react-dom 18 requires its sibling react 18, so the
        // tests, the bindings and react-dom share one React.
        resolve: {
          alias: [
            { find: /^react$/, replacement: react18('react') },
            { find: /^react\/(.*)$/, replacement: `${react18('react')}/$1` },
            { find: /^react-dom$/, replacement: react18('react-dom') },
            { find: /^react-dom\/(.*)$/, replacement: `${react18('react-dom')}/$1` },
          ],
        },
        test: {
          name: 'react18',
          environment: 'jsdom',
          include: ['test/unit/react/**/*.test.ts'],
          restoreMocks: true,
          unstubGlobals: true,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.e2e.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One Chromium at a time: this machine has two cores.
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'server',
          environment: 'node',
          include: ['test/server/**/*.test.ts'],
          // Starts a throwaway PostgreSQL (or uses DATABASE_URL); every server test runs on it and on PGlite.
          globalSetup: ['test/server/postgres.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One file at a time: each opens PGlite and a PostgreSQL database, on two cores.
          fileParallelism: false,
        },
      },
    ],
  },
})
