// okractl end to end: the CLI runs as its own process against the real apiserver, while a real Cell
// controller (CellWorld) moves weights on a moto ALB. Every assertion is on what a person sees (output,
// exit code) or on the resulting state (Cell status, ALB weights, VersionBlocklist, gate objects).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { RolloutsTypes } from '../src/api/rollouts/analysis.js';
import { CellType, type CanaryStep, type Cell, type CellSpec } from '../src/api/v1alpha1/cell.js';
import { VersionBlocklistType, type VersionBlocklist } from '../src/api/v1alpha1/versionblocklist.js';
import { repoRoot, stackPaths } from './stack/paths.js';
import { CellWorld } from './support/cell-world.js';
import { cliEnv, runCli, type CliRun } from './support/cli.js';
import { managementClient } from './support/env.js';
import { createNamespace } from './support/namespaces.js';

const worlds: CellWorld[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  for (const w of worlds.splice(0)) await w.stop();
});

async function world(): Promise<CellWorld> {
  const w = await CellWorld.create();
  worlds.push(w);
  return w;
}

function okractl(w: CellWorld, ...args: string[]): Promise<CliRun> {
  return runCli('okractl', ['-n', w.namespace, ...args], cliEnv(w.alb.region));
}

/** A long-running okractl (watch) whose output can be read while it runs. */
function startOkractl(w: CellWorld, ...args: string[]): { stdout: () => string; exited: Promise<CliRun> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'cli', 'okractl.ts'), '-n', w.namespace, ...args], { env: cliEnv(w.alb.region), cwd: repoRoot });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<CliRun>((resolve) => child.on('close', (code) => { resolve({ code: code ?? 1, stdout, stderr }); }));
  return { stdout: () => stdout, exited };
}

const steps = { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }] } } } satisfies Partial<CellSpec>;

/** 1.0.0 completed, then 2.0.0 rolled out up to the indefinite pause of step 2 (20% canary). */
async function pausedRollout(): Promise<CellWorld> {
  const w = await world();
  await w.targetGroup('blue', '1.0.0');
  await w.start();
  await w.cell('web', steps);
  await w.waitForStatus('web', (s) => s.phase === 'Completed');
  await w.targetGroup('green', '2.0.0');
  await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.currentStepIndex === 1 && s.canaryWeight === 20);
  return w;
}

/** Splits a table row into its columns. */
const columns = (line: string | undefined): string[] => (line ?? '').trim().split(/\s{2,}/);

