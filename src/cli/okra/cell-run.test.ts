import { describe, expect, it } from 'vitest';
import type { CellStatus } from '../../api/v1alpha1/cell.js';
import type { BlockedVersion } from '../../api/v1alpha1/versionblocklist.js';
import type { CellPass } from '../../controllers/cell/reconciler.js';
import { TerminalError } from '../../runtime/errors.js';
import { CliError } from '../common.js';
import { driveCell, type CellDriver, type LoopOptions } from './cell-run.js';

/** A driver replaying passes; `undefined` entries throw a transient error. */
class ScriptedDriver implements CellDriver {
  passes = 0;
  blocked: BlockedVersion[] = [];
  constructor(
    private readonly script: (CellPass | Error)[],
    private readonly gateWaitMs?: number,
  ) {}
  blocklist(): readonly BlockedVersion[] {
    return this.blocked;
  }
  gates(): Promise<number | undefined> {
    return Promise.resolve(this.gateWaitMs);
  }
  pass(): Promise<CellPass> {
    const next = this.script[Math.min(this.passes++, this.script.length - 1)];
    if (next instanceof Error) return Promise.reject(next);
    return Promise.resolve(next ?? {});
  }
}

const pass = (status: CellStatus, requeueAfterMs?: number): CellPass => ({ decision: { status, events: [] }, ...(requeueAfterMs === undefined ? {} : { requeueAfterMs }) });

/** A fake clock the loop's sleeps move. */
function clock(): { opts: Pick<LoopOptions, 'now' | 'sleep'>; slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    opts: {
      now: () => t,
      sleep: (ms) => {
        slept.push(ms);
        t += ms;
        return Promise.resolve();
      },
    },
  };
}

async function drive(driver: CellDriver, opts: Partial<LoopOptions> = {}) {
  const c = clock();
  const lines: string[] = [];
  const finish = await driveCell(driver, { untilComplete: true, timeoutMs: 60_000, intervalMs: 2000, ...c.opts, ...opts }, (l) => lines.push(l));
  return { finish, lines, slept: c.slept };
}

