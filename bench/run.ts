// `npm run bench [-- --cells N]`: the Cell controller at 10, 100 and 500 Cells (2 target groups each)
// against the real apiserver and moto, with okrad running as its own process from the built dist/.
// Prints one JSON object per Cell count. Not part of `npm test`.
//
// Measured (see docs/benchmark.md for the definitions):
// - first weight: new version's AWSTargetGroup created → the Cell's status shows the canary weight was
//   written (okrad patches status right after ModifyRule returns);
// - pause → next weight: the pause step's end (its start + duration) → the next step's weight written;
// - ELBv2 calls, from okrad's own /metrics: per step of the rollout, and per Cell per idle resync;
// - okrad RSS and CPU at idle, from /proc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeRulesCommand, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CoreTypes } from '../src/api/resource.js';
import { AWSTargetGroupType } from '../src/api/v1alpha1/awstargetgroup.js';
import { CellType, type Cell, type CellStatus } from '../src/api/v1alpha1/cell.js';
import type { AwsSettings } from '../src/aws/config.js';
import { KubeClient } from '../src/kube/client.js';
import { connectionFromKubeConfig, loadKubeConfig } from '../src/kube/connection.js';
import { Informer } from '../src/kube/informer.js';
import { mapLimit } from '../src/runtime/concurrency.js';
import { silentLogger } from '../src/runtime/log.js';
import { createAlb, type TestAlb } from '../test/support/alb.js';
import { freePort, waitFor } from '../test/stack/process.js';
import { repoRoot } from '../test/stack/paths.js';
import { startStack, stopStack, type RunningStack } from '../test/stack/stack.js';

const RESYNC_SECONDS = 10;
/** Node flags okrad runs with in the container image (Dockerfile): a small young generation. */
const NODE_FLAGS = (process.env.OKRAD_NODE_FLAGS ?? '--max-semi-space-size=2').split(' ').filter((f) => f !== '');
const CELLS_PER_LISTENER = 50;
const PAUSE_MS = 1000;
const STEPS = [{ setWeight: 20 }, { pause: { duration: PAUSE_MS / 1000 } }, { setWeight: 60 }];

/** One line of the benchmark's output. */
interface Result {
  cells: number;
  firstWeightP50Ms: number;
  firstWeightP99Ms: number;
  pauseToNextWeightP99Ms: number;
  elbv2WritesPerStep: number;
  elbv2ReadsPerStep: number;
  idleElbv2WritesPerCellPerResync: number;
  idleElbv2ReadsPerCellPerResync: number;
  idleRssMiB: number;
  idleCpuPercent: number;
  rolloutSeconds: number;
  /** Cell passes per Cell per resync period in the idle window: resync passes are the only ones there. */
  idleCellPassesPerCellPerResync: number;
  /** N ModifyRule calls sent at once straight to moto, no okra involved: the emulator's own p99. */
  motoModifyRuleFloorP99Ms: number;
}

const WRITE_OPS = new Set(['CreateRule', 'ModifyRule', 'SetRulePriorities', 'DeleteRule']);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const round = (n: number, digits = 2): number => Number(n.toFixed(digits));

/** okrad, started from the build output as a separate process. */
class OkradProcess {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  static async start(stack: RunningStack, settings: AwsSettings, namespace: string): Promise<OkradProcess> {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [...NODE_FLAGS, join(repoRoot, 'dist', 'src', 'cli', 'okrad.js'), '--namespace', namespace, '--resync-period', `${RESYNC_SECONDS}s`, '--metrics-bind-address', `127.0.0.1:${port}`, '--log-level', 'warn', '--workers', '16'],
      {
        env: {
          PATH: process.env.PATH,
          KUBECONFIG: stack.info.management.kubeconfig,
          AWS_REGION: settings.region,
          AWS_ENDPOINT_URL: settings.endpoint,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
    const okrad = new OkradProcess(child, port);
    await waitFor('okrad /readyz', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 60_000);
    return okrad;
  }

