// When `okractl watch` ends and with which exit code, when a plain (non-terminal) frame is new, and the
// options its flags give (a default timeout included).
import { describe, expect, it } from 'vitest';
import type { Cell, CellStatus } from '../../api/v1alpha1/cell.js';
import type { BlockedVersion } from '../../api/v1alpha1/versionblocklist.js';
import { asked, follow } from '../followed.js';
import { okractlProgram } from './program.js';
import { frameKey, watchOptions, watchVerdict, type WatchFlags, type WatchOptions, type WatchVerdict } from './watch.js';

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
    expect(watchVerdict(aCell(status), follow(asked(version), status))).toEqual(want);
  });

  it('ignores a status computed before the latest spec change', () => {
    expect(watchVerdict(aCell({ phase: 'Completed' }, 2))).toEqual({ done: false });
  });

  it('waits for weights written but not yet read back (an abort is Degraded before traffic is back)', () => {
    const pendingWeights = { targetGroups: [{ arn: 'a', weight: 100 }], requestedAt: '2026-01-01T00:00:00Z' };
    expect(watchVerdict(aCell({ phase: 'Degraded', pendingWeights }))).toEqual({ done: false });
  });
});

/**
 * What a watch started with `forVersion` says after each status in turn (as its loop feeds them, the
 * blocklist as read at that point): the first verdict that ends it, with its index, or the last one.
 */
function watched(statuses: readonly (CellStatus | [CellStatus, BlockedVersion[]])[], forVersion?: string): WatchVerdict & { at: number } {
  let followed = asked(forVersion);
  let verdict: WatchVerdict = { done: false };
  for (const [at, step] of statuses.entries()) {
    const [status, blocklist] = Array.isArray(step) ? step : [step, []];
    followed = follow(followed, status);
    verdict = watchVerdict(aCell(status), followed, blocklist);
    if (verdict.done) return { ...verdict, at };
  }
  return { ...verdict, at: statuses.length - 1 };
}

// The statuses the Cell controller writes (src/controllers/cell/decide.ts) when 1.0.0 is stable.
const completed1 = { phase: 'Completed', reason: 'Completed', message: '1.0.0 serves 100% on 1 target group(s)', desiredVersion: '1.0.0', stableVersion: '1.0.0' } as const;
const paused2 = { phase: 'Paused', reason: 'WaitingForPromotion', message: 'step 2/3: paused until promoted', desiredVersion: '2.0.0', stableVersion: '1.0.0' } as const;
const completed2 = { phase: 'Completed', reason: 'Completed', message: '2.0.0 serves 100% on 1 target group(s)', desiredVersion: '2.0.0', stableVersion: '2.0.0' } as const;
const aborted2 = { phase: 'Degraded', reason: 'RolloutAborted', message: 'rolled back 2.0.0 to 1.0.0: AnalysisRun web-1 Failed', desiredVersion: '2.0.0', stableVersion: '1.0.0', abort: true } as const;
/** spec.version pins 2.0.0 and it is blocklisted: stable holds 100% and desiredVersion stays. */
const pinnedBlocked2 = { phase: 'Pending', reason: 'VersionBlocked', message: 'version 2.0.0 is in the VersionBlocklist (bad build); remove it with okractl unblock to roll it out', desiredVersion: '2.0.0', stableVersion: '1.0.0' } as const;
const superseded = { phase: 'Progressing', reason: 'WaitingForGate', message: 'rollout of 2.0.0 superseded: 3.0.0 starts its steps against stable 1.0.0', desiredVersion: '3.0.0', stableVersion: '1.0.0' } as const;
const rolling3 = { phase: 'Progressing', reason: 'WaitingForGate', message: 'step 1/3', desiredVersion: '3.0.0', stableVersion: '2.0.0' } as const;
const blocked2: BlockedVersion[] = [{ version: '2.0.0', cause: 'bad build' }];

