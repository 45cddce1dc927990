// Cells end to end: the real apiserver, the controllers in a manager, and a real ALB in moto. Each test
// has its own namespace and its own region (so its ALB and rules are its own).
import { ModifyRuleCommand, CreateRuleCommand, DeleteRuleCommand, DescribeTagsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CellType, type Cell, type CellStatus } from '../src/api/v1alpha1/cell.js';
import { VersionBlocklistType, type VersionBlocklist } from '../src/api/v1alpha1/versionblocklist.js';
import { forwardAction } from '../src/aws/elbv2.js';
import { CLEANUP_FINALIZER } from '../src/controllers/cell/reconciler.js';
import { CellWorld } from './support/cell-world.js';

const worlds: CellWorld[] = [];
async function world(opts: { resyncMs?: number } = {}): Promise<CellWorld> {
  const w = await CellWorld.create(opts);
  worlds.push(w);
  return w;
}
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.stop();
});

const canary3 = { updateStrategy: { canary: { steps: [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 50 }] } } };

/** Waits until a deleted Cell is gone from the API server (its finalizer, if any, done). */
async function gone(w: CellWorld, name: string): Promise<void> {
  await vi.waitFor(async () => { expect(await w.client.get(CellType, name, w.namespace)).toBeUndefined(); }, { timeout: 20_000, interval: 100 });
}

/** A Cell bootstrapped on blue 1.0.0, then rolling out green 2.0.0 and held at `setWeight` by an indefinite pause. */
async function pausedOnGreen(setWeight: number): Promise<{ w: CellWorld; paused: CellStatus }> {
  const w = await world();
  await w.targetGroup('blue', '1.0.0');
  await w.start();
  await w.cell('web', { updateStrategy: { canary: { steps: [{ setWeight }, { pause: {} }] } } });
  await w.waitForStatus('web', (s) => s.phase === 'Completed');
  await w.targetGroup('green', '2.0.0');
  const paused = await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.desiredVersion === '2.0.0');
  return { w, paused };
}