describe('driveCell', () => {
  it('runs passes until Completed, printing a line only when the state changes, and honours requeues capped by the interval', async () => {
    const driver = new ScriptedDriver([
      pass({ phase: 'Progressing', message: 'step 1/2: applying 20% to 2.0.0' }, 500),
      pass({ phase: 'Progressing', message: 'step 2/2: paused for 5s' }, 5000),
      pass({ phase: 'Progressing', message: 'step 2/2: paused for 5s' }, 0),
      pass({ phase: 'Completed', message: '2.0.0 serves 100% on 1 target group(s)' }),
    ]);
    const { finish, lines, slept } = await drive(driver);
    expect(finish).toEqual({ code: 0, message: 'completed: 2.0.0 serves 100% on 1 target group(s)' });
    expect(lines).toEqual(['Progressing: step 1/2: applying 20% to 2.0.0', 'Progressing: step 2/2: paused for 5s', 'Completed: 2.0.0 serves 100% on 1 target group(s)']);
    expect(slept).toEqual([500, 2000, 0]);
  });

  it('wakes up for a gate that needs a look sooner than the pass asked', async () => {
    const driver = new ScriptedDriver([pass({ phase: 'Progressing', message: 'waiting' }, 30_000), pass({ phase: 'Completed', message: 'done' })], 300);
    expect((await drive(driver)).slept).toEqual([300]);
  });

  it('ends with 2 on a rollback and 4 on an invalid spec', async () => {
    expect((await drive(new ScriptedDriver([pass({ phase: 'Degraded', reason: 'RolloutAborted', message: 'rolled back 2.0.0 to 1.0.0' })]))).finish).toEqual({ code: 2, message: 'rolled back: rolled back 2.0.0 to 1.0.0' });
    expect((await drive(new ScriptedDriver([pass({ phase: 'InvalidSpec', message: 'spec.replicas must be at least 1 (got 0)' })]))).finish.code).toBe(4);
    expect((await drive(new ScriptedDriver([new TerminalError('metadata.name: bad')]))).finish).toEqual({ code: 4, message: 'invalid spec: metadata.name: bad' });
  });

  it('times out with 3 and the last state, sleeping no further than the deadline', async () => {
    const driver = new ScriptedDriver([pass({ phase: 'Paused', reason: 'WaitingForPromotion', message: 'step 2/2: paused until promoted' })]);
    const { finish, slept } = await drive(driver, { timeoutMs: 5000 });
    expect(finish).toEqual({ code: 3, message: 'timed out after 5s; the Cell is Paused: step 2/2: paused until promoted' });
    expect(slept).toEqual([2000, 2000, 1000]);
  });

  it('stops at a Paused Cell without --until-complete', async () => {
    const driver = new ScriptedDriver([pass({ phase: 'Paused', message: 'step 2/2: paused until promoted' })]);
    expect((await drive(driver, { untilComplete: false })).finish).toEqual({ code: 0, message: 'waiting (Paused): step 2/2: paused until promoted' });
  });

  it('retries a failed pass, then gives up after maxFailures in a row', async () => {
    const flaky = new ScriptedDriver([new Error('throttled'), pass({ phase: 'Completed', message: 'done' })]);
    const ok = await drive(flaky);
    expect(ok.finish.code).toBe(0);
    expect(ok.lines[0]).toBe('pass failed (1/5), retrying: throttled');

    const broken = new ScriptedDriver([new Error('no credentials')]);
    await expect(drive(broken, { maxFailures: 3 })).rejects.toThrow('no credentials');
    expect(broken.passes).toBe(3);
  });

  it('follows the version in flight: blocklisted, the Cell back on 1.0.0 Completed, it exits 2 saying so', async () => {
    const driver = new ScriptedDriver([
      pass({ phase: 'Progressing', message: 'step 1/2: applying 20% to 2.0.0', desiredVersion: '2.0.0', stableVersion: '1.0.0' }),
      pass({ phase: 'Completed', message: '1.0.0 serves 100% on 1 target group(s)', desiredVersion: '1.0.0', stableVersion: '1.0.0' }),
    ]);
    driver.blocked = [{ version: '2.0.0', cause: 'blocked by okractl block' }];
    expect((await drive(driver)).finish).toEqual({
      code: 2,
      message: '2.0.0 did not complete: it is in the VersionBlocklist (blocked by okractl block); the Cell is back on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))',
    });
  });

  it('follows a version in flight before the first pass: gone by then (its target groups deleted), it exits 2', async () => {
    const driver = new ScriptedDriver([pass({ phase: 'Completed', message: '1.0.0 serves 100% on 1 target group(s)', desiredVersion: '1.0.0', stableVersion: '1.0.0' })]);
    expect((await drive(driver, { followed: { version: '2.0.0', seen: true } })).finish).toEqual({
      code: 2,
      message: '2.0.0 did not complete: the Cell is back on 1.0.0 (Completed: 1.0.0 serves 100% on 1 target group(s))',
    });
  });

  it('with --for-version, waits through the previous version\'s Completed until that version completes', async () => {
    const completed1 = pass({ phase: 'Completed', message: '1.0.0 serves 100% on 1 target group(s)', desiredVersion: '1.0.0', stableVersion: '1.0.0' });
    const driver = new ScriptedDriver([completed1, completed1, pass({ phase: 'Completed', message: '2.0.0 serves 100% on 1 target group(s)', desiredVersion: '2.0.0', stableVersion: '2.0.0' })]);
    const { finish, slept } = await drive(driver, { followed: { version: '2.0.0', seen: false } });
    expect(finish).toEqual({ code: 0, message: 'completed: 2.0.0 serves 100% on 1 target group(s)' });
    expect(slept).toEqual([2000, 2000]);
  });

  it('with --for-version, times out (3) when the version never shows', async () => {
    const driver = new ScriptedDriver([pass({ phase: 'Completed', message: '1.0.0 serves 100% on 1 target group(s)', desiredVersion: '1.0.0', stableVersion: '1.0.0' })]);
    expect((await drive(driver, { followed: { version: '2.0.0', seen: false }, timeoutMs: 5000 })).finish.code).toBe(3);
  });

  it('fails with 5 when the Cell disappears', async () => {
    await expect(drive(new ScriptedDriver([{}]))).rejects.toSatisfy((err: unknown) => err instanceof CliError && err.exitCode === 5);
  });
});
