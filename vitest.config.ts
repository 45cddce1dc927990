// Two projects: `unit` runs pure tests next to the code; `integration` runs test/ against the real
// local stack (kube-apiservers, etcd, moto, Argo Rollouts) that its global setup starts and stops.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'scripts/**/*.test.ts'],
          environment: 'node',
          // Pure tests run first and fast; the integration group follows.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/global-setup.ts'],
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: more workers only add contention on the shared apiservers.
          maxWorkers: 2,
        },
      },
    ],
  },
});
