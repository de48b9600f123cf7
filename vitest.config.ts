import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Three tiers, run in this order by `npm test` (each one `npm run test:<tier>`):
 * - unit: pure tests, no server and no socket (tests/support/noSockets.ts refuses them);
 * - integration: real Redis, PostgreSQL, Dovecot, SMTP sink and service, one file at a time;
 * - faults: outages, kills, restarts and poison mail, and the benchmark's smoke run.
 * `npm run lint:tiers` checks that every test file is in exactly one tier.
 */
const faults = [
  'tests/faults.integration.test.ts',
  'tests/crash.integration.test.ts',
  'tests/poison.integration.test.ts',
  'tests/bench.smoke.test.ts',
];
const integration = ['src/**/*.integration.test.ts', 'tests/**/*.integration.test.ts'];

// The tiers that write to the shared Redis check that they leave nothing there.
const redisLeaks = 'tests/support/redisLeaks.ts';
// One database per run on the shared PostgreSQL; after redisLeaks, which sets the run id.
const database = 'tests/support/database.global.ts';

export default defineConfig({
  test: {
    // Integration tests start real servers (Dovecot, Redis, SMTP): give them room.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...integration, ...faults],
          setupFiles: ['tests/support/noSockets.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: integration,
          exclude: [...configDefaults.exclude, ...faults],
          globalSetup: [redisLeaks, database],
        },
      },
      {
        extends: true,
        test: { name: 'faults', include: faults, globalSetup: [redisLeaks, database] },
      },
    ],
  },
});
