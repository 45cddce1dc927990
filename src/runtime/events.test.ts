import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/client.js';
import { BackgroundEventRecorder, type EventInput, type TimedEventRecorder } from './events.js';
import { silentLogger } from './log.js';

/** A sink whose sends finish only when the test says so. */
class GatedSink implements TimedEventRecorder {
  readonly started: { reason: string; at: Date }[] = [];
  readonly objects: KubeObject[] = [];
  readonly sent: string[] = [];
  private releases: (() => void)[] = [];

  record(obj: KubeObject, event: EventInput): Promise<void> {
    return this.recordAt(obj, event, new Date());
  }

  recordAt(obj: KubeObject, event: EventInput, at: Date): Promise<void> {
    this.started.push({ reason: event.reason, at });
    this.objects.push(obj);
    return new Promise((resolve) => {
      this.releases.push(() => {
        this.sent.push(event.reason);
        resolve();
      });
    });
  }

  /** Finishes the oldest send in flight. */
  async releaseOne(): Promise<void> {
    this.releases.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }

  get inFlight(): number {
    return this.releases.length;
  }
}

const cell: KubeObject = { apiVersion: 'okra.mumo.co/v1alpha1', kind: 'Cell', metadata: { name: 'a', namespace: 'ns' } };
const event = (reason: string): EventInput => ({ type: 'Normal', reason, message: reason });

describe('BackgroundEventRecorder', () => {
  it('returns before the Event is sent, and sends one at a time in the order recorded with one sender', async () => {
    const sink = new GatedSink();
    const recorder = new BackgroundEventRecorder(sink, silentLogger(), { senders: 1 });
    await recorder.record(cell, event('First'));
    await recorder.record(cell, event('Second'));
    await recorder.record(cell, event('Third'));
    expect(sink.inFlight).toBe(1);
    await sink.releaseOne();
    expect(sink.inFlight).toBe(1);
    await sink.releaseOne();
    await sink.releaseOne();
    expect(sink.sent).toEqual(['First', 'Second', 'Third']);
  });

  it('sends no more Events at once than it has senders', async () => {
    const sink = new GatedSink();
    const recorder = new BackgroundEventRecorder(sink, silentLogger(), { senders: 2 });
    for (const reason of ['A', 'B', 'C', 'D']) await recorder.record(cell, event(reason));
    expect(sink.inFlight).toBe(2);
    await sink.releaseOne();
    expect(sink.inFlight).toBe(2);
    for (let i = 0; i < 3; i++) await sink.releaseOne();
    expect(sink.sent.sort()).toEqual(['A', 'B', 'C', 'D']);
  });

  it('keeps only the reference of the involved object, not the object', async () => {
    const sink = new GatedSink();
    const recorder = new BackgroundEventRecorder(sink, silentLogger());
    await recorder.record({ ...cell, metadata: { ...cell.metadata, uid: 'u1', labels: { a: 'b' } }, spec: { big: true } } as KubeObject, event('A'));
    expect(sink.objects[0]).toEqual({ apiVersion: 'okra.mumo.co/v1alpha1', kind: 'Cell', metadata: { name: 'a', namespace: 'ns', uid: 'u1', resourceVersion: undefined } });
  });

  it('stamps each Event with the time it was recorded, not the time it was sent', async () => {
    const sink = new GatedSink();
    const recorder = new BackgroundEventRecorder(sink, silentLogger());
    await recorder.record(cell, event('First'));
    await recorder.record(cell, event('Second'));
    const recordedBy = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sink.releaseOne();
    expect(sink.started[1]?.at.getTime()).toBeLessThanOrEqual(recordedBy);
  });

  it('drops Events beyond its queue instead of growing without bound, and takes new ones once drained', async () => {
    const sink = new GatedSink();
    const recorder = new BackgroundEventRecorder(sink, silentLogger(), { maxQueued: 2, senders: 1 });
    for (const reason of ['A', 'B', 'C', 'D']) await recorder.record(cell, event(reason));
    // A is being sent; B and C fill the queue; D is dropped.
    for (let i = 0; i < 3; i++) await sink.releaseOne();
    await recorder.record(cell, event('E'));
    await sink.releaseOne();
    expect(sink.sent).toEqual(['A', 'B', 'C', 'E']);
  });

  it('flush waits for the queue to drain, but no longer than its timeout', async () => {
    const sink = new GatedSink();
    const recorder = new BackgroundEventRecorder(sink, silentLogger());
    await recorder.flush(10);
    await recorder.record(cell, event('Stuck'));
    const started = Date.now();
    await recorder.flush(50);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(sink.sent).toEqual([]);
    const flushed = recorder.flush(5_000);
    await sink.releaseOne();
    await flushed;
    expect(sink.sent).toEqual(['Stuck']);
  });
});
