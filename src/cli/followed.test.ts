// Which version a waiter follows as statuses come in, and the --for-version flag.
import { describe, expect, it } from 'vitest';
import type { CellStatus } from '../api/v1alpha1/cell.js';
import { asked, follow, forVersionFlag, judgeFollowed, type Followed } from './followed.js';

const completed1: CellStatus = { phase: 'Completed', desiredVersion: '1.0.0', stableVersion: '1.0.0' };
const progressing2: CellStatus = { phase: 'Progressing', desiredVersion: '2.0.0', stableVersion: '1.0.0' };

describe('follow', () => {
  it.each<[string, Followed | undefined, CellStatus, Followed | undefined]>([
    ['nothing in flight, nothing asked: nothing to follow', undefined, completed1, undefined],
    ['a version in flight is adopted as seen', undefined, progressing2, { version: '2.0.0', seen: true }],
    ['an aborted version is in flight too (its Degraded is the outcome)', undefined, { ...progressing2, phase: 'Degraded', abort: true }, { version: '2.0.0', seen: true }],
    ['--for-version not rolled out yet stays unseen', asked('2.0.0'), completed1, { version: '2.0.0', seen: false }],
    ['--for-version becomes seen once it is the desired version', asked('2.0.0'), progressing2, { version: '2.0.0', seen: true }],
    ['a followed version is kept when another one starts', { version: '2.0.0', seen: true }, { phase: 'Progressing', desiredVersion: '3.0.0', stableVersion: '1.0.0' }, { version: '2.0.0', seen: true }],
  ])('%s', (_name, prev, status, want) => {
    expect(follow(prev, status)).toEqual(want);
  });
});

describe('judgeFollowed', () => {
  it('leaves the phase to decide when nothing is followed or the status is about the followed version', () => {
    expect(judgeFollowed(undefined, completed1)).toEqual({ kind: 'current' });
    expect(judgeFollowed({ version: '2.0.0', seen: true }, progressing2)).toEqual({ kind: 'current' });
  });
});

describe('forVersionFlag', () => {
  it('takes strict semver only, as Cell versions are', () => {
    expect(forVersionFlag('2.0.0')).toBe('2.0.0');
    expect(() => forVersionFlag('v2.0.0')).toThrow('--for-version "v2.0.0" is not a strict semantic version (for example 2.0.0)');
  });
});