describe('Cell rollouts', () => {
  it('bootstraps the first version to 100% at once, and an idle resync writes nothing', async () => {
    const w = await world({ resyncMs: 500 });
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', canary3);
    const status = await w.waitForStatus('web', (s) => s.phase === 'Completed');
    expect(status).toMatchObject({ stableVersion: '1.0.0', desiredVersion: '1.0.0', canaryWeight: 100 });
    expect(await w.weights()).toEqual({ blue: 100 });
    expect(w.writes()).toEqual([{ blue: 100 }]);
    expect(w.eventReasons('web')).toEqual(['RuleCreated', 'RolloutCompleted']);

    const resourceVersion = (await w.client.get(await import('../src/api/v1alpha1/cell.js').then((m) => m.CellType), 'web', w.namespace))?.metadata.resourceVersion;
    const writesBefore = w.rules.writeCount;
    await new Promise((r) => setTimeout(r, 1500));
    expect(w.rules.writeCount).toBe(writesBefore);
    expect((await w.client.get(await import('../src/api/v1alpha1/cell.js').then((m) => m.CellType), 'web', w.namespace))?.metadata.resourceVersion).toBe(resourceVersion);
  });

  it('runs a 3-step canary with a timed pause, then promotes to 100%', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', canary3);
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    const startedAt = Date.now();
    await w.targetGroup('green', '2.0.0');
    const done = await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2000);
    expect(done).toMatchObject({ desiredVersion: '2.0.0', canaryWeight: 100, currentStepIndex: 3 });
    expect(w.writes()).toEqual([{ blue: 100 }, { blue: 80, green: 20 }, { blue: 50, green: 50 }, { green: 100 }]);
    expect(await w.weights()).toEqual({ green: 100 });
    expect(w.eventReasons('web')).toEqual(['RuleCreated', 'RolloutCompleted', 'RolloutStarted', 'StepCompleted', 'StepCompleted', 'StepCompleted', 'RolloutCompleted']);
  });

  it('holds an indefinite pause until promoted', async () => {
    const { w, paused } = await pausedOnGreen(30);
    expect(paused).toMatchObject({ currentStepIndex: 1, canaryWeight: 30 });
    expect(await w.weights()).toEqual({ blue: 70, green: 30 });
    await new Promise((r) => setTimeout(r, 500));
    expect((await w.status('web')).phase).toBe('Paused');

    await w.patchStatus('web', { promoteStep: 1 });
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0');
    expect(await w.weights()).toEqual({ green: 100 });
  });

  it('restarts the steps for a newer version that appears mid-rollout, against the last completed stable', async () => {
    const { w } = await pausedOnGreen(20);
    await w.targetGroup('red', '3.0.0');
    const superseded = await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.desiredVersion === '3.0.0');
    expect(superseded).toMatchObject({ stableVersion: '1.0.0', currentStepIndex: 1 });
    expect(await w.weights()).toEqual({ blue: 80, red: 20 });
    expect(w.eventReasons('web')).toContain('RolloutSuperseded');
    await w.patchStatus('web', { promoteStep: 1 });
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '3.0.0');
    expect(await w.weights()).toEqual({ red: 100 });
  });

  it('moved to another listener mid-rollout, makes a rule there at the same step and names the one it left behind', async () => {
    const { w, paused: before } = await pausedOnGreen(20);

    const next = await w.alb.listener(8080);
    const spec = (await w.client.get<Cell>(CellType, 'web', w.namespace))?.spec;
    const alb = spec?.ingress.awsApplicationLoadBalancer;
    if (!spec || !alb) throw new Error('Cell web has no ALB ingress');
    await w.patchSpec('web', { ingress: { ...spec.ingress, awsApplicationLoadBalancer: { ...alb, listenerARN: next } } });

    const moved = await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.ruleArn !== before.ruleArn && s.pendingWeights === undefined);
    expect(moved).toMatchObject({ stableVersion: '1.0.0', desiredVersion: '2.0.0', currentStepIndex: 1, canaryWeight: 20 });
    expect(await w.weights(10, next)).toEqual({ blue: 80, green: 20 });
    // The old listener's rule is left as it was: removing it could cut traffic still sent to it.
    expect(await w.weights(10)).toEqual({ blue: 80, green: 20 });
    const changed = w.events.memory.events.filter((e) => e.object === 'Cell/web' && e.reason === 'ListenerChanged');
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ type: 'Warning' });
    expect(changed[0]?.message).toContain(`the rule ${before.ruleArn ?? ''} on the previous listener is left as it is (last verified: blue 80%, green 20%)`);
  });

  it('rolls back at once when spec.version goes below the stable version', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.targetGroup('green', '2.0.0');
    await w.start();
    await w.cell('web', canary3);
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0');
    const writes = w.writes().length;
    await w.patchSpec('web', { version: '1.0.0' });
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '1.0.0');
    expect(w.writes().slice(writes)).toEqual([{ blue: 100 }]);
    expect(w.eventReasons('web')).toContain('RolledBack');
  });

  it('adds a new target group of the completed version at once (scale-out)', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', canary3);
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    await w.targetGroup('blue2', '1.0.0');
    await w.waitForStatus('web', (s) => s.targetGroups?.length === 2 && s.phase === 'Completed');
    expect(w.writes()).toEqual([{ blue: 100 }, { blue: 50, blue2: 50 }]);
  });

  it('restores weights edited by hand on the next resync, with an Event', async () => {
    const w = await world({ resyncMs: 500 });
    await w.targetGroup('blue', '1.0.0');
    await w.targetGroup('blue2', '1.0.0');
    await w.start();
    await w.cell('web', canary3);
    const done = await w.waitForStatus('web', (s) => s.phase === 'Completed');
    // The edit is checked from AWS's answer: a resync every 500 ms may restore the rule before a re-read.
    const edited = await w.alb.elb.send(new ModifyRuleCommand({ RuleArn: done.ruleArn, Actions: [forwardAction([{ arn: w.arns.get('blue') ?? '', weight: 100 }])] }));
    expect(edited.Rules?.[0]?.Actions?.[0]?.ForwardConfig?.TargetGroups?.map((t) => t.Weight)).toEqual([100]);
    await expect.poll(() => w.weights(), { timeout: 10_000, interval: 100 }).toEqual({ blue: 50, blue2: 50 });
    // The Event is recorded after the restoring write, so it may trail the weights by a moment.
    await expect.poll(() => w.eventReasons('web'), { timeout: 10_000, interval: 100 }).toContain('DriftCorrected');
  });

  it('does not roll out a blocklisted version until it is removed from the list', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.client.create<VersionBlocklist>(VersionBlocklistType, {
      apiVersion: 'okra.mumo.co/v1alpha1',
      kind: 'VersionBlocklist',
      metadata: { name: 'web', namespace: w.namespace },
      spec: { items: [{ version: '2.0.0', cause: 'known bad' }] },
    });
    await w.start();
    await w.cell('web', canary3);
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    await w.targetGroup('green', '2.0.0');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await w.status('web')).toMatchObject({ phase: 'Completed', stableVersion: '1.0.0' });
    expect(w.writes()).toEqual([{ blue: 100 }]);

    await w.client.mergePatch(VersionBlocklistType, { name: 'web', namespace: w.namespace }, { spec: { items: [] } });
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0');
  });

  it('keeps two Cells on the same listener at different priorities independent', async () => {
    const w = await world();
    await w.targetGroup('web-blue', '1.0.0', { app: 'web' });
    await w.targetGroup('api-blue', '5.0.0', { app: 'api' });
    await w.start();
    await w.cell('web', { priority: 10, matchLabels: { app: 'web' }, ...canary3 });
    await w.cell('api', { priority: 20, matchLabels: { app: 'api' }, updateStrategy: { canary: { steps: [{ setWeight: 10 }, { pause: {} }] } } });
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    await w.waitForStatus('api', (s) => s.phase === 'Completed');
    await w.targetGroup('api-green', '6.0.0', { app: 'api' });
    await w.waitForStatus('api', (s) => s.phase === 'Paused');
    expect(await w.weights(10)).toEqual({ 'web-blue': 100 });
    expect(await w.weights(20)).toEqual({ 'api-blue': 90, 'api-green': 10 });
    expect((await w.status('web')).stableVersion).toBe('1.0.0');
  });

  it('never modifies a rule at its priority that it does not own', async () => {
    const w = await world();
    const blue = await w.targetGroup('blue', '1.0.0');
    await w.alb.elb.send(
      new CreateRuleCommand({ ListenerArn: w.alb.listenerArn, Priority: 10, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/foreign'] } }], Actions: [forwardAction([{ arn: blue, weight: 100 }])] }),
    );
    await w.start();
    await w.cell('web', canary3);
    const status = await w.waitForStatus('web', (s) => s.reason === 'RuleConflict');
    expect(status.phase).toBe('Degraded');
    expect(status.message).toContain('not owned by this Cell');
    expect(w.rules.writeCount).toBe(0);
    expect(w.eventReasons('web')).toEqual(['RuleConflict']);
  });

  it('adopts an untagged rule when annotated and tags it, so it is found again after the Cell is created anew elsewhere', async () => {
    const w = await world();
    const blue = await w.targetGroup('blue', '1.0.0');
    const legacy = await w.alb.elb.send(
      new CreateRuleCommand({ ListenerArn: w.alb.listenerArn, Priority: 10, Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['web.example.com'] } }], Actions: [forwardAction([{ arn: blue, weight: 100 }])] }),
    );
    await w.start();
    await w.cell('web', canary3);
    await w.waitForStatus('web', (s) => s.reason === 'RuleConflict');
    await w.client.mergePatch(CellType, { name: 'web', namespace: w.namespace }, { metadata: { annotations: { 'okra.mumo.co/adopt-rule': 'true' } } });
    const adopted = await w.waitForStatus('web', (s) => s.phase === 'Completed');
    expect(adopted.ruleArn).toBe(legacy.Rules?.[0]?.RuleArn);
    const { TagDescriptions } = await w.alb.elb.send(new DescribeTagsCommand({ ResourceArns: [adopted.ruleArn ?? ''] }));
    expect(TagDescriptions?.[0]?.Tags).toContainEqual({ Key: 'okra.mumo.co/owner', Value: `Cell/${w.namespace}/web` });

    // Without the annotation and without its status, at a new priority: the rule is still its own.
    await w.client.delete(CellType, { name: 'web', namespace: w.namespace });
    await gone(w, 'web');
    await w.cell('web', { ...canary3, priority: 20 });
    const again = await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.ruleArn !== undefined);
    expect(again.ruleArn).toBe(adopted.ruleArn);
    await vi.waitFor(async () => { expect(await w.weights(20)).toEqual({ blue: 100 }); });
    expect(await w.weights(10)).toBeUndefined();
  });

  it('does not try to move its rule to a priority another rule holds; moves it once that priority is free', async () => {
    const w = await world({ resyncMs: 1_000 });
    const blue = await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', canary3);
    const before = await w.waitForStatus('web', (s) => s.phase === 'Completed');
    const foreign = await w.alb.elb.send(
      new CreateRuleCommand({ ListenerArn: w.alb.listenerArn, Priority: 20, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/foreign'] } }], Actions: [forwardAction([{ arn: blue, weight: 100 }])] }),
    );
    const writes = w.rules.writeCount;

    await w.patchSpec('web', { ingress: { type: 'AWSApplicationLoadBalancer', awsApplicationLoadBalancer: { listenerARN: w.alb.listenerArn, listener: { rule: { priority: 20, hosts: ['web.example.com'] } }, targetGroupSelector: { matchLabels: { app: 'web' } } } } });
    const blocked = await w.waitForStatus('web', (s) => s.reason === 'PriorityInUse');
    expect(blocked.phase).toBe('Degraded');
    expect(blocked.message).toContain(`cannot move to priority 20: it is held by ${foreign.Rules?.[0]?.RuleArn ?? ''}`);
    // Resync passes keep finding it held: still no write, and one Event.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(w.rules.writeCount).toBe(writes);
    expect(await w.weights(10)).toEqual({ blue: 100 });
    expect(w.eventReasons('web').filter((r) => r === 'PriorityInUse')).toHaveLength(1);

    await w.alb.elb.send(new DeleteRuleCommand({ RuleArn: foreign.Rules?.[0]?.RuleArn }));
    const moved = await w.waitForStatus('web', (s) => s.phase === 'Completed');
    expect(moved.ruleArn).toBe(before.ruleArn);
    await vi.waitFor(async () => { expect(await w.weights(20)).toEqual({ blue: 100 }); });
    expect(await w.weights(10)).toBeUndefined();
  });

  it('falls back to stable when the new version loses its target groups mid-rollout', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', { updateStrategy: { canary: { steps: [{ setWeight: 40 }, { pause: {} }] } } });
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    await w.targetGroup('green', '2.0.0');
    await w.waitForStatus('web', (s) => s.phase === 'Paused');
    expect(await w.weights()).toEqual({ blue: 60, green: 40 });
    await w.deleteTargetGroup('green');
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.canaryWeight === 100 && s.desiredVersion === '1.0.0');
    expect(await w.weights()).toEqual({ blue: 100 });
  });

  it('while spec.paused is set, advances nothing but still takes traffic off a target group that is gone', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.targetGroup('blue2', '1.0.0');
    await w.start();
    await w.cell('web', { updateStrategy: { canary: { steps: [{ setWeight: 40 }, { pause: { duration: '2s' } }, { setWeight: 80 }] } } });
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    await w.targetGroup('green', '2.0.0');
    await w.waitForStatus('web', (s) => s.currentStepIndex === 1);
    await w.patchSpec('web', { paused: true });
    await w.waitForStatus('web', (s) => s.phase === 'Paused');
    expect(await w.weights()).toEqual({ blue: 30, blue2: 30, green: 40 });

    await w.deleteTargetGroup('blue2');
    await w.waitForStatus('web', (s) => s.phase === 'Paused' && s.reason === 'Paused' && s.targetGroups?.length === 2);
    expect(await w.weights()).toEqual({ blue: 60, green: 40 });
    expect(w.eventReasons('web')).toContain('TargetGroupsGone');
    // The 2s pause has long run out, yet nothing advanced while paused.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await w.status('web')).toMatchObject({ phase: 'Paused', currentStepIndex: 1, desiredVersion: '2.0.0' });
    expect(await w.weights()).toEqual({ blue: 60, green: 40 });

    await w.patchSpec('web', { paused: false });
    await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.stableVersion === '2.0.0');
    expect(await w.weights()).toEqual({ green: 100 });
  });

  it.each([
    { name: 'no target group matches the selector', spec: { matchLabels: { app: 'nothing' } }, phase: 'Pending', message: /waiting for AWSTargetGroups/ },
    { name: 'an unsupported step', spec: { updateStrategy: { canary: { steps: [{ setCanaryScale: { weight: 10 } }] } } }, phase: 'InvalidSpec', message: /setCanaryScale is not supported/ },
    { name: 'replicas 0', spec: { replicas: 0 }, phase: 'InvalidSpec', message: /spec.replicas must be at least 1/ },
    { name: 'an unsupported ingress type', spec: { ingress: { type: 'AWSNetworkLoadBalancer' as const, awsNetworkLoadBalancer: {} } }, phase: 'InvalidSpec', message: /AWSNetworkLoadBalancer is not supported/ },
  ])('reports $name as a condition and writes nothing to AWS', async ({ spec, phase, message }) => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', spec);
    const status = await w.waitForStatus('web', (s) => s.phase === phase);
    expect(status.message).toMatch(message);
    expect(w.rules.writeCount).toBe(0);
    expect(await w.weights()).toBeUndefined();
  });
});

