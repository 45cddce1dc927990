// Two controller managers share one Lease: exactly one reconciles, and the other takes over when the
// leader stops (at once on a clean stop, within the lease duration after a crash).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CoreTypes } from '../../src/api/resource.js';
import { KubeClient, type KubeObject } from '../../src/kube/client.js';
import { connectionFromKubeConfig, loadKubeConfig } from '../../src/kube/connection.js';
import { silentLogger } from '../../src/runtime/log.js';
import { Manager } from '../../src/runtime/manager.js';
import { managementClient, stack, uniqueSuffix } from '../support/env.js';
import { createNamespace, deleteNamespace } from '../support/namespaces.js';
import { FreezableTcpProxy } from '../support/tcp-proxy.js';

const client = managementClient();
let ns: string;
beforeAll(async () => {
  ns = await createNamespace(client, 'leader');
});
afterAll(async () => {
  await deleteNamespace(client, ns);
});

const LEASE = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

/** A manager whose one controller records which identity reconciled which ConfigMap. */
function candidate(
  identity: string,
  lease: string,
  reconciled: { by: string; name: string }[],
  { via = client, onLostLeadership, passMs = 0 }: { via?: KubeClient; onLostLeadership?: () => void; passMs?: number } = {},
): Manager {
  const manager = new Manager({
    client: via,
    log: silentLogger(),
    leaderElection: { namespace: ns, name: lease, identity, ...LEASE },
    onLostLeadership,
  });
  manager
    .controller({
      name: 'record',
      reconcile: async ({ name }) => {
        reconciled.push({ by: identity, name });
        if (passMs > 0) await new Promise((r) => setTimeout(r, passMs));
        reconciled.push({ by: identity, name: `${name} done` });
        return undefined;
      },
    })
    .for(manager.informer<KubeObject>(CoreTypes.configMap, { namespace: ns }));
  return manager;
}

const configMap = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns } });

