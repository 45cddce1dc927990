// The controller manager: shares informers between controllers, starts them all, and — with leader
// election — runs the controllers only while this process holds the lease. Informers run on standbys
// too, so a takeover starts from a warm cache.
import type { Logger } from 'pino';
import type { ResourceType } from '../api/resource.js';
import type { KubeClient, KubeObject } from '../kube/client.js';
import { Informer, type InformerOptions } from '../kube/informer.js';
import { Controller, noMetrics, type ControllerMetrics, type ControllerOptions } from './controller.js';
import { LeaderElector, type LeaderElectionOptions } from './leader.js';

/** Options of a manager. */
export interface ManagerOptions {
  readonly client: KubeClient;
  readonly log: Logger;
  readonly metrics?: ControllerMetrics;
  /** Without it, this manager always runs its controllers. */
  readonly leaderElection?: LeaderElectionOptions | undefined;
  /** Called when leadership is lost (okrad exits so it restarts clean). Default: controllers stop. */
  readonly onLostLeadership?: (() => void) | undefined;
  /** Informer tuning, mostly for tests. */
  readonly informerDefaults?: Omit<InformerOptions, keyof import('../kube/client.js').ListOptions>;
}

/** Runs informers and controllers. */
export class Manager {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly controllers: Controller[] = [];
  private elector: LeaderElector | undefined;
  private controllersRunning = false;
  private started = false;

  constructor(private readonly options: ManagerOptions) {}

  /** The API client informers and controllers share. */
  get client(): KubeClient {
    return this.options.client;
  }

  /** A shared informer for a type and selection; created on first use. */
  informer<T extends KubeObject>(type: ResourceType, opts: { namespace?: string | undefined; labelSelector?: string } = {}): Informer<T> {
    const key = `${type.group}/${type.plural}|${opts.namespace ?? ''}|${opts.labelSelector ?? ''}`;
    let informer = this.informers.get(key);
    if (!informer) {
      const log = this.options.log.child({ informer: type.plural });
      informer = new Informer<KubeObject>(this.options.client, type, { ...this.options.informerDefaults, ...opts }, log);
      this.informers.set(key, informer);
      if (this.started) informer.start();
    }
    return informer as unknown as Informer<T>;
  }

  /** Creates and registers a controller. */
  controller(opts: Omit<ControllerOptions, 'log' | 'metrics'> & { log?: Logger }): Controller {
    const controller = new Controller({ metrics: this.options.metrics ?? noMetrics, log: this.options.log, ...opts });
    this.controllers.push(controller);
    if (this.controllersRunning) controller.start();
    return controller;
  }

  /**
   * True once every informer has its first list, leading or not: a standby replica must be ready too, or
   * a rolling update of two replicas would wait on it for ever (controller-runtime's readyz does the same).
   */
  get ready(): boolean {
    return this.started && [...this.informers.values()].every((i) => i.hasSynced);
  }

  /** True while the controllers run. */
  get leading(): boolean {
    return this.controllersRunning;
  }

  /** Starts informers, waits for their caches, then runs controllers (when leading). */
  async start(): Promise<void> {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
    const election = this.options.leaderElection;
    if (!election) {
      this.startControllers();
      return;
    }
    this.elector = new LeaderElector(this.options.client, election, this.options.log.child({ component: 'leader' }));
    this.elector.start({
      onStartedLeading: () => { this.startControllers(); },
      // Lost (while leading, or while a stop drains): tell the owner first, as controller-runtime does, so a
      // process that exits on it does so before any in-flight pass can write beside the new leader.
      onLost: () => { this.options.onLostLeadership?.(); },
      onStoppedLeading: () => this.stopControllers(),
    });
  }

  /** Stops controllers (in-flight reconciles finish), releases the lease, stops informers. */
  async stop(): Promise<void> {
    this.started = false;
    await this.elector?.stop();
    await this.stopControllers();
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  private startControllers(): void {
    this.controllersRunning = true;
    for (const c of this.controllers) c.start();
  }

  private async stopControllers(): Promise<void> {
    if (!this.controllersRunning) return;
    this.controllersRunning = false;
    await Promise.all(this.controllers.map((c) => c.stop()));
  }
}
