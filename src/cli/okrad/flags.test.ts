import { afterEach, describe, expect, it, vi } from 'vitest';
import { okradProgram, parseBoolean, type OkradFlags } from './flags.js';

/** Parses argv (after `okrad`) the way the binary does and returns the flags its action receives. */
async function flagsOf(args: string[]): Promise<OkradFlags> {
  let seen: OkradFlags | undefined;
  const program = okradProgram((flags) => {
    seen = flags;
    return Promise.resolve();
  });
  program.exitOverride().configureOutput({ writeErr: () => undefined });
  await program.parseAsync(['node', 'okrad', ...args]);
  if (!seen) throw new Error('action not called');
  return seen;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('okrad flags', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['On', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['', false],
  ])('OKRA_LEADER_ELECT=%j means %s', async (value, expected) => {
    vi.stubEnv('OKRA_LEADER_ELECT', value);
    expect((await flagsOf([])).leaderElect).toBe(expected);
  });

  it.each([
    [[], false],
    [['--leader-elect'], true],
    [['--leader-elect=false'], false],
    [['--leader-elect', '--namespace', 'prod'], true],
  ])('%j sets leader election to %s', async (args, expected) => {
    vi.stubEnv('OKRA_LEADER_ELECT', undefined);
    expect((await flagsOf(args)).leaderElect).toBe(expected);
  });

  it('refuses a leader-elect value that is not a boolean', async () => {
    vi.stubEnv('OKRA_LEADER_ELECT', 'maybe');
    await expect(flagsOf([])).rejects.toThrow(/expected true or false, got "maybe"/);
    expect(() => parseBoolean('enabled')).toThrow(/expected true or false/);
  });

  it('leaves KUBECONFIG to the kubeconfig loader, which merges a list of files (a:b) as kubectl does', async () => {
    vi.stubEnv('KUBECONFIG', '/tmp/a.yaml:/tmp/b.yaml');
    expect((await flagsOf([])).kubeconfig).toBeUndefined();
    expect((await flagsOf(['--kubeconfig', '/tmp/a.yaml'])).kubeconfig).toBe('/tmp/a.yaml');
  });

  it('takes workers as a positive whole number, from the flag or OKRA_WORKERS', async () => {
    vi.stubEnv('OKRA_WORKERS', undefined);
    expect((await flagsOf([])).workers).toBe(8);
    expect((await flagsOf(['--workers', '16'])).workers).toBe(16);
    vi.stubEnv('OKRA_WORKERS', '3');
    expect((await flagsOf([])).workers).toBe(3);
    for (const bad of ['0', '-2', '1.5', 'many']) {
      await expect(flagsOf(['--workers', bad])).rejects.toThrow(/whole number of at least 1/);
    }
  });
});
