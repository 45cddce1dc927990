// The okra CLI as the Cell controller: plan, sync and run Cells, and the gate commands (AnalysisRuns,
// Pauses) and ALB configs, each run as a real process against the real apiserver and moto. No controller
// runs in these worlds (CellWorld.start is never called): whatever moves, the CLI moved it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CoreTypes } from '../src/api/resource.js';
import { RolloutsTypes, type AnalysisRun, type AnalysisTemplate } from '../src/api/rollouts/analysis.js';
import { AWSApplicationLoadBalancerConfigType } from '../src/api/v1alpha1/awsapplicationloadbalancerconfig.js';
import { CellType, type Cell, type CellSpec } from '../src/api/v1alpha1/cell.js';
import { PauseType, type Pause } from '../src/api/v1alpha1/pause.js';
import { VersionBlocklistType, type VersionBlocklist } from '../src/api/v1alpha1/versionblocklist.js';
import type { KubeObject } from '../src/kube/client.js';
import { cliEnv, runCli, type CliRun } from './support/cli.js';
import { FakeMetrics } from './support/fake-metrics.js';
import { CellWorld } from './support/cell-world.js';
import { managementClient } from './support/env.js';
import { createNamespace, deleteNamespace } from './support/namespaces.js';

const client = managementClient();

const okra = (w: CellWorld, ...args: string[]): Promise<CliRun> => runCli('okra', ['-n', w.namespace, ...args], cliEnv(w.alb.region));

/** A world with blue at 1.0.0 and a Cell named web. */
async function cellWorld(spec: Partial<CellSpec> = {}): Promise<{ w: CellWorld; cell: Cell }> {
  const w = await CellWorld.create();
  await w.targetGroup('blue', '1.0.0');
  return { w, cell: await w.cell('web', spec) };
}

/** Bootstraps web to 1.0.0 with the CLI, then adds green at 2.0.0. */
async function bootstrapThenAddGreen(w: CellWorld): Promise<void> {
  const boot = await okra(w, 'run', 'cell', 'web', '--until-complete', '--interval', '500ms');
  expect(boot.stdout).toContain('completed: 1.0.0 serves 100% on 1 target group(s)');
  expect(boot.code).toBe(0);
  await w.targetGroup('green', '2.0.0');
}

async function template(namespace: string, name: string, spec: AnalysisTemplate['spec']): Promise<void> {
  await client.create(RolloutsTypes.analysisTemplate, { apiVersion: 'argoproj.io/v1alpha1', kind: 'AnalysisTemplate', metadata: { name, namespace }, spec });
}

const canary = { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 50 }] } } };

