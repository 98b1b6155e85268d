import { defineConfig } from 'vitest/config'

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