describe('okractl get and describe', () => {
  it('lists Cells with phase, versions, canary weight and step, and describes weights, steps and Events', async () => {
    const w = await pausedRollout();

    const get = await okractl(w, 'get', 'cells');
    expect(get.stderr).toBe('');
    expect(get.code).toBe(0);
    const [header, row, ...rest] = get.stdout.trim().split('\n');
    expect(columns(header)).toEqual(['NAME', 'PHASE', 'DESIRED', 'STABLE', 'CANARY', 'STEP', 'AGE']);
    expect(columns(row).slice(0, 6)).toEqual(['web', 'Paused', '2.0.0', '1.0.0', '20%', '2/3']);
    expect(rest).toEqual([]);

    const json = await okractl(w, 'get', 'cell', 'web', '-o', 'json');
    expect((JSON.parse(json.stdout) as Cell).status).toMatchObject({ phase: 'Paused', desiredVersion: '2.0.0', currentStepIndex: 1 });
    // A listing is a List whatever its size (kubectl's shape), so `jq '.items[]'` works for one Cell too.
    const list = JSON.parse((await okractl(w, 'get', 'cells', '-o', 'json')).stdout) as { apiVersion: string; kind: string; items: Cell[] };
    expect({ apiVersion: list.apiVersion, kind: list.kind, names: list.items.map((c) => c.metadata.name) }).toEqual({ apiVersion: 'v1', kind: 'List', names: ['web'] });
    const asYaml = parse((await okractl(w, 'get', 'cells', '-o', 'yaml')).stdout) as { kind: string; items: Cell[] };
    expect(asYaml.items.map((c) => c.metadata.name)).toEqual(['web']);
    const none = await okractl(w, 'get', 'vbl', '-o', 'yaml');
    expect(none.code).toBe(0);
    expect(parse(none.stdout)).toEqual({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [] });
    const all = await okractl(w, 'get', 'cells', '-A');
    expect(all.stdout.split('\n').map(columns)).toContainEqual(expect.arrayContaining([w.namespace, 'web', 'Paused']));
    const tgs = await okractl(w, 'get', 'tg', '-l', 'okra.mumo.co/version=2.0.0');
    expect(tgs.stdout.trim().split('\n').slice(1).map((l) => columns(l).slice(0, 2))).toEqual([['green', '2.0.0']]);

    const described = await okractl(w, 'describe', 'cell', 'web');
    expect(described.code).toBe(0);
    const lines = described.stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'Phase:        Paused (WaitingForPromotion)',
        'Message:      step 2/3: paused until promoted (okractl promote)',
        'Desired:      2.0.0',
        'Stable:       1.0.0',
        '  ✓ 1. setWeight 20%',
        '  ▶ 2. pause until promoted',
        '    3. setWeight 50%',
        `  blue   1.0.0   80%  ${'█'.repeat(16)}${'░'.repeat(4)}`,
        `  green  2.0.0   20%  ${'█'.repeat(4)}${'░'.repeat(16)}`,
        'Conditions:',
      ]),
    );
    expect(lines.find((l) => l.startsWith('Step:'))).toMatch(/^Step: {9}2\/3, started \d+s ago$/);
    const events = lines.slice(lines.indexOf('Events:') + 2).map(columns);
    expect(events.map((e) => e[1])).toEqual(expect.arrayContaining(['RolloutStarted', 'Paused']));
  }, 90_000);

  it('shows an AnalysisRun gate with its metric results in describe', async () => {
    const { w, run } = await rolloutAtAnalysis();
    await w.client.mergePatch(RolloutsTypes.analysisRun, { name: run, namespace: w.namespace }, {
      status: { phase: 'Running', metricResults: [{ name: 'errors', phase: 'Running', count: 2, successful: 2, measurements: [{ phase: 'Successful', value: '0' }, { phase: 'Successful', value: '0' }] }] },
    });
    await w.waitForStatus('web', (s) => s.gates?.[0]?.phase === 'Running');

    const lines = (await okractl(w, 'describe', 'cell', 'web')).stdout.split('\n');
    const gates = lines.indexOf('Gates:');
    expect(columns(lines[gates + 1])).toEqual(['STEP', 'KIND', 'NAME', 'PHASE', 'MESSAGE']);
    expect(columns(lines[gates + 2])).toEqual(['2', 'AnalysisRun', run, 'Running']);
    expect(lines[gates + 3]).toBe('      metric errors: Running, last value 0, 2 measurements (2 successful)');
  }, 90_000);
});