// Each CLI run starts a process through tsx on a shared machine: the tests get room for several.
describe('okra plan cell and sync cell', { timeout: 120_000 }, () => {
  it('plans the bootstrap and writes nothing', async () => {
    const { w, cell } = await cellWorld(canary);
    const plan = await okra(w, 'plan', 'cell', 'web');
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toBe(
      [
        'plan for cell/web (nothing written):',
        '  action:   create the listener rule at priority 10',
        '  weights:  blue (1.0.0)=100',
        '  phase:    Progressing (CreatingRule)',
        '  message:  creating the listener rule with 1.0.0 at 100%',
        '  event:    Normal RuleCreated: creating the listener rule with 1.0.0 at 100%',
        '  next:     pass again in 500ms',
        '',
      ].join('\n'),
    );
    const asYaml = await okra(w, 'plan', 'cell', 'web', '-o', 'yaml');
    expect(parse(asYaml.stdout)).toMatchObject({ action: { kind: 'CreateRule', priority: 10, weights: [{ name: 'blue', version: '1.0.0', weight: 100 }] }, status: { phase: 'Progressing' } });

    expect(await w.weights()).toBeUndefined();
    const after = await client.get<Cell>(CellType, 'web', w.namespace);
    expect(after?.metadata.resourceVersion).toBe(cell.metadata.resourceVersion);
    expect(after?.status).toBeUndefined();
  });

  it('prints the writes of a pass with --dry-run and writes nothing, then applies one pass per sync', async () => {
    const { w, cell } = await cellWorld(canary);
    const dry = await okra(w, 'sync', 'cell', 'web', '--dry-run');
    expect(dry.code).toBe(0);
    expect(parse(dry.stdout)).toMatchObject({ action: { kind: 'CreateRule', weights: [{ name: 'blue', weight: 100 }] }, status: { phase: 'Progressing', reason: 'CreatingRule' } });
    expect(await w.weights()).toBeUndefined();
    expect((await client.get<Cell>(CellType, 'web', w.namespace))?.metadata.resourceVersion).toBe(cell.metadata.resourceVersion);

    const first = await okra(w, 'sync', 'cell', 'web');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('cell/web synced\n  action:   create the listener rule at priority 10\n  weights:  blue (1.0.0)=100\n');
    expect(await w.weights()).toEqual({ blue: 100 });
    expect(await w.status('web')).toMatchObject({ phase: 'Progressing', reason: 'CreatingRule', ruleArn: expect.stringContaining('listener-rule') as unknown });

    // The next pass reads the rule back and completes the bootstrap.
    const second = await okra(w, 'sync', 'cell', 'web', '--name', 'web');
    expect(second.stdout).toContain('  phase:    Completed (Completed)\n');
    expect(await w.status('web')).toMatchObject({ phase: 'Completed', stableVersion: '1.0.0', canaryWeight: 100 });
    const events = (await client.list<KubeObject & { reason?: string }>(CoreTypes.event, { namespace: w.namespace })).items.map((e) => e.reason);
    expect(events).toEqual(expect.arrayContaining(['RuleCreated', 'RolloutCompleted']));

    const list = await okra(w, 'get', 'cells');
    expect(list.stdout).toMatch(new RegExp(`^NAMESPACE\\s+NAME\\s+PHASE\\s+STABLE\\s+DESIRED\\s+CANARY\\s+STEP\\s+AGE\\n${w.namespace}\\s+web\\s+Completed\\s+1\\.0\\.0\\s+1\\.0\\.0\\s+3/3\\s+\\d+s\\n$`));
  });

  it('fails with 5 for a Cell that does not exist', async () => {
    const { w } = await cellWorld();
    const run = await okra(w, 'sync', 'cell', 'nope');
    expect(run.code).toBe(5);
    expect(run.stderr).toBe(`error: Cell ${w.namespace}/nope not found\n`);
  });
});

