// Blocklist edits, version validation and the unblock hint, pure.
import { describe, expect, it } from 'vitest';
import type { Cell } from '../../api/v1alpha1/cell.js';
import { CliError } from '../common.js';
import { abortedHint, checkVersion, withBlocked, withoutBlocked } from './blocklist.js';

const items = [{ version: '2.0.0', cause: 'AnalysisRun web-1 Failed' }];

describe('withBlocked / withoutBlocked', () => {
  it('appends a new version with its cause', () => {
    expect(withBlocked(items, '3.0.0', 'bad build')).toEqual([...items, { version: '3.0.0', cause: 'bad build' }]);
  });
  it('reports a version already blocked as nothing to change (the first cause stays)', () => {
    expect(withBlocked(items, '2.0.0', 'again')).toBeUndefined();
  });
  it('removes only the version asked for', () => {
    expect(withoutBlocked([...items, { version: '3.0.0', cause: 'x' }], '2.0.0')).toEqual([{ version: '3.0.0', cause: 'x' }]);
  });
  it('reports a version not blocked as nothing to change', () => {
    expect(withoutBlocked(items, '2.0.1')).toBeUndefined();
    expect(withoutBlocked([], '2.0.0')).toBeUndefined();
  });
});

describe('checkVersion', () => {
  it.each(['1.2.3', '2.0.0-rc.1'])('accepts %s', (v) => {
    expect(checkVersion(v)).toBe(v);
  });
  // Build metadata too: Cells ignore target groups whose version label carries it (targets.ts).
  it.each(['v1.2.3', '1.2', 'latest', ' 1.2.3', '01.2.3', '1.0.0+build.5'])('rejects %j with exit code 1', (v) => {
    let thrown: unknown;
    try {
      checkVersion(v);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect(thrown).toMatchObject({ exitCode: 1, message: `version ${JSON.stringify(v)} is not a strict semantic version (for example 1.2.3)` });
  });
});

describe('abortedHint', () => {
  const cell = (status: Cell['status']): Cell => ({ metadata: { name: 'web', namespace: 'prod' }, spec: { ingress: {} }, ...(status ? { status } : {}) });

  it('says an aborted version stays aborted until okractl retry', () => {
    const hint = 'cell/web stays aborted on 3.0.0 until okractl retry web (which runs its steps again)';
    expect(abortedHint(cell({ phase: 'Degraded', abort: true, desiredVersion: '3.0.0', stableVersion: '2.0.0' }), '3.0.0')).toBe(hint);
    expect(abortedHint(cell({ phase: 'Degraded', reason: 'RolloutAborted', desiredVersion: '3.0.0', stableVersion: '2.0.0' }), '3.0.0')).toBe(hint);
  });

  it('says nothing for another version, a Cell not aborted, or one without status', () => {
    expect(abortedHint(cell({ phase: 'Degraded', abort: true, desiredVersion: '3.0.0', stableVersion: '2.0.0' }), '4.0.0')).toBeUndefined();
    expect(abortedHint(cell({ phase: 'Completed', desiredVersion: '3.0.0', stableVersion: '3.0.0' }), '3.0.0')).toBeUndefined();
    expect(abortedHint(cell({ phase: 'Paused', desiredVersion: '3.0.0', stableVersion: '2.0.0' }), '3.0.0')).toBeUndefined();
    expect(abortedHint(cell(undefined), '3.0.0')).toBeUndefined();
  });
});