describe('okractl promote', () => {
  it('passes an indefinite pause; the rollout then completes, and a completed Cell has nothing to promote', async () => {
    const w = await pausedRollout();
    const run = await okractl(w, 'promote', 'web');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('cell/web: step 2/3 (pause until promoted) promoted: 2.0.0 continues with step 3/3\n');
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0');
    expect(await w.weights()).toEqual({ green: 100 });
    expect(w.writes()).toEqual([{ blue: 100 }, { blue: 80, green: 20 }, { blue: 50, green: 50 }, { green: 100 }]);

    const again = await okractl(w, 'promote', 'web');
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toBe('error: cell/web has no rollout in progress (Completed, 2.0.0 is stable): nothing to promote\n');
  }, 90_000);

  it('passes an Inconclusive background analysis: a new background run starts and still guards the canary', async () => {
    const w = await world();
    await errorsTemplate(w);
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    const steps: CanaryStep[] = [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }];
    await w.cell('web', { updateStrategy: { canary: { analysis: { templates: [{ templateName: 'errors' }], startingStep: 1 }, steps } } });
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    await w.targetGroup('green', '2.0.0');
    await w.waitForStatus('web', (s) => s.currentStepIndex === 1 && s.gates?.some((g) => g.step === 'bg') === true);
    const [first] = await w.analysisRuns('web');
    // What an analysis engine writes when the metric lands between its success and failure conditions.
    await w.client.mergePatch(RolloutsTypes.analysisRun, { name: first?.metadata.name ?? '', namespace: w.namespace }, { status: { phase: 'Inconclusive', message: 'Metric "errors" assessed Inconclusive' } });
    const held = await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.message?.startsWith('background analysis') === true);
    expect(held.currentStepIndex).toBe(1);

    const run = await okractl(w, 'promote', 'web');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`cell/web: step 2/4 (pause until promoted) promoted (and the Inconclusive background analysis ${first?.metadata.name ?? ''}: a new run starts): 2.0.0 continues with step 3/4\n`);
    // As in Argo Rollouts one promote passes the Inconclusive run and the pause it held; a new run watches.
    await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.currentStepIndex === 3);
    expect(await w.weights()).toEqual({ blue: 50, green: 50 });
    expect(w.eventReasons('web')).toContain('BackgroundAnalysisRestarted');
    const runs = await w.analysisRuns('web');
    expect(runs.map((r) => r.metadata.labels?.['okra.mumo.co/step-index'])).toEqual(['bg', 'bg']);
    const second = runs.find((r) => r.metadata.name !== first?.metadata.name);
    // Deleted by hand, the new run comes back: the canary is never left unwatched.
    await w.client.delete(RolloutsTypes.analysisRun, { name: second?.metadata.name ?? '', namespace: w.namespace });
    await vi.waitFor(async () => {
      const back = (await w.analysisRuns('web')).find((r) => r.metadata.name === second?.metadata.name);
      expect(back?.metadata.uid ?? second?.metadata.uid).not.toBe(second?.metadata.uid);
    }, { timeout: 10_000 });
    await w.client.mergePatch(RolloutsTypes.analysisRun, { name: second?.metadata.name ?? '', namespace: w.namespace }, { status: { phase: 'Failed', message: 'Metric "errors" assessed Failed' } });
    await w.waitForStatus('web', (s) => s.phase === 'Degraded');
    expect(await w.weights()).toEqual({ blue: 100 });
  }, 90_000);

  it('--full skips the remaining steps', async () => {
    const w = await pausedRollout();
    const run = await okractl(w, 'promote', 'web', '--full');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('cell/web: promoting 2.0.0 fully: steps 2-3 of 3 skipped, 2.0.0 goes to 100%\n');
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0');
    expect(w.writes()).toEqual([{ blue: 100 }, { blue: 80, green: 20 }, { green: 100 }]);
  }, 90_000);
});

