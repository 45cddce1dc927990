// A world for Cell tests: a namespace, an ALB in its own moto region, AWSTargetGroups backed by real moto
// target groups, and a controller manager running the Cell and Pause controllers (restartable, like a
// restarted pod) against the real ELBv2 adapter wrapped in a recorder.
import { expect, vi } from 'vitest';
import { RolloutsTypes, type AnalysisRun } from '../../src/api/rollouts/analysis.js';
import { AWSTargetGroupType, type AWSTargetGroup } from '../../src/api/v1alpha1/awstargetgroup.js';
import { CellType, type Cell, type CellSpec, type CellStatus } from '../../src/api/v1alpha1/cell.js';
import { SdkListenerRules } from '../../src/aws/elbv2.js';
import type { EngineDeps } from '../../src/analysis/engine.js';
import { DEFAULT_INSTANCE_ID, INSTANCE_ID_LABEL, registerAnalysisRunController } from '../../src/controllers/analysisrun/index.js';
import { registerCellController } from '../../src/controllers/cell/index.js';
import { registerPauseController } from '../../src/controllers/pause/index.js';
import type { KubeObject } from '../../src/kube/client.js';
import { systemClock } from '../../src/runtime/clock.js';
import { KubeEventRecorder, MemoryEventRecorder, type EventInput, type EventRecorder } from '../../src/runtime/events.js';
import { silentLogger } from '../../src/runtime/log.js';
import { Manager } from '../../src/runtime/manager.js';
import { createAlb, type TestAlb } from './alb.js';
import { awsSettings, managementClient } from './env.js';
import { createNamespace } from './namespaces.js';
import { RecordingRules } from './recording-rules.js';

/** Records Events both in memory (for assertions) and on the apiserver (as okrad does). */
class TeeRecorder implements EventRecorder {
  readonly memory = new MemoryEventRecorder();
  constructor(private readonly kube: KubeEventRecorder) {}
  async record(obj: KubeObject, event: EventInput): Promise<void> {
    await this.memory.record(obj, event);
    await this.kube.record(obj, event);
  }
}

const REGIONS = ['eu-west-1', 'us-west-2', 'ap-east-1', 'eu-south-2', 'il-central-1', 'me-central-1', 'ap-south-2', 'ap-southeast-3', 'ap-southeast-4', 'ca-west-1', 'eu-central-2', 'mx-central-1', 'ap-southeast-5', 'ap-southeast-7', 'ap-northeast-3', 'us-gov-east-1'];
let nextRegion = 0;

/** How a world's AnalysisRuns are evaluated: by the builtin engine (with these deps), else by the test. */
export interface WorldAnalysis {
  /** The builtin engine's deps for the world's namespace. */
  readonly engine?: (namespace: string) => EngineDeps;
  /** Finished runs of superseded target-group sets kept per Cell. */
  readonly history?: number;
}

/** One isolated world. */
export class CellWorld {
  readonly client = managementClient();
  readonly events: TeeRecorder;
  readonly rules: RecordingRules;
  private manager: Manager | undefined;
  /** AWSTargetGroup name → target group ARN. */
  readonly arns = new Map<string, string>();

  private constructor(
    readonly namespace: string,
    readonly alb: TestAlb,
    readonly resyncMs: number,
    private readonly analysis: WorldAnalysis | undefined,
  ) {
    this.rules = new RecordingRules(new SdkListenerRules(awsSettings(alb.region)));
    this.events = new TeeRecorder(new KubeEventRecorder(this.client, 'okra-test', silentLogger()));
  }

  /** Creates a namespace and an ALB in a region of its own. */
  static async create(opts: { resyncMs?: number; regionIndex?: number; analysis?: WorldAnalysis } = {}): Promise<CellWorld> {
    const region = REGIONS[(opts.regionIndex ?? nextRegion++) % REGIONS.length] ?? 'eu-west-1';
    const [namespace, alb] = await Promise.all([createNamespace(managementClient(), 'cell'), createAlb(awsSettings(region))]);
    return new CellWorld(namespace, alb, opts.resyncMs ?? 60_000, opts.analysis);
  }

  /** Starts (or restarts) the controllers, as a fresh process would: nothing in memory survives. */
  async start(): Promise<void> {
    await this.stop();
    const manager = new Manager({ client: this.client, log: silentLogger() });
    const builtin = this.analysis?.engine?.(this.namespace);
    registerCellController(manager, {
      rules: this.rules,
      events: this.events,
      clock: systemClock,
      log: silentLogger(),
      resyncMs: this.resyncMs,
      namespace: this.namespace,
      analysisRunLabels: builtin ? { [INSTANCE_ID_LABEL]: DEFAULT_INSTANCE_ID } : undefined,
      analysisRunHistory: this.analysis?.history,
    });
    registerPauseController(manager, { clock: systemClock, namespace: this.namespace });
    if (builtin) registerAnalysisRunController(manager, { engine: builtin, events: this.events, namespace: this.namespace });
    await manager.start();
    this.manager = manager;
  }

