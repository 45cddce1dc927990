// When `okractl watch` ends and with which exit code, when a plain (non-terminal) frame is new, and the
// options its flags give (a default timeout included).
import { describe, expect, it } from 'vitest';
import type { Cell, CellStatus } from '../../api/v1alpha1/cell.js';
import { okractlProgram } from './program.js';
import { frameKey, watchOptions, watchVerdict, type WatchFlags, type WatchOptions } from './watch.js';

function aCell(status: CellStatus, generation = 1): Cell {
  return { metadata: { name: 'web', namespace: 'prod', generation }, spec: { ingress: {} }, status: { observedGeneration: 1, ...status } };
}

describe('watchVerdict', () => {
  it.each([
    ['Completed', { phase: 'Completed', message: '2.0.0 serves 100%', desiredVersion: '2.0.0' }, undefined, { done: true, code: 0, message: 'cell/web Completed: 2.0.0 serves 100%' }],
    ['Degraded', { phase: 'Degraded', message: 'aborted by okractl abort', desiredVersion: '2.0.0' }, undefined, { done: true, code: 2, message: 'cell/web Degraded: aborted by okractl abort' }],
    ['InvalidSpec', { phase: 'InvalidSpec', message: 'bad step' }, undefined, { done: true, code: 4, message: 'cell/web has an invalid spec: bad step' }],
    ['InvalidSpec, even when waiting for another version', { phase: 'InvalidSpec', message: 'bad step', desiredVersion: '1.0.0' }, '2.0.0', { done: true, code: 4, message: 'cell/web has an invalid spec: bad step' }],
    ['Progressing', { phase: 'Progressing' }, undefined, { done: false }],
    ['Paused (waiting for promote)', { phase: 'Paused' }, undefined, { done: false }],
    ['Pending', { phase: 'Pending' }, undefined, { done: false }],
    ['no phase yet', {}, undefined, { done: false }],
    ['Completed on the previous version while waiting for 2.0.0', { phase: 'Completed', desiredVersion: '1.0.0' }, '2.0.0', { done: false }],
    ['Completed on the version waited for', { phase: 'Completed', message: 'm', desiredVersion: '2.0.0' }, '2.0.0', { done: true, code: 0, message: 'cell/web Completed: m' }],
  ] as const)('%s', (_name, status, version, want) => {
    expect(watchVerdict(aCell(status), version)).toEqual(want);
  });

  it('ignores a status computed before the latest spec change', () => {
    expect(watchVerdict(aCell({ phase: 'Completed' }, 2))).toEqual({ done: false });
  });

  it('waits for weights written but not yet read back (an abort is Degraded before traffic is back)', () => {
    const pendingWeights = { targetGroups: [{ arn: 'a', weight: 100 }], requestedAt: '2026-01-01T00:00:00Z' };
    expect(watchVerdict(aCell({ phase: 'Degraded', pendingWeights }))).toEqual({ done: false });
  });
});

describe('frameKey', () => {
  const snapshot = (status: CellStatus) => ({ cell: aCell(status), gates: [], events: [] });
  it('ignores lastSyncTime', () => {
    expect(frameKey(snapshot({ phase: 'Paused', lastSyncTime: '2026-01-01T00:00:00Z' }))).toBe(frameKey(snapshot({ phase: 'Paused', lastSyncTime: '2026-01-01T00:00:05Z' })));
  });
  it('changes with anything shown', () => {
    expect(frameKey(snapshot({ phase: 'Paused' }))).not.toBe(frameKey(snapshot({ phase: 'Progressing' })));
    expect(frameKey(snapshot({ canaryWeight: 20 }))).not.toBe(frameKey(snapshot({ canaryWeight: 50 })));
  });
});

describe('watch cell flags', () => {
  /** The options the registered command would watch with, for these arguments. */
  async function parsed(...args: string[]): Promise<WatchOptions> {
    const program = okractlProgram('okractl');
    const cell = program.commands.find((c) => c.name() === 'watch')?.commands.find((c) => c.name() === 'cell');
    let got: WatchOptions | undefined;
    cell?.action((_name: string, flags: WatchFlags) => { got = watchOptions(flags); });
    await program.parseAsync(['watch', 'cell', 'web', ...args], { from: 'user' });
    if (!got) throw new Error('watch cell did not run');
    return got;
  }

  it('gives up after 30m by default, so a Cell waiting for a promotion does not hold CI forever', async () => {
    expect(await parsed()).toEqual({ intervalMs: 1000, timeoutMs: 30 * 60_000, version: undefined });
  });

  it('takes --timeout, --interval and --for-version; --timeout 0 waits without limit', async () => {
    expect(await parsed('--timeout', '10m', '--interval', '2s', '--for-version', '2.0.0')).toEqual({ intervalMs: 2000, timeoutMs: 600_000, version: '2.0.0' });
    expect((await parsed('--timeout', '0')).timeoutMs).toBeUndefined();
  });

  it('refuses a timeout that is not a duration', () => {
    expect(() => watchOptions({ timeout: 'soon', interval: '1s' })).toThrow('--timeout "soon" is not a duration (for example 30s, 5m, 1h)');
  });
});