describe('okractl abort and retry', () => {
  it('abort puts stable back to 100% and reports Degraded; retry runs the steps again', async () => {
    const w = await pausedRollout();
    const abort = await okractl(w, 'abort', 'web');
    expect(abort.stderr).toBe('');
    expect(abort.stdout).toBe('cell/web: rollout of 2.0.0 aborted: 1.0.0 goes back to 100%\n');
    const degraded = await w.waitForStatus('web', (s) => s.phase === 'Degraded' && s.canaryWeight === 0);
    expect(degraded).toMatchObject({ abort: true, message: 'aborted by okractl abort', stableVersion: '1.0.0', desiredVersion: '2.0.0' });
    expect(await w.weights()).toEqual({ blue: 100 });

    expect((await okractl(w, 'abort', 'web')).stdout).toBe('cell/web: the rollout of 2.0.0 is already aborted\n');
    const promote = await okractl(w, 'promote', 'web');
    expect(promote.code).toBe(1);
    expect(promote.stderr).toBe('error: cell/web: the rollout of 2.0.0 was aborted: nothing to promote (okractl retry runs its steps again)\n');

    const retry = await okractl(w, 'retry', 'web');
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
    expect(retry.stdout).toBe('cell/web: retrying 2.0.0 over 1.0.0 from step 1\n');
    const restarted = await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.currentStepIndex === 1 && s.canaryWeight === 20);
    expect(restarted.abort).toBeUndefined();
    expect(await w.weights()).toEqual({ blue: 80, green: 20 });

    const again = await okractl(w, 'retry', 'web');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('error: cell/web: the rollout is not aborted (Paused): retry only restarts an aborted rollout\n');
  }, 90_000);

  it('retry after a failed analysis unblocks the version, deletes the failed run and starts a new one', async () => {
    const { w, run: failed } = await rolloutAtAnalysis();
    const failedUid = (await w.analysisRuns('web'))[0]?.metadata.uid;
    // What an analysis engine writes when the metric fails.
    await w.client.mergePatch(RolloutsTypes.analysisRun, { name: failed, namespace: w.namespace }, { status: { phase: 'Failed', message: 'Metric "errors" assessed Failed' } });
    await w.waitForStatus('web', (s) => s.phase === 'Degraded' && s.canaryWeight === 0);
    await vi.waitFor(async () => { expect((await w.client.get<VersionBlocklist>(VersionBlocklistType, 'web', w.namespace))?.spec.items.map((i) => i.version)).toEqual(['2.0.0']); });

    const retry = await okractl(w, 'retry', 'web');
    expect(retry.stderr).toBe('');
    expect(retry.stdout).toBe(['2.0.0 removed from VersionBlocklist web', '1 gate object(s) of the aborted attempt deleted', 'cell/web: retrying 2.0.0 over 1.0.0 from step 1', ''].join('\n'));
    expect((await w.client.get<VersionBlocklist>(VersionBlocklistType, 'web', w.namespace))?.spec.items).toEqual([]);

    const running = await w.waitForStatus('web', (s) => s.currentStepIndex === 1 && s.abort === undefined && s.gates?.[0]?.phase === 'Pending');
    expect(running).toMatchObject({ phase: 'Progressing', desiredVersion: '2.0.0', canaryWeight: 20 });
    const [rerun, ...others] = await w.analysisRuns('web');
    expect(others).toEqual([]);
    expect(rerun?.metadata.uid).not.toBe(failedUid);
    expect(rerun?.status?.phase).not.toBe('Failed');
    await w.client.mergePatch(RolloutsTypes.analysisRun, { name: rerun?.metadata.name ?? '', namespace: w.namespace }, { status: { phase: 'Successful' } });
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0');
    expect(await w.weights()).toEqual({ green: 100 });
  }, 90_000);
});

describe('okractl unblock of an aborted version', () => {
  it('says the Cell stays aborted until retry; retry then runs it again and watch follows it to its end', async () => {
    const { w, run: failed } = await rolloutAtAnalysis();
    await w.client.mergePatch(RolloutsTypes.analysisRun, { name: failed, namespace: w.namespace }, { status: { phase: 'Failed', message: 'Metric "errors" assessed Failed' } });
    await w.waitForStatus('web', (s) => s.phase === 'Degraded' && s.canaryWeight === 0);
    await vi.waitFor(async () => { expect((await w.client.get<VersionBlocklist>(VersionBlocklistType, 'web', w.namespace))?.spec.items.map((i) => i.version)).toEqual(['2.0.0']); });

    const unblock = await okractl(w, 'unblock', 'web', '2.0.0');
    expect(unblock.stderr).toBe('');
    expect(unblock.code).toBe(0);
    expect(unblock.stdout).toBe('version 2.0.0 unblocked for cell/web\ncell/web stays aborted on 2.0.0 until okractl retry web (which runs its steps again)\n');
    // True to the hint: the controller holds the aborted version, and a watch ends at once on it.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await w.status('web')).toMatchObject({ phase: 'Degraded', abort: true, desiredVersion: '2.0.0' });
    expect(await w.weights()).toEqual({ blue: 100 });
    expect((await okractl(w, 'watch', 'cell', 'web')).code).toBe(2);

    const retry = await okractl(w, 'retry', 'web');
    expect(retry.stdout).toBe('1 gate object(s) of the aborted attempt deleted\ncell/web: retrying 2.0.0 over 1.0.0 from step 1\n');
    await w.waitForStatus('web', (s) => s.currentStepIndex === 1 && s.abort === undefined && s.gates?.[0]?.phase === 'Pending');
    // The new attempt waits on its new run (nothing evaluates runs in this world): watch stays on it.
    const watch = startOkractl(w, 'watch', 'cell', 'web');
    await vi.waitFor(() => { expect(watch.stdout()).toContain('Phase:        Progressing'); }, { timeout: 30_000, interval: 100 });
    const [rerun] = await w.analysisRuns('web');
    await w.client.mergePatch(RolloutsTypes.analysisRun, { name: rerun?.metadata.name ?? '', namespace: w.namespace }, { status: { phase: 'Failed', message: 'Metric "errors" assessed Failed' } });
    const watched = await watch.exited;
    expect(watched.code).toBe(2);
    expect(watched.stderr).toMatch(/^error: cell\/web Degraded: rolled back 2\.0\.0 to 1\.0\.0: AnalysisRun \S+ Failed/);
  }, 90_000);
});