describe('okra run cell', { timeout: 120_000 }, () => {
  it('drives a rollout with setWeight and a timed pause to Completed and exits 0', async () => {
    const { w } = await cellWorld(canary);
    await bootstrapThenAddGreen(w);
    const run = await okra(w, 'run', 'cell', 'web', '--until-complete', '--interval', '500ms');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toContain('Progressing: step 1/3: applying 20% to 2.0.0 [blue (1.0.0)=100]');
    expect(lines.some((l) => l.startsWith('Progressing: step 2/3: paused for 2s') && l.endsWith('[blue (1.0.0)=80, green (2.0.0)=20]'))).toBe(true);
    expect(lines.at(-1)).toBe('completed: 2.0.0 serves 100% on 1 target group(s)');
    expect(await w.status('web')).toMatchObject({ phase: 'Completed', stableVersion: '2.0.0', currentStepIndex: 3 });
    expect(await w.weights()).toEqual({ green: 100 });
    // The pause step's Pause went through the Pause controller's pass too.
    const pauses = (await client.list<Pause>(PauseType, { namespace: w.namespace })).items;
    expect(pauses.map((p) => p.status?.phase)).toEqual(['Expired']);
  });

  it('exits 2 with stable back at 100% when an analysis step errors', async () => {
    const { w } = await cellWorld({ updateStrategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'broken' }] } }, { setWeight: 50 }] } } });
    // Nothing listens on port 1: connection refused, an Error measurement, and no error budget.
    await template(w.namespace, 'broken', { metrics: [{ name: 'health', consecutiveErrorLimit: 0, provider: { web: { url: 'http://127.0.0.1:1/health' } } }] });
    await bootstrapThenAddGreen(w);
    const run = await okra(w, 'run', 'cell', 'web', '--until-complete', '--interval', '500ms');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(`^error: Cell ${w.namespace}/web rolled back: rolled back 2\\.0\\.0 to 1\\.0\\.0: AnalysisRun web-1-analysis-\\S+ Error: .+\\n$`));
    expect(await w.weights()).toEqual({ blue: 100 });
    expect(await w.status('web')).toMatchObject({ phase: 'Degraded', reason: 'RolloutAborted', stableVersion: '1.0.0' });

    const [analysisRun] = await w.analysisRuns('web');
    expect(analysisRun?.metadata.labels).toMatchObject({ 'argo-rollouts.argoproj.io/controller-instance-id': 'okra', 'okra.mumo.co/step-index': '1' });
    expect(analysisRun?.status?.phase).toBe('Error');
    const blocklist = await client.get<VersionBlocklist>(VersionBlocklistType, 'web', w.namespace);
    expect(blocklist?.spec.items.map((i) => i.version)).toEqual(['2.0.0']);

    const runs = await okra(w, 'get', 'analysisruns');
    expect(runs.stdout).toMatch(new RegExp(`\\n${w.namespace}\\s+web-1-analysis-\\S+\\s+Error\\s+web\\s+1\\s+\\d+s\\s+.+\\n$`));
    const blocked = await okra(w, 'get', 'versionblocklists');
    expect(blocked.stdout).toMatch(new RegExp(`\\n${w.namespace}\\s+web\\s+2\\.0\\.0\\s+\\d+s\\n$`));
    const asJson = JSON.parse((await okra(w, 'get', 'versionblocklists', '-o', 'json')).stdout) as { kind: string; items: VersionBlocklist[] };
    expect({ kind: asJson.kind, names: asJson.items.map((b) => b.metadata.name) }).toEqual({ kind: 'List', names: ['web'] });
  });

  it('stops at an indefinite pause without --until-complete, and times out there with 3 with it', async () => {
    const { w } = await cellWorld({ updateStrategy: { canary: { steps: [{ setWeight: 30 }, { pause: {} }] } } });
    await bootstrapThenAddGreen(w);
    const once = await okra(w, 'run', 'cell', 'web', '--interval', '500ms');
    expect(once.code).toBe(0);
    expect(once.stdout.trim().split('\n').at(-1)).toBe('waiting (Paused): step 2/2: paused until promoted (okractl promote)');
    expect(await w.weights()).toEqual({ blue: 70, green: 30 });
    // Steps count from 1, as okractl and the message above show them.
    const list = await okra(w, 'get', 'cells');
    expect(list.stdout).toMatch(new RegExp(`\\n${w.namespace}\\s+web\\s+Paused\\s+1\\.0\\.0\\s+2\\.0\\.0\\s+30%\\s+2/2\\s+\\d+s\\n$`));

    const run = await okra(w, 'run', 'cell', 'web', '--until-complete', '--timeout', '3s', '--interval', '500ms');
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      `error: Cell ${w.namespace}/web timed out after 3s; the Cell is Paused: step 2/2: paused until promoted (okractl promote) [blue (1.0.0)=70, green (2.0.0)=30]\n`,
    );
    expect(await w.weights()).toEqual({ blue: 70, green: 30 });
  });

  it("reads the default datadog Secret from okrad's namespace (--controller-namespace), not the Cell's", async () => {
    const metrics = await FakeMetrics.start();
    try {
      metrics.set('avg:errors{service:web}', 0.001);
      const controllerNamespace = await createNamespace(client, 'okra-system');
      await metrics.createDatadogSecret(client, controllerNamespace);
      const { w } = await cellWorld({ updateStrategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'errors' }] } }] } } });
      await template(w.namespace, 'errors', { metrics: [{ name: 'errors', successCondition: 'result < 0.01', provider: { datadog: { query: 'avg:errors{service:web}', interval: '5m' } } }] });
      await bootstrapThenAddGreen(w);
      // No DD_* variables in the environment: the credentials can only come from the Secret.
      const run = await okra(w, 'run', 'cell', 'web', '--until-complete', '--interval', '500ms', '--controller-namespace', controllerNamespace);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.trim().split('\n').at(-1)).toBe('completed: 2.0.0 serves 100% on 1 target group(s)');
      expect(metrics.seen('avg:errors{service:web}').length).toBeGreaterThan(0);
      expect((await w.analysisRuns('web')).map((r) => r.status?.phase)).toEqual(['Successful']);
      await deleteNamespace(client, controllerNamespace);
    } finally {
      await metrics.stop();
    }
  });

  it('exits 2 when the version in flight is blocklisted: back on 1.0.0 Completed is no success', async () => {
    const { w } = await cellWorld({ updateStrategy: { canary: { steps: [{ setWeight: 30 }, { pause: {} }] } } });
    await bootstrapThenAddGreen(w);
    expect((await okra(w, 'run', 'cell', 'web', '--interval', '500ms')).code).toBe(0);
    expect(await w.weights()).toEqual({ blue: 70, green: 30 });
    // What okractl block writes.
    await client.create<VersionBlocklist>(VersionBlocklistType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'VersionBlocklist',
      metadata: { name: 'web', namespace: w.namespace },
      spec: { items: [{ version: '2.0.0', cause: 'known bad build' }] },
    });
    const run = await okra(w, 'run', 'cell', 'web', '--until-complete', '--interval', '500ms');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: Cell ${w.namespace}/web 2.0.0 did not complete: it is in the VersionBlocklist (known bad build); the Cell is back on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))\n`,
    );
    expect(await w.weights()).toEqual({ blue: 100 });
    expect(await w.status('web')).toMatchObject({ phase: 'Completed', desiredVersion: '1.0.0', stableVersion: '1.0.0' });
  });

  it('--for-version waits through the previous version\'s Completed (3 on --timeout) and follows the version once it appears', async () => {
    const { w } = await cellWorld(canary);
    const boot = await okra(w, 'run', 'cell', 'web', '--until-complete', '--interval', '500ms');
    expect(boot.code).toBe(0);
    const early = await okra(w, 'run', 'cell', 'web', '--until-complete', '--for-version', '2.0.0', '--timeout', '2s', '--interval', '500ms');
    expect(early.code).toBe(3);
    expect(early.stderr).toBe(`error: Cell ${w.namespace}/web timed out after 2s; the Cell is Completed: 1.0.0 serves 100% on 1 target group(s) [blue (1.0.0)=100]\n`);

    await w.targetGroup('green', '2.0.0');
    const run = await okra(w, 'run', 'cell', 'web', '--until-complete', '--for-version', '2.0.0', '--interval', '500ms');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('completed: 2.0.0 serves 100% on 1 target group(s)');
    expect(await w.weights()).toEqual({ green: 100 });
  });

  it('--for-version of a blocklisted version fails at once', async () => {
    const { w } = await cellWorld(canary);
    expect((await okra(w, 'run', 'cell', 'web', '--until-complete', '--interval', '500ms')).code).toBe(0);
    await client.create<VersionBlocklist>(VersionBlocklistType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'VersionBlocklist',
      metadata: { name: 'web', namespace: w.namespace },
      spec: { items: [{ version: '2.0.0', cause: 'known bad build' }] },
    });
    const run = await okra(w, 'run', 'cell', 'web', '--until-complete', '--for-version', '2.0.0', '--timeout', '60s', '--interval', '500ms');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: Cell ${w.namespace}/web 2.0.0 will not roll out: it is in the VersionBlocklist (known bad build); the Cell stays on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))\n`,
    );
  });

  it('exits 4 for an invalid Cell and shows why on it', async () => {
    const { w } = await cellWorld({ updateStrategy: { canary: { steps: [{ setCanaryScale: { replicas: 1 } }] } } });
    const run = await okra(w, 'run', 'cell', 'web', '--until-complete');
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(`error: Cell ${w.namespace}/web invalid spec: spec.updateStrategy.canary.steps[0]: setCanaryScale is not supported by okra\n`);
    expect(await w.status('web')).toMatchObject({ phase: 'InvalidSpec' });
    expect(await w.weights()).toBeUndefined();
  });
});

