// The REST client under load against the real API server: far more requests at once than it keeps
// sockets, on a busy event loop, all succeed and every answer is read whole. (The exact node-fetch#1767
// race is pinned down by src/kube/client-transport.test.ts, whose peer answers in single writes.)
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CoreTypes } from '../../src/api/resource.js';
import type { KubeObject } from '../../src/kube/client.js';
import { mapLimit } from '../../src/runtime/concurrency.js';
import { managementClient } from '../support/env.js';
import { createNamespace, deleteNamespace } from '../support/namespaces.js';

const client = managementClient();
let ns: string;
beforeAll(async () => {
  ns = await createNamespace(client, 'kubeclient');
});
afterAll(async () => {
  await deleteNamespace(client, ns);
});

type ConfigMap = KubeObject & { data?: Record<string, string> };

describe('KubeClient under concurrent load', () => {
  it('completes several hundred simultaneous creates, patches and reads, far more than its socket pool', async () => {
    // A busy event loop, like a controller in a burst: responses sit unread while their sockets are reused.
    const busy = setInterval(() => {
      const until = performance.now() + 15;
      while (performance.now() < until) {
        // Spin: a handler hogging the loop, as a controller does in a burst.
      }
    }, 5);
    onTestFinished(() => { clearInterval(busy); });
    const names = Array.from({ length: 200 }, (_, i) => `cm-${String(i)}`);
    // A value large enough that the API server answers in chunks rather than with a Content-Length.
    const bulk = 'x'.repeat(8192);
    const created = await Promise.all(
      names.map((name) => client.create<ConfigMap>(CoreTypes.configMap, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { bulk } })),
    );
    expect(created.map((c) => c.metadata.name)).toEqual(names);
    for (let round = 1; round <= 3; round++) {
      const patched = await Promise.all(
        names.map((name) => client.mergePatch<ConfigMap>(CoreTypes.configMap, { name, namespace: ns }, { data: { round: String(round) } })),
      );
      expect(patched.every((c) => c.data?.round === String(round) && c.data.bulk === bulk)).toBe(true);
    }
    const read = await Promise.all(names.map((name) => client.get<ConfigMap>(CoreTypes.configMap, name, ns)));
    expect(read.every((c) => c?.data?.round === '3')).toBe(true);
    // Sequential reuse of the pooled sockets after the burst works too.
    const again = await mapLimit(names.slice(0, 20), 1, (name) => client.get<ConfigMap>(CoreTypes.configMap, name, ns));
    expect(again.every((c) => c?.data?.bulk === bulk)).toBe(true);
  });
});
