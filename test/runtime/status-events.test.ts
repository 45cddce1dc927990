// Status is patched only when it changed and never over a concurrent change; Events reach the apiserver
// attached to their object.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreTypes } from '../../src/api/resource.js';
import { PauseType, type Pause } from '../../src/api/v1alpha1/pause.js';
import type { KubeObject } from '../../src/kube/client.js';
import { isConflict } from '../../src/kube/errors.js';
import { BackgroundEventRecorder, KubeEventRecorder } from '../../src/runtime/events.js';
import { silentLogger } from '../../src/runtime/log.js';
import { patchStatusIfChanged } from '../../src/runtime/status.js';
import { managementClient } from '../support/env.js';
import { createNamespace, deleteNamespace } from '../support/namespaces.js';

const client = managementClient();
let ns: string;
beforeAll(async () => {
  ns = await createNamespace(client, 'status');
});
afterAll(async () => {
  await deleteNamespace(client, ns);
});

async function newPause(name: string): Promise<Pause> {
  return client.create<Pause>(PauseType, {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'Pause',
    metadata: { name, namespace: ns },
    spec: { expireTime: '2030-01-01T00:00:00Z' },
  });
}

describe('patchStatusIfChanged', () => {
  it('writes a changed status, skips an unchanged one, and refuses to overwrite a concurrent change', async () => {
    const pause = await newPause('p1');
    expect((await patchStatusIfChanged(client, PauseType, pause, { phase: 'Started', message: 'waiting' }))?.status).toEqual({ phase: 'Started', message: 'waiting' });
    const afterFirst = (await client.get<Pause>(PauseType, 'p1', ns))!;
    expect(afterFirst.status).toEqual({ phase: 'Started', message: 'waiting' });

    expect(await patchStatusIfChanged(client, PauseType, afterFirst, { phase: 'Started', message: 'waiting' })).toBeUndefined();
    const unchanged = (await client.get<Pause>(PauseType, 'p1', ns))!;
    expect(unchanged.metadata.resourceVersion).toBe(afterFirst.metadata.resourceVersion);

    // Computed from `pause` (stale): the first write moved the resourceVersion on.
    const err = await patchStatusIfChanged(client, PauseType, pause, { phase: 'Expired' }).catch((e: unknown) => e);
    expect(isConflict(err)).toBe(true);
    expect((await client.get<Pause>(PauseType, 'p1', ns))!.status?.phase).toBe('Started');

    expect((await patchStatusIfChanged(client, PauseType, unchanged, { phase: 'Expired' }))?.status?.phase).toBe('Expired');
    expect((await client.get<Pause>(PauseType, 'p1', ns))!.status).toEqual({ phase: 'Expired' });
  });
});

describe('KubeEventRecorder', () => {
  it('records an Event on the object that kubectl describe would show', async () => {
    const pause = await newPause('p2');
    await new KubeEventRecorder(client, 'okra-test', silentLogger()).record(
      { ...pause, apiVersion: 'okra.mumo.co/v1alpha1', kind: 'Pause' },
      { type: 'Warning', reason: 'AnalysisFailed', message: 'error rate 0.2 above 0.05' },
    );
    const events = await client.list<KubeObject & { reason?: string; message?: string; type?: string; involvedObject?: { uid?: string; kind?: string } }>(
      CoreTypes.event,
      { namespace: ns, fieldSelector: 'involvedObject.name=p2' },
    );
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      type: 'Warning',
      reason: 'AnalysisFailed',
      message: 'error rate 0.2 above 0.05',
      involvedObject: { uid: pause.metadata.uid, kind: 'Pause' },
    });
  });
});

describe('BackgroundEventRecorder', () => {
  it('delivers queued Events to the apiserver, each with the time it was recorded', async () => {
    const pause = await newPause('p3');
    const recorder = new BackgroundEventRecorder(new KubeEventRecorder(client, 'okra-test', silentLogger()), silentLogger());
    const object = { ...pause, apiVersion: 'okra.mumo.co/v1alpha1', kind: 'Pause' };
    const recordedAt = new Date();
    for (const reason of ['StepCompleted', 'RolloutCompleted']) await recorder.record(object, { type: 'Normal', reason, message: reason });
    await recorder.flush(10_000);
    const events = await client.list<KubeObject & { reason?: string; firstTimestamp?: string; involvedObject?: { uid?: string } }>(CoreTypes.event, {
      namespace: ns,
      fieldSelector: 'involvedObject.name=p3',
    });
    expect(events.items.map((e) => e.reason).sort()).toEqual(['RolloutCompleted', 'StepCompleted']);
    for (const e of events.items) {
      expect(e.involvedObject?.uid).toBe(pause.metadata.uid);
      // metav1.Time keeps whole seconds.
      expect(Math.abs(Date.parse(e.firstTimestamp ?? '') - recordedAt.getTime())).toBeLessThan(2_000);
    }
  });
});