describe('watchVerdict over a rollout: the version in flight (or --for-version) decides', () => {
  it.each<[string, (CellStatus | [CellStatus, BlockedVersion[]])[], string | undefined, WatchVerdict & { at: number }]>([
    ['the version in flight completes → 0', [paused2, completed2], undefined, { done: true, code: 0, message: 'cell/web Completed: 2.0.0 serves 100% on 1 target group(s)', at: 1 }],
    ['aborted by analysis → 2', [paused2, aborted2], undefined, { done: true, code: 2, message: 'cell/web Degraded: rolled back 2.0.0 to 1.0.0: AnalysisRun web-1 Failed', at: 1 }],
    [
      'blocklisted in flight: the Cell is Completed back on 1.0.0 → 2, naming the cause',
      [paused2, [completed1, blocked2]],
      undefined,
      { done: true, code: 2, message: 'cell/web 2.0.0 did not complete: it is in the VersionBlocklist (bad build); the Cell is back on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))', at: 1 },
    ],
    [
      'its target groups gone: the Cell is Completed back on 1.0.0 → 2',
      [paused2, completed1],
      undefined,
      { done: true, code: 2, message: 'cell/web 2.0.0 did not complete: the Cell is back on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))', at: 1 },
    ],
    [
      'pinned by spec.version and blocklisted: Pending VersionBlocked on stable → 2',
      [paused2, pinnedBlocked2],
      undefined,
      { done: true, code: 2, message: 'cell/web 2.0.0 did not complete: the Cell is back on 1.0.0 (Pending: version 2.0.0 is in the VersionBlocklist (bad build); remove it with okractl unblock to roll it out)', at: 1 },
    ],
    [
      'superseded by a newer version before completing → 2 at once',
      [paused2, superseded],
      undefined,
      { done: true, code: 2, message: 'cell/web 2.0.0 did not complete: the Cell now rolls out 3.0.0 (Progressing: rollout of 2.0.0 superseded: 3.0.0 starts its steps against stable 1.0.0)', at: 1 },
    ],
    ['completed, and the next version started before the watch looked again → 0', [paused2, rolling3], undefined, { done: true, code: 0, message: 'cell/web Completed: 2.0.0 is stable; the Cell now rolls out 3.0.0 (Progressing: step 1/3)', at: 1 }],
    ['nothing in flight: the Completed Cell ends the watch at once → 0', [completed1], undefined, { done: true, code: 0, message: 'cell/web Completed: 1.0.0 serves 100% on 1 target group(s)', at: 0 }],
    [
      'a version that shows after the watch started (status older than the spec at first) is followed too',
      [{ ...completed1, observedGeneration: 0 }, paused2, completed1],
      undefined,
      { done: true, code: 2, message: 'cell/web 2.0.0 did not complete: the Cell is back on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))', at: 2 },
    ],
    ['--for-version not yet appeared: keeps waiting on the old Completed', [completed1, completed1, completed1], '2.0.0', { done: false, at: 2 }],
    ['--for-version not yet appeared, then rolled out to Completed → 0', [completed1, paused2, completed2], '2.0.0', { done: true, code: 0, message: 'cell/web Completed: 2.0.0 serves 100% on 1 target group(s)', at: 2 }],
    [
      '--for-version appeared, then blocklisted → 2 as soon as the Cell is back',
      [completed1, paused2, [completed1, blocked2]],
      '2.0.0',
      { done: true, code: 2, message: 'cell/web 2.0.0 did not complete: it is in the VersionBlocklist (bad build); the Cell is back on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))', at: 2 },
    ],
    [
      '--for-version blocklisted before the watch ever saw it → 2 at once, not a timeout',
      [completed1, [completed1, blocked2]],
      '2.0.0',
      { done: true, code: 2, message: 'cell/web 2.0.0 will not roll out: it is in the VersionBlocklist (bad build); the Cell stays on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))', at: 1 },
    ],
    ['--for-version aborted before the watch started → 2', [aborted2], '2.0.0', { done: true, code: 2, message: 'cell/web Degraded: rolled back 2.0.0 to 1.0.0: AnalysisRun web-1 Failed', at: 0 }],
    ['--for-version: an older version aborted is not its outcome', [aborted2], '3.0.0', { done: false, at: 0 }],
  ])('%s', (_name, statuses, forVersion, want) => {
    expect(watched(statuses, forVersion)).toEqual(want);
  });

  it('waits while the controller moves traffic back (weights not yet read back) before saying the version did not complete', () => {
    const pendingWeights = { targetGroups: [{ arn: 'a', weight: 100 }], requestedAt: '2026-01-01T00:00:00Z' };
    expect(watched([paused2, { ...completed1, phase: 'Progressing', reason: 'ApplyingWeights', pendingWeights }])).toEqual({ done: false, at: 1 });
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

  it('refuses --interval 0, which would poll the API server in a busy loop', () => {
    expect(() => watchOptions({ timeout: '30m', interval: '0' })).toThrow('--interval "0" must be longer than 0 (for example 500ms, 1s)');
    expect(() => watchOptions({ timeout: '30m', interval: '0s' })).toThrow('must be longer than 0');
  });

  it('refuses a --for-version that no Cell version can equal', () => {
    expect(() => watchOptions({ timeout: '30m', interval: '1s', forVersion: 'v2.0.0' })).toThrow('--for-version "v2.0.0" is not a strict semantic version (for example 2.0.0)');
  });
});