describe('okractl pause and resume', () => {
  it('pause freezes the Cell: a new version does not start until resume', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', steps);
    await w.waitForStatus('web', (s) => s.phase === 'Completed');

    const pause = await okractl(w, 'pause', 'web');
    expect(pause.stdout).toBe('cell/web paused: steps and gates are frozen until okractl resume (aborts, blocklisted versions and gone target groups are still handled)\n');
    expect((await w.client.get<Cell>(CellType, 'web', w.namespace))?.spec.paused).toBe(true);
    expect((await okractl(w, 'pause', 'web')).stdout).toBe('cell/web is already paused\n');
    await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.reason === 'Paused');
    await w.targetGroup('green', '2.0.0');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await w.weights()).toEqual({ blue: 100 });
    expect(w.writes()).toEqual([{ blue: 100 }]);

    const resume = await okractl(w, 'resume', 'web');
    expect(resume.stdout).toBe('cell/web resumed\n');
    expect((await w.client.get<Cell>(CellType, 'web', w.namespace))?.spec.paused).toBeUndefined();
    await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.currentStepIndex === 1 && s.desiredVersion === '2.0.0');
    expect(await w.weights()).toEqual({ blue: 80, green: 20 });
    expect((await okractl(w, 'resume', 'web')).stdout).toBe('cell/web is not paused\n');
  }, 90_000);

  it('abort on a paused Cell takes effect at once: stable back to 100% without resume', async () => {
    const w = await pausedRollout();
    await okractl(w, 'pause', 'web');
    await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.reason === 'Paused');
    const abort = await okractl(w, 'abort', 'web');
    expect(abort.stdout).toBe('cell/web: rollout of 2.0.0 aborted: 1.0.0 goes back to 100%\n');
    await w.waitForStatus('web', (s) => s.phase === 'Degraded' && s.abort === true);
    expect(await w.weights()).toEqual({ blue: 100 });
    expect((await w.client.get<Cell>(CellType, 'web', w.namespace))?.spec.paused).toBe(true);
  }, 90_000);
});

