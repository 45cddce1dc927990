// A burst of updates to one object while its reconcile is running: the queue must collapse them, never
// run the key twice at once, and still reconcile the final state.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CoreTypes } from '../../src/api/resource.js';
import type { KubeObject } from '../../src/kube/client.js';
import { Manager } from '../../src/runtime/manager.js';
import { silentLogger } from '../../src/runtime/log.js';
import { managementClient } from '../support/env.js';
import { createNamespace, deleteNamespace } from '../support/namespaces.js';

type ConfigMap = KubeObject & { data?: Record<string, string> };

const client = managementClient();
let ns: string;
beforeAll(async () => {
  ns = await createNamespace(client, 'storm');
});
afterAll(async () => {
  await deleteNamespace(client, ns);
});

describe('work queue under an update storm', () => {
  it('reconciles a key updated 100 times a bounded number of times, never concurrently, ending on the last state', async () => {
    await client.create(CoreTypes.configMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hot', namespace: ns }, data: { n: '0' } });
    const manager = new Manager({ client, log: silentLogger() });
    const informer = manager.informer<ConfigMap>(CoreTypes.configMap, { namespace: ns });
    let running = 0;
    let maxConcurrent = 0;
    let reconciles = 0;
    let lastSeen = '';
    manager
      .controller({
        name: 'storm',
        workers: 4,
        reconcile: async ({ name, namespace }) => {
          running++;
          maxConcurrent = Math.max(maxConcurrent, running);
          reconciles++;
          // Level-triggered: read the current state, not the event that woke us.
          const current = await client.get<ConfigMap>(CoreTypes.configMap, name, namespace);
          await new Promise((r) => setTimeout(r, 100));
          lastSeen = current?.data?.n ?? '';
          running--;
          return undefined;
        },
      })
      .for(informer);
    await manager.start();
    for (let i = 1; i <= 100; i++) {
      await client.mergePatch(CoreTypes.configMap, { name: 'hot', namespace: ns }, { data: { n: String(i) } });
    }
    await vi.waitFor(() => { expect(lastSeen).toBe('100'); }, { timeout: 20_000, interval: 50 });
    await manager.stop();

    expect(maxConcurrent).toBe(1);
    // 100 writes take far longer than one 100 ms reconcile, but each reconcile absorbs every update
    // that arrived while it ran; without de-duplication this would be ~100.
    expect(reconciles).toBeLessThan(40);
    expect(reconciles).toBeGreaterThanOrEqual(2);
  });
});