describe('okra create and update analysisrun', { timeout: 120_000 }, () => {
  let ns: string;
  const run = (...args: string[]) => runCli('okra', ['-n', ns, ...args], cliEnv('eu-west-1'));
  beforeAll(async () => {
    ns = await createNamespace(client, 'cli-ar');
    await template(ns, 'health', { args: [{ name: 'version' }, { name: 'token' }], metrics: [{ name: 'ok', provider: { web: { url: 'http://metrics/{{args.version}}' } } }] });
  });
  afterAll(async () => {
    await deleteNamespace(client, ns);
  });
  const runs = async () => (await client.list<AnalysisRun>(RolloutsTypes.analysisRun, { namespace: ns })).items;
  const flags = ['--template-name', 'health', '--args', 'version=2.0.0', '--args-from-secrets', 'token=creds.api.token'];

  it('prints the run with --dry-run and creates nothing', async () => {
    const dry = await run('create', 'analysisrun', ...flags, '--dry-run');
    expect(dry.code).toBe(0);
    expect(parse(dry.stdout)).toMatchObject({
      kind: 'AnalysisRun',
      metadata: { generateName: 'health-', namespace: ns },
      spec: { args: [{ name: 'version', value: '2.0.0' }, { name: 'token', valueFrom: { secretKeyRef: { name: 'creds', key: 'api.token' } } }] },
    });
    expect(await runs()).toEqual([]);
  });

  it('creates a run from the template and prints its name; update --phase sets its outcome', async () => {
    const created = await run('create', 'analysisrun', ...flags);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^health-[a-z0-9]{5}\n$/);
    const name = created.stdout.trim();
    const [stored] = await runs();
    expect(stored).toMatchObject({
      metadata: { name, labels: { 'okra.mumo.co/timestamp': expect.stringMatching(/^\d{14}$/) as unknown } },
      spec: { metrics: [{ name: 'ok', provider: { web: { url: 'http://metrics/{{args.version}}' } } }], args: [{ name: 'version', value: '2.0.0' }, { name: 'token', valueFrom: { secretKeyRef: { name: 'creds', key: 'api.token' } } }] },
    });

    const updated = await run('update', 'analysisrun', name, '--phase', 'failed');
    expect(updated.stdout).toBe(`analysisrun/${name} phase set to Failed\n`);
    expect((await client.get<AnalysisRun>(RolloutsTypes.analysisRun, name, ns))?.status?.phase).toBe('Failed');

    const bogus = await run('update', 'analysisrun', name, '--phase', 'done');
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain('error: --phase must be one of Successful, Failed, Error, Inconclusive (got "done")\n');
    const missing = await run('update', 'analysisrun', 'nope', '--phase', 'Successful');
    expect(missing.code).toBe(5);
  });

  it('refuses an arg the template does not declare, a malformed Secret ref and a missing template, in one line each', async () => {
    const undeclared = await run('create', 'analysisrun', '--template-name', 'health', '--args', 'version=1,nope=2');
    expect(undeclared.code).toBe(1);
    expect(undeclared.stderr).toBe('error: AnalysisTemplate health: arg nope is not declared by the template\n');
    const badSecret = await run('create', 'analysisrun', '--template-name', 'health', '--args-from-secrets', 'token=creds');
    expect(badSecret.code).toBe(1);
    expect(badSecret.stderr).toContain('--args-from-secrets token=creds: expected ARG=SECRET.KEY');
    const noTemplate = await run('create', 'analysisrun', '--template-name', 'nope');
    expect(noTemplate.code).toBe(5);
    expect(noTemplate.stderr).toBe(`error: AnalysisTemplate nope not found in namespace ${ns}\n`);
    expect((await runs()).filter((r) => r.metadata.generateName === 'health-' && r.status?.phase !== 'Failed')).toEqual([]);
  });
});