describe('a listener rule that cannot be read', () => {
  it('is named in status with one Warning, nothing is written, and the Cell recovers when it can be read', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    const missing = w.alb.listenerArn.replace(/\/[0-9a-f]+$/, '/0123456789abcdef');
    await w.cell('web', {
      ingress: { type: 'AWSApplicationLoadBalancer', awsApplicationLoadBalancer: { listenerARN: missing, listener: { rule: { priority: 10, hosts: ['web.example.com'] } }, targetGroupSelector: { matchLabels: { app: 'web' } } } },
    });
    const failed = await w.waitForStatus('web', (s) => s.reason === 'RuleReadFailed');
    expect(failed.message).toMatch(new RegExp(`^could not read the listener rule on ${missing}: .*[Ll]istener`));
    expect(w.rules.writeCount).toBe(0);
    // Retried with backoff: the same cause is not reported again.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(w.eventReasons('web')).toEqual(['RuleReadFailed']);

    await w.patchSpec('web', { ingress: { type: 'AWSApplicationLoadBalancer', awsApplicationLoadBalancer: { listenerARN: w.alb.listenerArn, listener: { rule: { priority: 10, hosts: ['web.example.com'] } }, targetGroupSelector: { matchLabels: { app: 'web' } } } } });
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    expect(await w.weights()).toEqual({ blue: 100 });
  });
});