  /** ELBv2 reads and writes and Cell passes so far, from okrad's own metrics. */
  async counters(): Promise<{ reads: number; writes: number; cellPasses: number }> {
    const text = await (await fetch(`http://127.0.0.1:${this.port}/metrics`)).text();
    let reads = 0;
    let writes = 0;
    for (const m of text.matchAll(/^okra_aws_requests_total\{service="elbv2",operation="([^"]+)",outcome="[^"]+"\} (\d+)/gm)) {
      if (WRITE_OPS.has(m[1] ?? '')) writes += Number(m[2]);
      else reads += Number(m[2]);
    }
    const cellPasses = [...text.matchAll(/^okra_reconcile_total\{controller="cell",outcome="[^"]+"\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    return { reads, writes, cellPasses };
  }

  /** Resident memory (MiB) and CPU time (s) of the process. */
  usage(): { rssMiB: number; cpuSeconds: number } {
    const pid = this.child.pid ?? 0;
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    const ticks = Number(stat[11] ?? 0) + Number(stat[12] ?? 0);
    return { rssMiB: rssKb / 1024, cpuSeconds: ticks / CLOCK_TICKS };
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Everything the bench creates for one size. */
interface World {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly albs: TestAlb[];
  readonly cells: string[];
  /** ARNs of the new version's target groups, created in AWS up front (the clusters exist already). */
  readonly nextArns: Map<string, string>;
}

async function createWorld(client: KubeClient, settings: AwsSettings, size: number): Promise<World> {
  const namespace = `bench-${size}-${Date.now().toString(36)}`;
  await client.create(CoreTypes.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
  const albs = await Promise.all(Array.from({ length: Math.ceil(size / CELLS_PER_LISTENER) }, () => createAlb(settings)));
  const cells = Array.from({ length: size }, (_, i) => `c${String(i).padStart(4, '0')}`);
  const nextArns = new Map<string, string>();
  await mapLimit(cells, 16, async (name) => {
    const i = cells.indexOf(name);
    const alb = albs[Math.floor(i / CELLS_PER_LISTENER)];
    if (!alb) throw new Error('no ALB');
    await createTargetGroup({ client, namespace }, name, 'v1', { version: '1.0.0', arn: await alb.targetGroup(`${name}-v1`) });
    nextArns.set(name, await alb.targetGroup(`${name}-v2`));
    await client.create<Cell>(CellType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'Cell',
      metadata: { name, namespace },
      spec: {
        ingress: {
          type: 'AWSApplicationLoadBalancer',
          awsApplicationLoadBalancer: {
            listenerARN: alb.listenerArn,
            listener: { rule: { priority: (i % CELLS_PER_LISTENER) + 1, hosts: [`${name}.example.com`] } },
            targetGroupSelector: { matchLabels: { cell: name } },
          },
        },
        updateStrategy: { canary: { steps: STEPS } },
      },
    });
  });
  return { client, namespace, albs, cells, nextArns };
}

/** The AWSTargetGroup object for an existing AWS target group (what AWSTargetGroupSet would write). */
async function createTargetGroup(w: Pick<World, 'client' | 'namespace'>, cell: string, suffix: string, { version, arn }: { version: string; arn: string }): Promise<void> {
  await w.client.create(AWSTargetGroupType, {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'AWSTargetGroup',
    metadata: { name: `${cell}-${suffix}`, namespace: w.namespace, labels: { cell, 'okra.mumo.co/version': version } },
    spec: { arn },
  });
}

/** Watches the Cells and records, per Cell, when interesting statuses were first seen. */
class CellWatch {
  readonly firstCanaryWeight = new Map<string, number>();
  readonly pauseEnds = new Map<string, number>();
  readonly nextWeightAfterPause = new Map<string, number>();
  private readonly informer: Informer<Cell>;

  constructor(client: KubeClient, namespace: string) {
    this.informer = new Informer<Cell>(client, CellType, { namespace }, silentLogger());
    const seen = (cell: Cell): void => { this.observe(cell.metadata.name ?? '', cell.status ?? {}); };
    this.informer.addHandlers({ add: seen, update: seen });
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  count(check: (s: CellStatus) => boolean): number {
    return this.informer.list().filter((c) => check(c.status ?? {})).length;
  }

  private observe(name: string, s: CellStatus): void {
    const now = Date.now();
    if (s.desiredVersion !== '2.0.0') return;
    const requested = s.pendingWeights?.targetGroups ?? [];
    const canaryRequested = requested.some((t) => t.arn.includes(`/${name}-v2-`) && t.weight > 0);
    if ((canaryRequested || (s.canaryWeight ?? 0) > 0) && !this.firstCanaryWeight.has(name)) this.firstCanaryWeight.set(name, now);
    if (s.currentStepIndex === 1 && s.currentStepStartedAt && !this.pauseEnds.has(name)) this.pauseEnds.set(name, Date.parse(s.currentStepStartedAt) + PAUSE_MS);
    const sixty = requested.some((t) => t.arn.includes(`/${name}-v2-`) && t.weight === 60);
    if (s.currentStepIndex === 2 && sixty && !this.nextWeightAfterPause.has(name)) this.nextWeightAfterPause.set(name, now);
  }
}

async function waitAll(watch: CellWatch, total: number, check: (s: CellStatus) => boolean, what: string): Promise<void> {
  await waitFor(`${what} (${total} Cells)`, () => Promise.resolve(watch.count(check) === total), 600_000);
}

async function idleWindow(
  okrad: OkradProcess,
  cells: number,
): Promise<Pick<Result, 'idleElbv2WritesPerCellPerResync' | 'idleElbv2ReadsPerCellPerResync' | 'idleCellPassesPerCellPerResync' | 'idleRssMiB' | 'idleCpuPercent'>> {
  const resyncs = 3;
  // Let the bootstrap's reads age out of the cache first, so the window sees steady-state resyncs.
  await new Promise((r) => setTimeout(r, RESYNC_SECONDS * 1000));
  const [calls0, use0, t0] = [await okrad.counters(), okrad.usage(), Date.now()];
  await new Promise((r) => setTimeout(r, resyncs * RESYNC_SECONDS * 1000));
  const [calls1, use1, t1] = [await okrad.counters(), okrad.usage(), Date.now()];
  // Divide by the periods that actually elapsed. Resyncs come in 20 slices per period, so whether a
  // slice lands just inside or outside the window moves the ratios by up to 1/(20 × resyncs); the
  // passes count shows that quantum, and reads per pass is reads ÷ passes.
  const periods = cells * ((t1 - t0) / (RESYNC_SECONDS * 1000));
  return {
    idleElbv2WritesPerCellPerResync: round((calls1.writes - calls0.writes) / periods),
    idleElbv2ReadsPerCellPerResync: round((calls1.reads - calls0.reads) / periods),
    idleCellPassesPerCellPerResync: round((calls1.cellPasses - calls0.cellPasses) / periods),
    idleRssMiB: round(use1.rssMiB, 1),
    idleCpuPercent: round(((use1.cpuSeconds - use0.cpuSeconds) / ((t1 - t0) / 1000)) * 100, 1),
  };
}

async function benchSize(stack: RunningStack, size: number, settings: AwsSettings): Promise<Result> {
  const client = new KubeClient(connectionFromKubeConfig(loadKubeConfig(stack.info.management.kubeconfig)));
  const world = await createWorld(client, settings, size);
  const watch = new CellWatch(client, world.namespace);
  await watch.start();
  const okrad = await OkradProcess.start(stack, settings, world.namespace);
  try {
    await waitAll(watch, size, (s) => s.phase === 'Completed' && s.stableVersion === '1.0.0', 'bootstrap');
    const idle = await idleWindow(okrad, size);
    const before = await okrad.counters();
    const created = new Map<string, number>();
    const started = Date.now();
    await mapLimit(world.cells, 16, async (name) => {
      await createTargetGroup({ client, namespace: world.namespace }, name, 'v2', { version: '2.0.0', arn: world.nextArns.get(name) ?? '' });
      created.set(name, Date.now());
    });
    await waitAll(watch, size, (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0', 'rollout');
    const rolloutSeconds = (Date.now() - started) / 1000;
    const after = await okrad.counters();
    const steps = size * (STEPS.length + 1);
    const firstWeight = world.cells.map((c) => (watch.firstCanaryWeight.get(c) ?? Number.NaN) - (created.get(c) ?? Number.NaN));
    const pauseToNext = world.cells.map((c) => (watch.nextWeightAfterPause.get(c) ?? Number.NaN) - (watch.pauseEnds.get(c) ?? Number.NaN));
    return {
      cells: size,
      firstWeightP50Ms: Math.round(percentile(firstWeight, 50)),
      firstWeightP99Ms: Math.round(percentile(firstWeight, 99)),
      pauseToNextWeightP99Ms: Math.round(percentile(pauseToNext, 99)),
      elbv2WritesPerStep: round((after.writes - before.writes) / steps),
      elbv2ReadsPerStep: round((after.reads - before.reads) / steps),
      ...idle,
      rolloutSeconds: round(rolloutSeconds, 1),
      motoModifyRuleFloorP99Ms: await modifyRuleFloor(world.albs),
    };
  } finally {
    await okrad.stop();
    await watch.stop();
    await client.delete(CoreTypes.namespace, { name: world.namespace });
    client.close();
  }
}

/**
 * The floor the emulator sets: every Cell's rule modified at once (to the weights it already has) with
 * the SDK directly. moto handles requests one at a time, so N simultaneous writes finish N × its
 * per-call time apart; real ELBv2 does not serialise writes across rules like this.
 */
async function modifyRuleFloor(albs: readonly TestAlb[]): Promise<number> {
  const rules = (
    await Promise.all(albs.map(async (alb) => ((await alb.elb.send(new DescribeRulesCommand({ ListenerArn: alb.listenerArn }))).Rules ?? []).filter((r) => !r.IsDefault).map((r) => ({ alb, r }))))
  ).flat();
  const started = Date.now();
  const done = await Promise.all(
    rules.map(async ({ alb, r }) => {
      await alb.elb.send(new ModifyRuleCommand({ RuleArn: r.RuleArn, Actions: r.Actions }));
      return Date.now() - started;
    }),
  );
  return Math.round(percentile(done, 99));
}

function sizesFromArgs(argv: readonly string[]): number[] {
  const i = argv.indexOf('--cells');
  if (i < 0) return [10, 100, 500];
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--cells needs a positive integer, got ${argv[i + 1] ?? ''}`);
  return [n];
}

async function main(): Promise<void> {
  const sizes = sizesFromArgs(process.argv.slice(2));
  process.stderr.write('building dist/ (okrad runs from the build output)\n');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: repoRoot, stdio: 'inherit' });
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const stack = await startStack({ workload: false });
  const results: Result[] = [];
  try {
    for (const size of sizes) {
      const settings: AwsSettings = { region: 'us-west-1', endpoint: stack.info.moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
      process.stderr.write(`benchmarking ${size} Cells…\n`);
      const result = await benchSize(stack, size, settings);
      results.push(result);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  } finally {
    await stopStack(stack);
  }
}

await main();