describe('okra sync pause and cancel pause', { timeout: 120_000 }, () => {
  it('starts, cancels (dry run first) and expires Pauses', async () => {
    const ns = await createNamespace(client, 'cli-pause');
    const run = (...args: string[]) => runCli('okra', ['-n', ns, ...args], cliEnv('eu-west-1'));
    const pause = (name: string, expireTime: string) =>
      client.create<Pause>(PauseType, { apiVersion: 'okra.mumo.co/v1alpha1', kind: 'Pause', metadata: { name, namespace: ns }, spec: { expireTime } });
    const phase = async (name: string) => (await client.get<Pause>(PauseType, name, ns))?.status?.phase;
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await pause('hold', later);
    await pause('past', new Date(Date.now() - 1000).toISOString());

    const started = await run('sync', 'pause', 'hold');
    expect(started.stdout).toBe(`pause/hold Started (until ${later})\n`);
    expect(await phase('hold')).toBe('Started');

    const dry = await run('cancel', 'pause', 'hold', '--dry-run');
    expect(parse(dry.stdout)).toMatchObject({ metadata: { name: 'hold' }, status: { phase: 'Cancelled' } });
    expect(await phase('hold')).toBe('Started');

    const cancelled = await run('cancel', 'pause', 'hold');
    expect(cancelled.stdout).toBe('pause/hold cancelled\n');
    expect(await phase('hold')).toBe('Cancelled');
    const again = await run('cancel', 'pause', 'hold');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: pause/hold: cannot cancel already cancelled pause\n');

    expect((await run('sync', 'pause', 'past')).stdout).toBe('pause/past Expired\n');
    const list = await run('get', 'pauses');
    expect(list.stdout).toMatch(/\n\S+\s+hold\s+Cancelled\s+\s+\S+\s+\d+s\n\S+\s+past\s+Expired\s+/);
    await deleteNamespace(client, ns);
  });
});