describe('deleting a Cell', () => {

  it('leaves its rule and the traffic where they are by default', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    const cell = await w.cell('web', canary3);
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    expect(cell.metadata.finalizers ?? []).toEqual([]);
    await w.client.delete(CellType, { name: 'web', namespace: w.namespace });
    await gone(w, 'web');
    expect(await w.weights()).toEqual({ blue: 100 });
  });

  it('created again at another priority, moves the rule it left instead of making a second one', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', canary3);
    const first = await w.waitForStatus('web', (s) => s.phase === 'Completed');
    await w.client.delete(CellType, { name: 'web', namespace: w.namespace });
    await gone(w, 'web');

    // Its status is gone with it, as after a restore from a backup; the rule it tagged is still there.
    await w.cell('web', { ...canary3, priority: 20 });
    const again = await w.waitForStatus('web', (s) => s.phase === 'Completed' && s.ruleArn !== undefined);
    expect(again.ruleArn).toBe(first.ruleArn);
    await vi.waitFor(async () => { expect(await w.weights(20)).toEqual({ blue: 100 }); });
    expect(await w.weights(10)).toBeUndefined();
  });

  it('with cleanupOnDelete deletes its rule first, and keeps the Cell (and the rule) while AWS cannot be read', async () => {
    const w = await world();
    await w.targetGroup('blue', '1.0.0');
    await w.start();
    await w.cell('web', { ...canary3, cleanupOnDelete: true });
    await w.waitForStatus('web', (s) => s.phase === 'Completed');
    await vi.waitFor(async () => { expect((await w.client.get<Cell>(CellType, 'web', w.namespace))?.metadata.finalizers).toEqual([CLEANUP_FINALIZER]); });

    w.rules.failReads = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    await w.client.delete(CellType, { name: 'web', namespace: w.namespace });
    await vi.waitFor(() => { expect(w.events.memory.events.filter((e) => e.reason === 'CleanupFailed').length).toBeGreaterThanOrEqual(2); }, { timeout: 20_000, interval: 50 });
    expect(await w.client.get(CellType, 'web', w.namespace)).toBeDefined();
    expect(await w.weights()).toEqual({ blue: 100 });

    w.rules.failReads = undefined;
    await gone(w, 'web');
    expect(await w.weights()).toBeUndefined();
    expect(w.eventReasons('web').slice(-1)).toEqual(['RuleDeleted']);
  });
});
