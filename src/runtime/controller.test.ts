import { describe, expect, it, vi } from 'vitest';
import { KubeApiError } from '../kube/errors.js';
import { Controller, type ReconcileOutcome, lowPriorityShare } from './controller.js';
import { PartialFailureError, TerminalError, WaitingError } from './errors.js';
import { silentLogger } from './log.js';

/** Runs a controller whose reconcile follows `script` (one entry per call) and records outcomes. */
function harness(script: (() => Promise<unknown>)[]) {
  const outcomes: ReconcileOutcome[] = [];
  const calls: number[] = [];
  const controller = new Controller({
    name: 'test',
    log: silentLogger(),
    workers: 2,
    backoff: { baseMs: 20, maxMs: 1000 },
    conflictRetryMs: 5,
    metrics: { reconciled: (_c, o) => outcomes.push(o), queueDepth: () => undefined },
    reconcile: async () => {
      calls.push(Date.now());
      const step = script[calls.length - 1];
      return (await step?.()) as undefined;
    },
  });
  return { controller, outcomes, calls };
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));
const outcomesReach = (outcomes: ReconcileOutcome[], n: number) =>
  vi.waitFor(() => { expect(outcomes.length).toBeGreaterThanOrEqual(n); }, { timeout: 5000, interval: 5 });

describe('Controller outcome handling', () => {
  it('retries a transient failure with growing backoff, then stops after success', async () => {
    const boom = () => Promise.reject(new Error('network down'));
    const h = harness([boom, boom, boom, () => Promise.resolve()]);
    h.controller.start();
    h.controller.enqueue('ns/a');
    await outcomesReach(h.outcomes, 4);
    await h.controller.stop();
    expect(h.outcomes).toEqual(['error', 'error', 'error', 'success']);
    const gaps = h.calls.slice(1).map((t, i) => t - h.calls[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[1]).toBeGreaterThanOrEqual(38);
    expect(gaps[2]).toBeGreaterThanOrEqual(78);
  });

  it('retries a partial failure with backoff, but never later than the interval it names', async () => {
    const partly = () => Promise.reject(new PartialFailureError('DescribeCluster legacy in us-east-1: AccessDenied', 40));
    const h = harness([partly, partly, partly, partly, partly, () => Promise.resolve()]);
    h.controller.start();
    h.controller.enqueue('ns/a');
    await outcomesReach(h.outcomes, 6);
    await h.controller.stop();
    expect(h.outcomes).toEqual(['error', 'error', 'error', 'error', 'error', 'success']);
    // Uncapped, the fifth retry would wait 320 ms (20 ms doubling).
    const gaps = h.calls.slice(1).map((t, i) => t - h.calls[i]!);
    expect(gaps[4]).toBeLessThan(200);
  });

  it('does not retry a terminal error', async () => {
    const h = harness([() => Promise.reject(new TerminalError('spec.replicas must be at least 1'))]);
    h.controller.start();
    h.controller.enqueue('ns/a');
    await outcomesReach(h.outcomes, 1);
    // The backoff base is 20 ms: a retry would have happened within this window.
    await settle(150);
    await h.controller.stop();
    expect(h.outcomes).toEqual(['terminal']);
  });

  it('requeues a waiting error after its own delay, without backoff', async () => {
    const wait = () => Promise.reject(new WaitingError('cluster unreachable', 30));
    const h = harness([wait, wait, () => Promise.resolve()]);
    h.controller.start();
    h.controller.enqueue('ns/a');
    await outcomesReach(h.outcomes, 3);
    await h.controller.stop();
    expect(h.outcomes).toEqual(['waiting', 'waiting', 'success']);
  });

  it('retries a 409 conflict promptly, and later and later while it repeats (a stale cache)', async () => {
    const conflict = () => Promise.reject(new KubeApiError(409, 'Conflict', 'the object has been modified'));
    const h = harness([conflict, conflict, conflict, conflict, () => Promise.resolve()]);
    h.controller.start();
    h.controller.enqueue('ns/a');
    await outcomesReach(h.outcomes, 5);
    await h.controller.stop();
    expect(h.outcomes).toEqual(['conflict', 'conflict', 'conflict', 'conflict', 'success']);
    // conflictRetryMs is 5: the retries wait 5, 10, 20 and 40 ms.
    const gaps = h.calls.slice(1).map((t, i) => t - h.calls[i]!);
    expect(gaps[0]).toBeLessThan(100);
    expect(gaps[3]).toBeGreaterThanOrEqual(38);
  });

  it('stops at once: keys still queued are not reconciled after stop(), and a restart serves them', async () => {
    let release = (): void => undefined;
    const gate = new Promise<undefined>((resolve) => { release = () => { resolve(undefined); }; });
    const names: string[] = [];
    const controller = new Controller({
      name: 'test',
      log: silentLogger(),
      workers: 1,
      reconcile: async ({ name }) => {
        names.push(name);
        return name === 'first' ? gate : undefined;
      },
    });
    controller.start();
    for (const name of ['first', 'second', 'third']) controller.enqueue(`ns/${name}`);
    await vi.waitFor(() => { expect(names).toEqual(['first']); });
    const stopped = controller.stop();
    release();
    await stopped;
    expect(names).toEqual(['first']);

    controller.start();
    await vi.waitFor(() => { expect(names).toEqual(['first', 'second', 'third']); });
    await controller.stop();
  });

  it('requeues after requeueAfterMs when the reconcile asks', async () => {
    const h = harness([() => Promise.resolve({ requeueAfterMs: 20 }), () => Promise.resolve()]);
    h.controller.start();
    h.controller.enqueue('ns/a');
    await outcomesReach(h.outcomes, 2);
    await h.controller.stop();
    expect(h.outcomes).toEqual(['requeue', 'success']);
  });

  it('serves a change before a low-priority requeue that was queued earlier', async () => {
    const order: string[] = [];
    let release = (): void => undefined;
    const slowDone = new Promise<void>((resolve) => { release = resolve; });
    const controller = new Controller({
      name: 'test',
      log: silentLogger(),
      workers: 1,
      reconcile: async ({ key }) => {
        order.push(key);
        if (key === 'ns/check' && order.length === 1) return { requeueAfterMs: 100, requeueLowPriority: true };
        if (key === 'ns/slow') await slowDone;
        return undefined;
      },
    });
    controller.start();
    controller.enqueue('ns/check');
    await vi.waitFor(() => { expect(order).toEqual(['ns/check']); }, { interval: 1 });
    controller.enqueue('ns/slow');
    await vi.waitFor(() => { expect(order).toEqual(['ns/check', 'ns/slow']); }, { interval: 1 });
    // The only worker is busy; the check's requeue timer (100 ms) fires during this wait.
    await settle(200);
    controller.enqueue('ns/change');
    release();
    await vi.waitFor(() => { expect(order).toHaveLength(4); });
    await controller.stop();
    expect(order).toEqual(['ns/check', 'ns/slow', 'ns/change', 'ns/check']);
  });
});

describe('lowPriorityShare', () => {
  it.each([
    [1, 1],
    [2, 1],
    [4, 1],
    [8, 2],
    [16, 4],
  ])('%i workers leave %i to resyncs and read-backs during a burst', (workers, share) => {
    expect(lowPriorityShare(workers)).toBe(share);
  });
});
