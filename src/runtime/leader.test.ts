// The elector's deadlines against a Lease store in memory: a wall-clock step must not keep a replica
// leading after it could last have renewed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import { LeaderElector } from './leader.js';
import { silentLogger } from './log.js';

/** One Lease, with the API server's resourceVersion check; `down` makes every request fail. */
class MemoryLeases {
  private lease: KubeObject | undefined;
  private version = 0;
  down = false;

  get(): Promise<KubeObject | undefined> {
    return this.answer(() => (this.lease ? structuredClone(this.lease) : undefined));
  }

  create(_type: unknown, obj: KubeObject): Promise<KubeObject> {
    return this.answer(() => {
      if (this.lease) throw new KubeApiError(409, 'AlreadyExists', 'exists');
      return this.store(obj);
    });
  }

  replace(_type: unknown, obj: KubeObject): Promise<KubeObject> {
    return this.answer(() => {
      if (obj.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) throw new KubeApiError(409, 'Conflict', 'conflict');
      return this.store(obj);
    });
  }

  private store(obj: KubeObject): KubeObject {
    this.lease = { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++this.version) } };
    return structuredClone(this.lease);
  }

  private answer<T>(f: () => T): Promise<T> {
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve().then(f);
  }
}

const LEASE = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };

afterEach(() => { vi.restoreAllMocks(); });

describe('LeaderElector', () => {
  it('stands down before a standby could take the lease even when the wall clock steps back', async () => {
    const leases = new MemoryLeases();
    const realNow = Date.now.bind(Date);
    let offset = 0;
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);
    const elector = new LeaderElector(leases as unknown as KubeClient, { namespace: 'ns', name: 'okra', identity: 'me', ...LEASE }, silentLogger());
    let stoppedAt = 0;
    elector.start({ onStartedLeading: () => undefined, onStoppedLeading: () => { stoppedAt = realNow(); } });
    await vi.waitFor(() => { expect(elector.isLeader).toBe(true); });
    await new Promise((r) => setTimeout(r, 1200));
    const partitionedAt = realNow();
    leases.down = true;
    offset = -10_000; // chrony steps the clock back while this replica cannot reach the API server
    await vi.waitFor(() => { expect(stoppedAt).toBeGreaterThan(0); }, { timeout: 20_000, interval: 50 });
    await elector.stop();
    // A standby that can reach the API server takes the lease one lease duration after the last renewal.
    expect(stoppedAt - partitionedAt).toBeLessThan(LEASE.leaseDurationMs);
  }, 30_000);

  it('tells the owner at once when the lease is lost while a stop drains, before the drain ends', async () => {
    const leases = new MemoryLeases();
    const elector = new LeaderElector(leases as unknown as KubeClient, { namespace: 'ns', name: 'okra', identity: 'me', ...LEASE }, silentLogger());
    const log: string[] = [];
    const at = (what: string) => () => { log.push(what); };
    elector.start({
      onStartedLeading: at('started'),
      onStoppedLeading: () => new Promise<void>((resolve) => { setTimeout(() => { log.push('drained'); resolve(); }, 2 * LEASE.leaseDurationMs); }),
      onLost: at('lost'),
    });
    await vi.waitFor(() => { expect(elector.isLeader).toBe(true); });
    const stopping = elector.stop();
    leases.down = true; // a partition while the passes in flight finish
    const downAt = performance.now();
    await vi.waitFor(() => { expect(log).toContain('lost'); }, { timeout: 10_000, interval: 20 });
    // Before a standby could take the lease (one lease duration after the last renewal).
    expect(performance.now() - downAt).toBeLessThan(LEASE.leaseDurationMs);
    await stopping;
    expect(log).toEqual(['started', 'lost', 'drained']);
  }, 20_000);
});
