// okrad as users run it: its own process, configured by flags, taking the leader Lease, driving a Cell
// through an analysis step with its builtin engine, exposing what an operator scrapes on /metrics, and
// handing the Lease back on SIGTERM.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RolloutsTypes } from '../src/api/rollouts/analysis.js';
import { CellType } from '../src/api/v1alpha1/cell.js';
import type { KubeObject } from '../src/kube/client.js';
import { fetchStatus } from './stack/cluster.js';
import { repoRoot } from './stack/paths.js';
import { ManagedProcess, freePort, waitFor } from './stack/process.js';
import { CellWorld } from './support/cell-world.js';
import { stack } from './support/env.js';
import { FakeMetrics } from './support/fake-metrics.js';

const LeaseType = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true } as const;
type Lease = KubeObject & { spec?: { holderIdentity?: string | null } };

let world: CellWorld;
let fake: FakeMetrics;
let okrad: ManagedProcess;
let port: number;

beforeAll(async () => {
  [world, fake] = await Promise.all([CellWorld.create(), FakeMetrics.start()]);
  fake.set('okrad-error-rate', { json: { rate: 0.001 } });
  port = await freePort();
  okrad = ManagedProcess.start(
    'okrad-test',
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'src', 'cli', 'okrad.ts'),
      `--namespace=${world.namespace}`,
      '--leader-elect',
      `--leader-election-namespace=${world.namespace}`,
      '--leader-election-id=okra-test',
      `--metrics-bind-address=127.0.0.1:${port}`,
      '--resync-period=30s',
      '--log-level=debug',
    ],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        KUBECONFIG: stack().management.kubeconfig,
        AWS_REGION: world.alb.region,
        AWS_ENDPOINT_URL: stack().moto.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      logFile: join(stack().dir, `okrad-${world.namespace}.log`),
    },
  );
  await waitFor(`okrad /readyz (log: ${okrad.logFile})`, async () => !okrad.hasExited && (await fetchStatus(`http://127.0.0.1:${port}/readyz`)) === 200, 60_000);
}, 120_000);

afterAll(async () => {
  await okrad.stop();
  await fake.stop();
});

async function metrics(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

describe('okrad', () => {
  it('serves /healthz and /readyz, and holds the leader Lease', async () => {
    expect(await fetchStatus(`http://127.0.0.1:${port}/healthz`)).toBe(200);
    // Ready means synced, not leading (a standby replica is ready too): the Lease is taken right after.
    await vi.waitFor(async () => {
      const lease = await world.client.get<Lease>(LeaseType, 'okra-test', world.namespace);
      expect(lease?.spec?.holderIdentity).toBeTruthy();
    }, { timeout: 10_000, interval: 100 });
  });

  it('rolls a Cell through an analysis step with the builtin engine and reports it on /metrics', async () => {
    await world.client.create(RolloutsTypes.analysisTemplate, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'errors', namespace: world.namespace },
      spec: { metrics: [{ name: 'errors', successCondition: 'result < 0.01', provider: { web: { url: `${fake.url}/web/okrad-error-rate`, jsonPath: '{$.rate}' } } }] },
    });
    await world.targetGroup('blue', '1.0.0');
    await world.cell('web', { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'errors' }] } }, { setWeight: 50 }] } } });
    await world.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '1.0.0');
    await world.targetGroup('green', '2.0.0');
    await world.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0', 30_000);

    await vi.waitFor(async () => {
      const text = await metrics();
      const ns = world.namespace;
      expect(text).toMatch(new RegExp(`okra_cell_phase\\{namespace="${ns}",cell="web",phase="Completed"\\} 1`));
      expect(text).toMatch(new RegExp(`okra_cell_canary_weight\\{namespace="${ns}",cell="web"\\} 100`));
      expect(text).toMatch(new RegExp(`okra_cell_step_index\\{namespace="${ns}",cell="web"\\} 3`));
      expect(text).toMatch(new RegExp(`okra_analysis_run_results_total\\{namespace="${ns}",phase="Successful"\\} 1`));
      expect(text).toMatch(/okra_reconcile_total\{controller="cell",outcome="success"\} [1-9]/);
      expect(text).toMatch(/okra_reconcile_total\{controller="analysisrun",outcome="success"\} [1-9]/);
      expect(text).toMatch(/okra_reconcile_duration_seconds_count\{controller="cell"\} [1-9]/);
      expect(text).toMatch(/okra_workqueue_depth\{controller="cell"\} \d/);
      expect(text).toMatch(/okra_aws_requests_total\{service="elbv2",operation="ModifyRule",outcome="success"\} [1-9]/);
      expect(text).toMatch(/okra_kubernetes_requests_total\{cluster="management",verb="patch",resource="cells",code="200"\} [1-9]/);
    });
    const [run] = await world.analysisRuns('web');
    expect(run?.metadata.labels?.['argo-rollouts.argoproj.io/controller-instance-id']).toBe('okra');

    // A deleted Cell leaves /metrics: an alert on its last phase must not fire for ever.
    await world.client.delete(CellType, { name: 'web', namespace: world.namespace });
    await vi.waitFor(async () => { expect(await metrics()).not.toMatch(/okra_cell_(phase|canary_weight|step_index)\{namespace="[^"]*",cell="web"/); });
  });

  it('releases the Lease and exits 0 on SIGTERM', async () => {
    await okrad.stop();
    expect(await okrad.waitForExit()).toBe(0);
    const lease = await world.client.get<Lease>(LeaseType, 'okra-test', world.namespace);
    expect(lease?.spec?.holderIdentity ?? '').toBe('');
  });
});
