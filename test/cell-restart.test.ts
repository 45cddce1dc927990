// Restart safety and abort, end to end: a Cell's progress lives in its status and in AWS, so a controller
// stopped and started between every step must produce exactly the weights an uninterrupted one does; a
// failed gate puts stable back and blocklists the version.
import { afterEach, describe, expect, it } from 'vitest';
import { RolloutsTypes } from '../src/api/rollouts/analysis.js';
import { PauseType, type Pause } from '../src/api/v1alpha1/pause.js';
import { VersionBlocklistType, type VersionBlocklist } from '../src/api/v1alpha1/versionblocklist.js';
import { cancelPause, reconcilePause } from '../src/controllers/pause/reconciler.js';
import { systemClock } from '../src/runtime/clock.js';
import { CellWorld } from './support/cell-world.js';

const worlds: CellWorld[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.stop();
});
async function world(): Promise<CellWorld> {
  const w = await CellWorld.create();
  worlds.push(w);
  return w;
}

const fiveSteps = {
  updateStrategy: { canary: { steps: [{ setWeight: 10 }, { setWeight: 25 }, { pause: { duration: 1 } }, { setWeight: 50 }, { setWeight: 75 }] } },
};

/** Runs a 2.0.0 rollout over 1.0.0; with `restart`, stops and starts the controllers at every step. */
async function rollout(w: CellWorld, restart: boolean): Promise<Record<string, number>[]> {
  await w.targetGroup('blue', '1.0.0');
  await w.start();
  await w.cell('web', fiveSteps);
  await w.waitForStatus('web', (s) => s.phase === 'Completed');
  await w.targetGroup('green', '2.0.0');
  for (let step = 1; step <= 5 && restart; step++) {
    await w.waitForStatus('web', (s) => (s.currentStepIndex ?? 0) >= step && s.desiredVersion === '2.0.0');
    await w.stop();
    await w.start();
  }
  await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0');
  return w.writes();
}

describe('restart safety', () => {
  it('a 5-step rollout restarted between every step writes the same weights as an uninterrupted one', async () => {
    const [plain, restarted] = await Promise.all([rollout(await world(), false), rollout(await world(), true)]);
    const expected = [
      { blue: 100 },
      { blue: 90, green: 10 },
      { blue: 75, green: 25 },
      { blue: 50, green: 50 },
      { blue: 25, green: 75 },
      { green: 100 },
    ];
    expect(plain).toEqual(expected);
    expect(restarted).toEqual(expected);
  }, 90_000);
});

describe('abort', () => {
  it('puts stable back to 100% in one write when the analysis fails, blocklists the version and reports Degraded', async () => {
    const w = await world();
    await w.client.create(RolloutsTypes.analysisTemplate, {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'errors', namespace: w.namespace },
      spec: {
        args: [{ name: 'version' }],
        metrics: [{ name: 'errors', successCondition: 'result < 1', provider: { web: { url: 'http://127.0.0.1:1/{{args.version}}', jsonPath: '{$.errors}' } } }],
      },
    });
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', {
      updateStrategy: {
        canary: {
          steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'errors' }], args: [{ name: 'version', valueFrom: { fieldRef: { fieldPath: 'status.desiredVersion' } } }] } }, { setWeight: 50 }],
        },
      },
    });
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    await w.targetGroup('green', '2.0.0');
    await w.waitForStatus('web', (s) => s.currentStepIndex === 1 && (s.gates?.length ?? 0) > 0);
    const [run] = await w.analysisRuns('web');
    expect(run?.spec.args).toEqual([{ name: 'version', value: '2.0.0' }]);
    expect(run?.metadata.labels).toMatchObject({ 'okra.mumo.co/cell': 'web', 'okra.mumo.co/step-index': '1', cell: 'web' });
    expect(run?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Cell', name: 'web' });

    // What an analysis engine would write when the metric fails.
    await w.client.mergePatch(RolloutsTypes.analysisRun, { name: run?.metadata.name ?? '', namespace: w.namespace }, { status: { phase: 'Failed', message: 'Metric "errors" assessed Failed due to failed (1) > failureLimit (0)' } });
    const aborted = await w.waitForStatus('web', (s) => s.phase === 'Degraded' && s.canaryWeight === 0);
    expect(aborted).toMatchObject({ abort: true, stableVersion: '1.0.0' });
    expect(aborted.message).toContain('failureLimit');
    expect(await w.weights()).toEqual({ blue: 100 });
    expect(w.writes()).toEqual([{ blue: 100 }, { blue: 80, green: 20 }, { blue: 100 }]);
    const blocklist = await w.client.get<VersionBlocklist>(VersionBlocklistType, 'web', w.namespace);
    expect(blocklist?.spec.items).toEqual([{ version: '2.0.0', cause: expect.stringContaining('Failed') as unknown }]);
    expect(w.eventReasons('web')).toContain('RolloutAborted');

    // It stays rolled back: no further write, still Degraded.
    await new Promise((r) => setTimeout(r, 1000));
    expect(w.writes()).toHaveLength(3);
    expect((await w.status('web')).phase).toBe('Degraded');
  });

  it('reports a missing AnalysisTemplate as InvalidSpec and creates no run', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'missing' }] } }] } } });
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    await w.targetGroup('green', '2.0.0');
    const status = await w.waitForStatus('web', (s) => s.phase === 'InvalidSpec');
    expect(status.message).toBe(`spec.updateStrategy.canary.steps[1].analysis: AnalysisTemplate missing not found in namespace ${w.namespace}`);
    expect(await w.analysisRuns('web')).toEqual([]);
  });
});

describe('Pause', () => {
  it('is Started when seen, Expired at its expireTime, and can be cancelled before that', async () => {
    const w = await world();
    const create = (name: string, inMs: number) =>
      w.client.create<Pause>(PauseType, { apiVersion: 'okra.mumo.co/v1alpha1', kind: 'Pause', metadata: { name, namespace: w.namespace }, spec: { expireTime: new Date(Date.now() + inMs).toISOString() } });
    const deps = { client: w.client, clock: systemClock };
    await create('short', 800);
    const first = await reconcilePause(deps, { name: 'short', namespace: w.namespace });
    expect((await w.client.get<Pause>(PauseType, 'short', w.namespace))?.status?.phase).toBe('Started');
    expect(first.requeueAfterMs).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, first.requeueAfterMs));
    await reconcilePause(deps, { name: 'short', namespace: w.namespace });
    expect((await w.client.get<Pause>(PauseType, 'short', w.namespace))?.status?.phase).toBe('Expired');
    await expect(cancelPause(deps, { name: 'short', namespace: w.namespace })).rejects.toThrow('cannot cancel already expired pause');

    await create('long', 60_000);
    await cancelPause(deps, { name: 'long', namespace: w.namespace });
    await reconcilePause(deps, { name: 'long', namespace: w.namespace });
    expect((await w.client.get<Pause>(PauseType, 'long', w.namespace))?.status?.phase).toBe('Cancelled');
  });
});
