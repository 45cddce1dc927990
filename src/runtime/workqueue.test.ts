import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_DELAY_MS, WorkQueue, type WorkQueueOptions } from './workqueue.js';

describe('WorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds a key once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands a key in progress to a second worker, and requeues it once when it was added meanwhile', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0);
    const second = q.get();
    let handedOut = false;
    void second.then(() => (handedOut = true));
    await Promise.resolve();
    expect(handedOut).toBe(false);
    q.done(first!);
    expect(await second).toBe('a');
    q.done('a');
    expect(q.length).toBe(0);
  });

  it('backs off exponentially per key and forget() resets it', () => {
    const q = new WorkQueue({ backoff: { baseMs: 100, maxMs: 1000 } });
    expect([q.addRateLimited('a'), q.addRateLimited('a'), q.addRateLimited('a'), q.addRateLimited('a'), q.addRateLimited('a')]).toEqual([
      100, 200, 400, 800, 1000,
    ]);
    expect(q.addRateLimited('b')).toBe(100);
    q.forget('a');
    expect(q.addRateLimited('a')).toBe(100);
  });

  it('caps one key\'s backoff where the caller asks, below the queue\'s own cap', () => {
    const q = new WorkQueue({ backoff: { baseMs: 100, maxMs: 1000 } });
    expect([q.addRateLimited('a', undefined, 300), q.addRateLimited('a', undefined, 300), q.addRateLimited('a', undefined, 300)]).toEqual([100, 200, 300]);
    expect(q.addRateLimited('b', undefined, 5000)).toBe(100);
    q.shutdown();
  });

  it('keeps the earliest addAfter deadline for a key', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 5000);
    q.addAfter('a', 1000);
    q.addAfter('a', 3000);
    vi.advanceTimersByTime(999);
    expect(q.length).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    vi.advanceTimersByTime(10_000);
    expect(q.length).toBe(0);
  });

  it('hands out normal keys before low ones, each lane in arrival order', async () => {
    const q = new WorkQueue();
    q.add('resync-1', 'low');
    q.add('change-1');
    q.add('resync-2', 'low');
    q.add('change-2');
    const order: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) order.push(await q.get());
    expect(order).toEqual(['change-1', 'change-2', 'resync-1', 'resync-2']);
  });

  it('raises a waiting low key when it is added as normal, and never lowers a normal one', async () => {
    const q = new WorkQueue();
    q.add('a', 'low');
    q.add('b');
    q.add('a');
    q.add('c');
    q.add('b', 'low');
    expect(q.length).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['b', 'a', 'c']);
  });

  it('keeps the higher priority for a key added while it is being processed', async () => {
    const q = new WorkQueue();
    q.add('a');
    expect(await q.get()).toBe('a');
    q.add('a', 'low');
    q.add('a');
    q.add('z', 'low');
    q.done('a');
    expect(await q.get()).toBe('a');
  });

  it('hands out a low key that waited too long even while normal keys keep coming', async () => {
    const q = new WorkQueue({ maxLowPriorityWaitMs: 1000 });
    q.add('check', 'low');
    q.add('n1');
    expect(await q.get()).toBe('n1');
    vi.advanceTimersByTime(1000);
    q.add('n2');
    expect(await q.get()).toBe('check');
    expect(await q.get()).toBe('n2');
  });

  it('fires a collapsed addAfter at the earliest deadline with the higher priority', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 100, 'low');
    q.addAfter('a', 500);
    q.addAfter('b', 100, 'low');
    vi.advanceTimersByTime(100);
    q.add('c');
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'c', 'b']);
  });

  /** Starts a get() and reports whether it has been handed a key yet. */
  function pending(q: WorkQueue): { readonly key: string | undefined; readonly settled: boolean } {
    const state: { key: string | undefined; settled: boolean } = { key: undefined, settled: false };
    void q.get().then((key) => {
      state.key = key;
      state.settled = true;
    });
    return state;
  }

  /** A queue with a low share of 1, processing `change` and the low `check1`; the low `check2` waits. */
  async function busyQueue(options: WorkQueueOptions = {}): Promise<WorkQueue> {
    const q = new WorkQueue({ maxLowPriorityInFlight: 1, ...options });
    q.add('change');
    q.add('check1', 'low');
    q.add('check2', 'low');
    expect([await q.get(), await q.get()]).toEqual(['change', 'check1']);
    return q;
  }

  it('runs at most maxLowPriorityInFlight low keys beside a normal one, and the next when one is done', async () => {
    const q = await busyQueue();
    const worker = pending(q);
    await Promise.resolve();
    expect(worker.settled).toBe(false);
    q.done('check1');
    await Promise.resolve();
    expect(worker.key).toBe('check2');
  });

  it('hands a held-back low key out once no normal key is processed any more', async () => {
    const q = await busyQueue();
    const worker = pending(q);
    q.done('change');
    await Promise.resolve();
    expect(worker.key).toBe('check2');
  });

  it('does not limit low keys while no normal key is processed', async () => {
    const q = new WorkQueue({ maxLowPriorityInFlight: 1 });
    for (const key of ['r1', 'r2', 'r3']) q.add(key, 'low');
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['r1', 'r2', 'r3']);
  });

  it('hands a held-back low key to an idle worker at once when it is added as normal', async () => {
    const q = await busyQueue();
    const worker = pending(q);
    q.add('check2');
    await Promise.resolve();
    expect(worker.key).toBe('check2');
  });

  it('hands out a held-back low key that waited too long, beyond the share', async () => {
    const q = await busyQueue({ maxLowPriorityWaitMs: 1000 });
    vi.advanceTimersByTime(1000);
    q.add('change2');
    expect(await q.get()).toBe('check2');
  });

  it('releases waiting workers on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutdown();
    expect(await waiting).toBeUndefined();
    q.add('a');
    expect(q.length).toBe(0);
  });

  it('hands out nothing after shutdown, even keys still waiting, and again after reopen', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.shutdown();
    expect(await q.get()).toBeUndefined();
    q.reopen();
    expect(await q.get()).toBe('a');
    q.add('c');
    expect(await q.get()).toBe('b');
    expect(await q.get()).toBe('c');
  });

  it('waits out a delay longer than a Node timer can hold instead of firing at once', async () => {
    // Real timers: with fake ones the overflow (a delay above 2^31-1 ms fires after 1 ms) never shows.
    vi.useRealTimers();
    const q = new WorkQueue();
    q.addAfter('pause', 30 * 24 * 3600 * 1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(q.length).toBe(0);
    q.shutdown();
  });

  it('fires a long delay at the longest a timer holds; the pass then asks again for what is left', async () => {
    const q = new WorkQueue();
    q.addAfter('pause', MAX_TIMER_DELAY_MS * 2);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS - 1);
    expect(q.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(await q.get()).toBe('pause');
  });
});