  /** Stops the controllers (in-flight reconciles finish first). */
  async stop(): Promise<void> {
    await this.manager?.stop();
    this.manager = undefined;
  }

  /** Creates a moto target group and an AWSTargetGroup for it. */
  async targetGroup(name: string, version: string, labels: Record<string, string> = { app: 'web' }): Promise<string> {
    const arn = await this.alb.targetGroup(name);
    this.arns.set(name, arn);
    await this.client.create<AWSTargetGroup>(AWSTargetGroupType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'AWSTargetGroup',
      metadata: { name, namespace: this.namespace, labels: { ...labels, 'okra.mumo.co/version': version } },
      spec: { arn },
    });
    return arn;
  }

  /** Deletes an AWSTargetGroup (the cluster behind it is gone). */
  async deleteTargetGroup(name: string): Promise<void> {
    await this.client.delete(AWSTargetGroupType, { name, namespace: this.namespace });
  }

  /** Creates a Cell on this world's listener. */
  async cell(name: string, spec: Partial<CellSpec> & { priority?: number; matchLabels?: Record<string, string> } = {}): Promise<Cell> {
    const { priority = 10, matchLabels = { app: 'web' }, ...rest } = spec;
    return this.client.create<Cell>(CellType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'Cell',
      metadata: { name, namespace: this.namespace },
      spec: {
        ingress: {
          type: 'AWSApplicationLoadBalancer',
          awsApplicationLoadBalancer: {
            listenerARN: this.alb.listenerArn,
            listener: { rule: { priority, hosts: [`${name}.example.com`] } },
            targetGroupSelector: { matchLabels },
          },
        },
        ...rest,
      },
    });
  }

  /** The Cell's current status. */
  async status(name: string): Promise<CellStatus> {
    return (await this.client.get<Cell>(CellType, name, this.namespace))?.status ?? {};
  }

  /** Patches the Cell's status, as okractl does (promote, abort). */
  async patchStatus(name: string, status: Partial<CellStatus>): Promise<void> {
    await this.client.mergePatch(CellType, { name, namespace: this.namespace }, { status }, { subresource: 'status' });
  }

  /** Patches the Cell's spec. */
  async patchSpec(name: string, spec: Partial<CellSpec>): Promise<void> {
    await this.client.mergePatch(CellType, { name, namespace: this.namespace }, { spec });
  }

  /** Waits until the Cell's status satisfies `check`. */
  async waitForStatus(name: string, check: (s: CellStatus) => boolean, timeout = 20_000): Promise<CellStatus> {
    let last: CellStatus = {};
    await vi.waitFor(
      async () => {
        last = await this.status(name);
        expect(check(last), `Cell ${name} status: ${JSON.stringify({ phase: last.phase, message: last.message, step: last.currentStepIndex })}`).toBe(true);
      },
      { timeout, interval: 50 },
    );
    return last;
  }

  /** The weights of the rule at a priority (on the world's listener unless told), by AWSTargetGroup name. */
  async weights(priority = 10, listenerArn?: string): Promise<Record<string, number> | undefined> {
    const byArn = await this.alb.weightsAt(priority, listenerArn);
    if (!byArn) return undefined;
    return this.named(byArn);
  }

  /** The recorded weight writes, by AWSTargetGroup name (weight 0 entries dropped). */
  writes(): Record<string, number>[] {
    return this.rules.writes.map((w) => this.named(w));
  }

  /** The AnalysisRuns of a Cell. */
  async analysisRuns(cell: string): Promise<AnalysisRun[]> {
    return (await this.client.list<AnalysisRun>(RolloutsTypes.analysisRun, { namespace: this.namespace, labelSelector: `okra.mumo.co/cell=${cell}` })).items;
  }

  /** Event reasons recorded for a Cell. */
  eventReasons(cell: string): string[] {
    return this.events.memory.events.filter((e) => e.object === `Cell/${cell}`).map((e) => e.reason);
  }

  private named(byArn: Record<string, number>): Record<string, number> {
    const names = new Map([...this.arns.entries()].map(([n, a]) => [a, n]));
    return Object.fromEntries(Object.entries(byArn).filter(([, w]) => w > 0).map(([arn, w]) => [names.get(arn) ?? arn, w]));
  }
}
