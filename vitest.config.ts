import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Each file's world (emulator, store) lives in its worker: two workers keep both cores busy.
    maxWorkers: 2,
    // Three times the slowest test's usual time: on a 2-core runner losing half its CPU to steal, the
    // removal story took 30 s (9 s usually). A timeout is not an assertion; a hung test still fails.
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
})