describe('okra sync awsapplicationloadbalancerconfig', { timeout: 120_000 }, () => {
  it('creates the rule the object describes (dry run first), then finds it in sync', async () => {
    const w = await CellWorld.create();
    const blue = await w.alb.targetGroup('blue');
    const green = await w.alb.targetGroup('green');
    await client.create(AWSApplicationLoadBalancerConfigType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'AWSApplicationLoadBalancerConfig',
      metadata: { name: 'web', namespace: w.namespace },
      spec: { listenerARN: w.alb.listenerArn, listener: { rule: { priority: 20, hosts: ['web.example.com'], forward: { targetGroups: [{ name: 'blue', arn: blue, weight: 90 }, { name: 'green', arn: green, weight: 10 }] } } } },
    } as KubeObject);

    const dry = await okra(w, 'sync', 'awsapplicationloadbalancerconfig', 'web', '--dry-run');
    expect(parse(dry.stdout)).toMatchObject({ action: { kind: 'create' }, rule: { priority: 20, weights: [{ name: 'blue', weight: 90 }, { name: 'green', weight: 10 }] } });
    expect(await w.alb.weightsAt(20)).toBeUndefined();

    const sync = await okra(w, 'sync', 'awsapplicationloadbalancerconfig', 'web');
    expect(sync.stdout).toMatch(/^awsapplicationloadbalancerconfig\/web: listener rule arn:aws:elasticloadbalancing:\S+ created\n$/);
    expect(await w.alb.weightsAt(20)).toEqual({ [blue]: 90, [green]: 10 });
    const again = await okra(w, 'sync', 'albconfig', 'web');
    expect(again.stdout).toMatch(/ in sync\n$/);
  });
});