describe('leader election', () => {
  it('lets exactly one manager reconcile and hands over at once on a clean stop', async () => {
    const lease = `okra-${uniqueSuffix()}`;
    const reconciled: { by: string; name: string }[] = [];
    const a = candidate('a', lease, reconciled);
    const b = candidate('b', lease, reconciled);
    await Promise.all([a.start(), b.start()]);
    await vi.waitFor(() => { expect([a.leading, b.leading].filter(Boolean)).toHaveLength(1); }, { timeout: 10_000 });
    const [leader, standby, leaderId, standbyId] = a.leading ? [a, b, 'a', 'b'] : [b, a, 'b', 'a'];

    await client.create(CoreTypes.configMap, configMap('one'));
    await vi.waitFor(() => { expect(reconciled).toContainEqual({ by: leaderId, name: 'one' }); }, { timeout: 10_000 });
    // The standby's informer saw the same event; it must not have acted on it.
    await new Promise((r) => setTimeout(r, 500));
    expect(reconciled.filter((r) => r.by === standbyId)).toEqual([]);

    const stoppedAt = Date.now();
    await leader.stop();
    await vi.waitFor(() => { expect(standby.leading).toBe(true); }, { timeout: LEASE.leaseDurationMs, interval: 50 });
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE.leaseDurationMs);

    const before = reconciled.length;
    await client.create(CoreTypes.configMap, configMap('two'));
    await vi.waitFor(() => { expect(reconciled).toContainEqual({ by: standbyId, name: 'two' }); }, { timeout: 10_000 });
    expect(reconciled.slice(before).every((r) => r.by === standbyId)).toBe(true);
    await standby.stop();
  });

  it('keeps the lease while a stopping leader finishes a pass longer than the lease, and hands over after it', async () => {
    const lease = `okra-${uniqueSuffix()}`;
    const reconciled: { by: string; name: string }[] = [];
    const leader = candidate('leader', lease, reconciled, { passMs: 2 * LEASE.leaseDurationMs });
    await leader.start();
    await vi.waitFor(() => { expect(leader.leading).toBe(true); }, { timeout: 10_000 });
    const standby = candidate('standby', lease, reconciled);
    await standby.start();
    await client.create(CoreTypes.configMap, configMap('slow'));
    await vi.waitFor(() => { expect(reconciled).toContainEqual({ by: 'leader', name: 'slow' }); }, { timeout: 10_000 });

    await leader.stop(); // SIGTERM: the pass in flight still writes for 6 s
    await vi.waitFor(() => { expect(standby.leading).toBe(true); }, { timeout: LEASE.leaseDurationMs, interval: 50 });
    await vi.waitFor(() => { expect(reconciled).toContainEqual({ by: 'standby', name: 'slow done' }); }, { timeout: 10_000 });
    // Two writers never overlap: the standby's first pass starts after the old leader's last one ended.
    const leaderDone = reconciled.findIndex((r) => r.by === 'leader' && r.name === 'slow done');
    const standbyStart = reconciled.findIndex((r) => r.by === 'standby');
    expect(leaderDone).toBeGreaterThanOrEqual(0);
    expect(leaderDone).toBeLessThan(standbyStart);
    await standby.stop();
  });

  it('a standby whose keep-alive connection went dead still takes over once the leader releases', async () => {
    const lease = `okra-${uniqueSuffix()}`;
    const leader = candidate('leader', lease, []);
    await leader.start();
    await vi.waitFor(() => { expect(leader.leading).toBe(true); }, { timeout: 10_000 });
    const proxy = await FreezableTcpProxy.start(stack().management.server);
    const viaProxy = new KubeClient({ ...connectionFromKubeConfig(loadKubeConfig(stack().management.kubeconfig)), server: proxy.url });
    const standby = candidate('standby', lease, [], { via: viaProxy });
    try {
      await standby.start();
      await new Promise((r) => setTimeout(r, 1000));
      proxy.freeze(); // the standby's open socket is dead from here on
      await new Promise((r) => setTimeout(r, 1000));
      proxy.thaw(); // new connections work again
      await leader.stop();
      await vi.waitFor(() => { expect(standby.leading).toBe(true); }, { timeout: LEASE.renewDeadlineMs + 3 * LEASE.retryPeriodMs + 2000, interval: 50 });
    } finally {
      await standby.stop();
      await proxy.stop();
      viaProxy.close();
    }
  });

  it('takes over from a crashed leader only after its lease expires', async () => {
    const lease = `okra-${uniqueSuffix()}`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, '..', 'fixtures', 'leader-candidate.ts'), stack().management.kubeconfig, ns, lease, 'crashing'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let childOutput = '';
    child.stdout.on('data', (d: Buffer) => (childOutput += d.toString()));
    try {
      await vi.waitFor(() => { expect(childOutput).toContain('LEADING'); }, { timeout: 20_000, interval: 50 });
      const reconciled: { by: string; name: string }[] = [];
      const survivor = candidate('survivor', lease, reconciled);
      await survivor.start();
      await new Promise((r) => setTimeout(r, 1500));
      expect(survivor.leading).toBe(false);

      const killedAt = Date.now();
      child.kill('SIGKILL');
      await vi.waitFor(() => { expect(survivor.leading).toBe(true); }, { timeout: 10_000, interval: 50 });
      const takeoverMs = Date.now() - killedAt;
      // Not before the crashed leader's last renewal has expired, and promptly after it has.
      expect(takeoverMs).toBeGreaterThanOrEqual(LEASE.leaseDurationMs - 2 * LEASE.retryPeriodMs);
      expect(takeoverMs).toBeLessThanOrEqual(LEASE.leaseDurationMs + 3 * LEASE.retryPeriodMs + 1000);

      await client.create(CoreTypes.configMap, configMap('after-crash'));
      await vi.waitFor(() => { expect(reconciled).toContainEqual({ by: 'survivor', name: 'after-crash' }); }, { timeout: 10_000 });
      await survivor.stop();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('stands down within the renew deadline when the API server stops answering, and says so before stopping', async () => {
    const lease = `okra-${uniqueSuffix()}`;
    const proxy = await FreezableTcpProxy.start(stack().management.server);
    const viaProxy = new KubeClient({ ...connectionFromKubeConfig(loadKubeConfig(stack().management.kubeconfig)), server: proxy.url });
    const events: string[] = [];
    const frozen = candidate('frozen', lease, [], { via: viaProxy, onLostLeadership: () => events.push(`lost, leading=${String(frozen.leading)}`) });
    try {
      await frozen.start();
      await vi.waitFor(() => { expect(frozen.leading).toBe(true); }, { timeout: 10_000, interval: 50 });
      const frozenAt = Date.now();
      proxy.freeze();
      await vi.waitFor(() => { expect(events).toHaveLength(1); }, { timeout: 20_000, interval: 50 });
      const lostAfterMs = Date.now() - frozenAt;
      // The renewal's own requests are cut off at the renew deadline, counted from the last renewal (at
      // most a retry period before the freeze): not the 30 s a request may take.
      expect(lostAfterMs).toBeLessThanOrEqual(LEASE.renewDeadlineMs + LEASE.retryPeriodMs + 1000);
      // The owner hears of it while the controllers still run: okrad exits there, before any pass in flight.
      expect(events).toEqual(['lost, leading=true']);
      await vi.waitFor(() => { expect(frozen.leading).toBe(false); }, { timeout: 5_000, interval: 50 });
    } finally {
      await proxy.stop();
      await frozen.stop();
    }
  });
});
