// Leader election on a coordination.k8s.io/v1 Lease, as client-go does it:
// - a candidate takes the lease when it is free, released, or not renewed for leaseDuration;
// - expiry is judged by the local clock from the moment this candidate last saw the record change,
//   never by comparing clocks across machines;
// - writes carry the observed resourceVersion, so two candidates can never both win a round;
// - the leader renews every retryPeriod and gives up leadership when it cannot renew within
//   renewDeadline, the requests of a renewal included (a hung API server cannot stretch it), or at once
//   when the lease shows another holder (it must then stop writing: the manager stops its controllers);
// - on a clean stop the leader keeps renewing while its controllers drain, then releases the lease so a
//   standby takes over at once (controller-runtime's ReleaseOnCancel): a pass still writing must never
//   overlap the next leader's;
// - every duration is measured on the monotonic clock: a wall-clock step must not stretch a deadline.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { CoreTypes } from '../api/resource.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { isAlreadyExists, isConflict } from '../kube/errors.js';
import { sleep } from './clock.js';

/** Lease timing and identity. */
export interface LeaderElectionOptions {
  readonly namespace: string;
  readonly name: string;
  /** Unique per process, for example the pod name plus a random suffix. */
  readonly identity: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

/** Callbacks for leadership changes. */
export interface LeaderCallbacks {
  onStartedLeading(): void | Promise<void>;
  /** Leading ended: the controllers must stop (their passes in flight finish). */
  onStoppedLeading(): void | Promise<void>;
  /**
   * The lease was lost (not released): another candidate may lead soon, so a pass still writing must end
   * now. Called while leading, before onStoppedLeading, and also when it happens while a stop drains.
   */
  onLost?(): void | Promise<void>;
}

interface LeaseSpec {
  holderIdentity?: string | undefined;
  leaseDurationSeconds?: number | undefined;
  acquireTime?: string | undefined;
  renewTime?: string | undefined;
  leaseTransitions?: number | undefined;
}

type Lease = KubeObject & { spec?: LeaseSpec };

/** Kubernetes MicroTime needs exactly six fractional digits. */
function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Runs one candidate's election loop. */
export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observed: { record: string; at: number } | undefined;
  private leading = false;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectionOptions,
    private readonly log: Logger,
  ) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
  }

  /** True while this candidate holds the lease. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Starts campaigning; callbacks fire on every change of leadership. */
  start(callbacks: LeaderCallbacks): void {
    this.loop ??= this.run(callbacks);
  }

  /** Stops campaigning; a leader releases the lease first so a standby can take over at once. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  // A method, not the signal property, so the compiler does not assume it cannot change across awaits.
  private stopping(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(callbacks: LeaderCallbacks): Promise<void> {
    while (!this.stopping()) {
      // A standby's round is bounded too: a request on a dead keep-alive socket must not stop it campaigning.
      if ((await this.roundWithin(this.renewDeadlineMs, this.abort.signal)) !== 'held') {
        await sleep(this.retryPeriodMs, this.abort.signal);
        continue;
      }
      this.leading = true;
      this.log.info({ lease: this.options.name, identity: this.options.identity }, 'became leader');
      await callbacks.onStartedLeading();
      await this.lead(callbacks);
    }
  }

  /** Holds the lease until it is lost, or until a stop, when the controllers drain before it is released. */
  private async lead(callbacks: LeaderCallbacks): Promise<void> {
    const renewing = new AbortController();
    const renewal = this.renewUntilLost(renewing.signal);
    const lost = await Promise.race([renewal.then(() => true), untilAborted(this.abort.signal).then(() => false)]);
    if (lost) {
      this.log.warn({ lease: this.options.name }, 'lost leadership');
      await callbacks.onLost?.();
      this.leading = false;
      await callbacks.onStoppedLeading();
      return;
    }
    // Stopping: the passes in flight finish while the lease is still ours, so no standby writes beside them.
    // Should the lease be lost meanwhile (a partition), the owner hears of it at once, as when leading.
    const drained = Promise.resolve(callbacks.onStoppedLeading());
    if (await Promise.race([renewal.then(() => true), drained.then(() => false)])) {
      this.log.warn({ lease: this.options.name }, 'lost leadership while stopping');
      await callbacks.onLost?.();
    }
    await drained;
    this.leading = false;
    renewing.abort();
    await renewal;
    await this.release();
  }

  /** Renews until `signal` aborts or the lease is lost; a renewal's requests are cut off at the renew deadline. */
  private async renewUntilLost(signal: AbortSignal): Promise<void> {
    // The deadline runs from the start of the last renewal that succeeded: the lease was written then.
    let lastRenewStarted = performance.now();
    for (;;) {
      await sleep(this.retryPeriodMs, signal);
      if (signal.aborted) return;
      const started = performance.now();
      const left = lastRenewStarted + this.renewDeadlineMs - started;
      if (left <= 0) return;
      const round = await this.roundWithin(left, signal);
      if (round === 'held') lastRenewStarted = started;
      else if (round === 'taken' || performance.now() - lastRenewStarted >= this.renewDeadlineMs) return;
    }
  }

  /**
   * One election round, its requests cut off after `ms` or when `signal` aborts. The deadline is a timer
   * of our own: an AbortSignal.timeout() that only AbortSignal.any() refers to may be garbage-collected,
   * and then it never fires.
   */
  private async roundWithin(ms: number, signal: AbortSignal): Promise<'held' | 'taken' | 'failed'> {
    const deadline = new AbortController();
    const timer = setTimeout(() => { deadline.abort(new Error(`lease round took longer than ${String(ms)} ms`)); }, ms);
    try {
      return await this.tryAcquireOrRenew(AbortSignal.any([signal, deadline.signal]));
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * One election round: `held` when this candidate holds the lease afterwards, `taken` when another
   * holder's lease is current, `failed` when the round could not tell (an error, a conflict, a timeout).
   */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<'held' | 'taken' | 'failed'> {
    try {
      const lease = await this.client.get<Lease>(CoreTypes.lease, this.options.name, this.options.namespace, { signal });
      if (!lease) return await this.create(signal);
      return await this.takeIfPossible(lease, signal);
    } catch (err) {
      // A conflict is another candidate winning the round; an abort is our own stop: neither is news.
      if (isConflict(err) || isAlreadyExists(err) || this.stopping() || signal.aborted) return 'failed';
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'leader election round failed');
      return 'failed';
    }
  }

  private async create(signal: AbortSignal): Promise<'held'> {
    const now = microTime(new Date());
    await this.client.create<Lease>(CoreTypes.lease, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.options.name, namespace: this.options.namespace },
      spec: { ...this.record(), acquireTime: now, renewTime: now, leaseTransitions: 0 },
    }, { signal });
    return 'held';
  }

  private async takeIfPossible(lease: Lease, signal: AbortSignal): Promise<'held' | 'taken'> {
    const spec = lease.spec ?? {};
    this.noteObserved(spec);
    const holder = spec.holderIdentity ?? '';
    const mine = holder === this.options.identity;
    const expired = this.observed !== undefined && performance.now() - this.observed.at > this.leaseDurationMs;
    if (!mine && holder !== '' && !expired) return 'taken';
    const now = microTime(new Date());
    const next: LeaseSpec = mine
      ? { ...spec, ...this.record(), renewTime: now }
      : { ...this.record(), acquireTime: now, renewTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 };
    const updated = await this.client.replace<Lease>(CoreTypes.lease, { ...lease, spec: next }, { signal });
    this.noteObserved(updated.spec ?? {});
    return 'held';
  }

  private record(): LeaseSpec {
    return { holderIdentity: this.options.identity, leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000) };
  }

  private noteObserved(spec: LeaseSpec): void {
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseTransitions]);
    if (this.observed?.record !== record) this.observed = { record, at: performance.now() };
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.client.get<Lease>(CoreTypes.lease, this.options.name, this.options.namespace);
      if (lease?.spec?.holderIdentity !== this.options.identity) return;
      const now = microTime(new Date());
      await this.client.replace<Lease>(CoreTypes.lease, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
      });
      this.log.info({ lease: this.options.name }, 'released leadership');
    } catch (err) {
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not release the lease');
    }
  }
}

/** Resolves once `signal` aborts. */
function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => { signal.addEventListener('abort', () => { resolve(); }, { once: true }); });
}