describe('okractl block and unblock', () => {
  it('a blocked version is not rolled out; unblocking it starts its rollout', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', steps);
    await w.waitForStatus('web', (s) => s.phase === 'Completed');

    const block = await okractl(w, 'block', 'web', '2.0.0', '--cause', 'known bad build');
    expect(block.stderr).toBe('');
    expect(block.stdout).toBe('version 2.0.0 blocked for cell/web\n');
    expect((await w.client.get<VersionBlocklist>(VersionBlocklistType, 'web', w.namespace))?.spec.items).toEqual([{ version: '2.0.0', cause: 'known bad build' }]);
    expect((await okractl(w, 'block', 'web', '2.0.0')).stdout).toBe('version 2.0.0 is already blocked for cell/web\n');
    expect(columns((await okractl(w, 'get', 'vbl')).stdout.split('\n')[1]).slice(0, 2)).toEqual(['web', '2.0.0']);

    await w.targetGroup('green', '2.0.0');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await w.weights()).toEqual({ blue: 100 });
    expect(await w.status('web')).toMatchObject({ phase: 'Completed', stableVersion: '1.0.0' });

    const unblock = await okractl(w, 'unblock', 'web', '2.0.0');
    expect(unblock.stdout).toBe('version 2.0.0 unblocked for cell/web\n');
    await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.desiredVersion === '2.0.0' && s.canaryWeight === 20);

    const absent = await okractl(w, 'unblock', 'web', '2.0.0');
    expect(absent.code).toBe(1);
    expect(absent.stderr).toBe('error: version 2.0.0 is not blocked for cell/web (blocked: none)\n');
    const ignored = await okractl(w, 'unblock', 'web', '2.0.0', '--ignore-not-found');
    expect(ignored.code).toBe(0);
    const invalid = await okractl(w, 'block', 'web', 'v2');
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toBe('error: version "v2" is not a strict semantic version (for example 1.2.3)\n');
  }, 90_000);
});

describe('okractl watch', () => {
  it('follows the rollout and exits 0 when it completes', async () => {
    const w = await pausedRollout();
    const watch = startOkractl(w, 'watch', 'cell', 'web');
    await vi.waitFor(() => { expect(watch.stdout()).toContain('Phase:        Paused'); }, { timeout: 30_000, interval: 100 });
    expect((await okractl(w, 'promote', 'web')).code).toBe(0);
    const run = await watch.exited;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const frames = run.stdout.split('\nName:');
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames[0]).toContain('  ▶ 2. pause until promoted');
    expect(frames.at(-1)).toContain('  green  2.0.0  100%');
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('cell/web Completed: 2.0.0 serves 100% on 1 target group(s)');
  }, 90_000);

  it('exits 2 when the rollout is aborted, and 3 on --timeout', async () => {
    const w = await pausedRollout();
    const timedOut = await okractl(w, 'watch', 'cell', 'web', '--timeout', '1s');
    expect(timedOut.code).toBe(3);
    expect(timedOut.stderr).toBe('error: timed out waiting for cell/web (Paused: step 2/3: paused until promoted (okractl promote))\n');

    const watch = startOkractl(w, 'watch', 'cell', 'web');
    await vi.waitFor(() => { expect(watch.stdout()).toContain('Phase:        Paused'); }, { timeout: 30_000, interval: 100 });
    expect((await okractl(w, 'abort', 'web')).code).toBe(0);
    const run = await watch.exited;
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: cell/web Degraded: aborted by okractl abort\n');
    // The last frame: the rollout ended once blue was read back at 100%.
    expect(run.stdout.split('\nName:').at(-1)).toMatch(/\n {2}blue +1\.0\.0 +100% /);
  }, 90_000);

  it('exits 2 when the version in flight is blocked: the Cell is Completed back on 1.0.0, which is no success', async () => {
    const w = await pausedRollout();
    const watch = startOkractl(w, 'watch', 'cell', 'web');
    await vi.waitFor(() => { expect(watch.stdout()).toContain('Phase:        Paused'); }, { timeout: 30_000, interval: 100 });
    expect((await okractl(w, 'block', 'web', '2.0.0', '--cause', 'known bad build')).code).toBe(0);
    const run = await watch.exited;
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: cell/web 2.0.0 did not complete: it is in the VersionBlocklist (known bad build); the Cell is back on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))\n');
    expect(await w.status('web')).toMatchObject({ phase: 'Completed', desiredVersion: '1.0.0', stableVersion: '1.0.0' });
    expect(await w.weights()).toEqual({ blue: 100 });
  }, 90_000);

  it('exits 2 when the target groups of the version in flight go away', async () => {
    const w = await pausedRollout();
    const watch = startOkractl(w, 'watch', 'cell', 'web');
    await vi.waitFor(() => { expect(watch.stdout()).toContain('Phase:        Paused'); }, { timeout: 30_000, interval: 100 });
    await w.deleteTargetGroup('green');
    const run = await watch.exited;
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: cell/web 2.0.0 did not complete: the Cell is back on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))\n');
    expect(await w.weights()).toEqual({ blue: 100 });
  }, 90_000);

  it('--for-version waits for a version that has not appeared (3 on --timeout), then follows it to Completed', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', steps);
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    const early = await okractl(w, 'watch', 'cell', 'web', '--for-version', '2.0.0', '--timeout', '2s');
    expect(early.code).toBe(3);
    expect(early.stderr).toBe('error: timed out waiting for cell/web (Completed: 1.0.0 serves 100% on 1 target group(s))\n');

    const watch = startOkractl(w, 'watch', 'cell', 'web', '--for-version', '2.0.0');
    await vi.waitFor(() => { expect(watch.stdout()).toContain('Phase:        Completed'); }, { timeout: 30_000, interval: 100 });
    await w.targetGroup('green', '2.0.0');
    await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.desiredVersion === '2.0.0');
    expect((await okractl(w, 'promote', 'web')).code).toBe(0);
    const run = await watch.exited;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('cell/web Completed: 2.0.0 serves 100% on 1 target group(s)');
  }, 90_000);

  it('--for-version of a blocked version fails at once instead of waiting out --timeout', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', steps);
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    expect((await okractl(w, 'block', 'web', '2.0.0', '--cause', 'known bad build')).code).toBe(0);
    const run = await okractl(w, 'watch', 'cell', 'web', '--for-version', '2.0.0', '--timeout', '60s');
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('error: cell/web 2.0.0 will not roll out: it is in the VersionBlocklist (known bad build); the Cell stays on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))\n');
  }, 90_000);

  it('exits 4 for a Cell with an invalid spec', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', { replicas: 0 });
    const run = await okractl(w, 'watch', 'cell', 'web', '--timeout', '30s');
    expect(run.code).toBe(4);
    expect(run.stderr).toBe('error: cell/web has an invalid spec: spec.replicas must be at least 1 (got 0)\n');
  });
});

describe('okractl errors', () => {
  const client = managementClient();
  const env = cliEnv('eu-west-1');

  it('fails with exit code 5 and one line for a Cell that does not exist', async () => {
    const ns = await createNamespace(client, 'okractl');
    for (const args of [['describe', 'cell', 'nope'], ['promote', 'nope'], ['watch', 'cell', 'nope'], ['get', 'cell', 'nope'], ['block', 'nope', '1.0.0']]) {
      const run = await runCli('okractl', ['-n', ns, ...args], env);
      expect(run.code, args.join(' ')).toBe(5);
      expect(run.stderr, args.join(' ')).toBe(`error: cell "nope" not found in namespace "${ns}"\n`);
    }
    const verbose = await runCli('okractl', ['-n', ns, 'promote', 'nope', '--verbose'], env);
    expect(verbose.code).toBe(5);
    expect(verbose.stderr.split('\n').length).toBeGreaterThan(3);
    expect(verbose.stderr).toContain('CliError');
  });

  it('refuses watch --interval 0 (a busy loop on the API server) and a --for-version that is not a version, in one line each', async () => {
    const zero = await runCli('okractl', ['watch', 'cell', 'web', '--interval', '0'], env);
    expect(zero.code).toBe(1);
    expect(zero.stderr).toBe('error: --interval "0" must be longer than 0 (for example 500ms, 1s)\n');
    const bad = await runCli('okractl', ['watch', 'cell', 'web', '--for-version', 'v2'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('error: --for-version "v2" is not a strict semantic version (for example 2.0.0)\n');
  });

  it('names a --context the kubeconfig lacks', async () => {
    const run = await runCli('okractl', ['--context', 'nope', 'get', 'cells'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: the kubeconfig has no context "nope" \(contexts: .+\)\n$/);
  });

  it('rejects an unknown resource type and missing arguments with exit code 1', async () => {
    const unknown = await runCli('okractl', ['get', 'pods'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: unknown resource type "pods": use one of cells, clustersets, awstargetgroupsets, awstargetgroups, versionblocklists\n');
    const missing = await runCli('okractl', ['promote'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("error: missing required argument 'cell'");
  });

  it('prints help for every command', async () => {
    for (const args of [['--help'], ['get', '--help'], ['describe', 'cell', '--help'], ['watch', 'cell', '--help'], ['promote', '--help'], ['abort', '--help'], ['retry', '--help'], ['pause', '--help'], ['resume', '--help'], ['block', '--help'], ['unblock', '--help']]) {
      const run = await runCli('okractl', args, env);
      expect(run.code, args.join(' ')).toBe(0);
      expect(run.stdout, args.join(' ')).toMatch(/^Usage: okractl /);
    }
  });
});

describe('kubectl okra', () => {
  it('runs as a kubectl plugin, named kubectl okra in its help', async () => {
    const client = managementClient();
    const ns = await createNamespace(client, 'okractl-plugin');
    await client.create<Cell>(CellType, { apiVersion: 'okra.mumo.co/v1alpha1', kind: 'Cell', metadata: { name: 'web', namespace: ns }, spec: { ingress: {} } });
    // What npm's bin link does: an executable kubectl-okra on PATH (here running the TypeScript entry).
    const dir = await mkdtemp(join(tmpdir(), 'okractl-plugin-'));
    const launcher = join(dir, 'launcher.mjs');
    await writeFile(launcher, `#!/usr/bin/env -S node --import tsx\nimport ${JSON.stringify(join(repoRoot, 'src', 'cli', 'okractl.ts'))};\n`);
    await chmod(launcher, 0o755);
    await symlink(launcher, join(dir, 'kubectl-okra'));
    const env = { ...cliEnv('eu-west-1'), PATH: `${dir}:${process.env.PATH ?? ''}` };
    const kubectl = (...args: string[]) => promisify(execFile)(stackPaths().kubectl, args, { env, cwd: repoRoot });

    const get = await kubectl('okra', 'get', 'cells', '-n', ns);
    expect(get.stdout.split('\n').map(columns)[1]).toEqual(['web', '-', expect.stringMatching(/^\d+s$/) as unknown]);
    expect((await kubectl('okra', 'get', '--help')).stdout).toMatch(/^Usage: kubectl okra get \[options\] <resource> \[name\]/);
    await rm(dir, { recursive: true });
  });
});

const analysisSteps = {
  updateStrategy: { canary: { steps: [{ setWeight: 20 }, { analysis: { templates: [{ templateName: 'errors' }] } }, { setWeight: 50 }] } },
} satisfies Partial<CellSpec>;

/** A template nobody evaluates here: the tests write the AnalysisRun's status as an engine would. */
async function errorsTemplate(w: CellWorld): Promise<void> {
  await w.client.create(RolloutsTypes.analysisTemplate, {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'errors', namespace: w.namespace },
    spec: { metrics: [{ name: 'errors', successCondition: 'result < 1', provider: { web: { url: 'http://127.0.0.1:1/errors', jsonPath: '{$.errors}' } } }] },
  });
}

/** A Cell rolled out on 1.0.0, then 2.0.0 arriving; returns once the rollout waits at the analysis step, with that AnalysisRun's name. */
async function rolloutAtAnalysis(): Promise<{ w: CellWorld; run: string }> {
  const w = await world();
  await errorsTemplate(w);
  await w.targetGroup('blue', '1.0.0');
  await w.start();
  await w.cell('web', analysisSteps);
  await w.waitForStatus('web', (s) => s.phase === 'Completed');
  await w.targetGroup('green', '2.0.0');
  await w.waitForStatus('web', (s) => s.currentStepIndex === 1 && (s.gates?.length ?? 0) > 0);
  const [run] = await w.analysisRuns('web');
  return { w, run: run?.metadata.name ?? '' };
}
