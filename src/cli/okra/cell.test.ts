// Where `okra run cell` reads the default `datadog` Secret (okrad's namespace, never the Cell's), and
// its --for-version, checked as okractl watch checks it.
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { okraProgram } from './program.js';
import { controllerNamespaceOption, DEFAULT_CONTROLLER_NAMESPACE } from './cell.js';

function parsedNamespace(...args: string[]): unknown {
  return new Command().addOption(controllerNamespaceOption()).parse(args, { from: 'user' }).opts().controllerNamespace;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('--controller-namespace', () => {
  it('defaults to okra-system, where the README installs okrad and its datadog Secret', () => {
    vi.stubEnv('POD_NAMESPACE', undefined);
    expect(DEFAULT_CONTROLLER_NAMESPACE).toBe('okra-system');
    expect(parsedNamespace()).toBe('okra-system');
  });

  it('reads $POD_NAMESPACE as okrad does, and the flag over both', () => {
    vi.stubEnv('POD_NAMESPACE', 'platform');
    expect(parsedNamespace()).toBe('platform');
    expect(parsedNamespace('--controller-namespace', 'ops')).toBe('ops');
  });

  it('is an option of run cell', () => {
    const run = okraProgram().commands.find((c) => c.name() === 'run')?.commands.find((c) => c.name() === 'cell');
    const option = run?.options.find((o) => o.long === '--controller-namespace');
    expect({ env: option?.envVar, default: option?.defaultValue as unknown }).toEqual({ env: 'POD_NAMESPACE', default: 'okra-system' });
  });
});

describe('run cell --for-version', () => {
  const option = () => okraProgram().commands.find((c) => c.name() === 'run')?.commands.find((c) => c.name() === 'cell')?.options.find((o) => o.long === '--for-version');

  it('takes a strict semantic version, as okractl watch --for-version does', () => {
    const parse = option()?.parseArg;
    expect(parse?.('2.0.0', '')).toBe('2.0.0');
    expect(() => parse?.('v2', '')).toThrow('--for-version "v2" is not a strict semantic version (for example 2.0.0)');
  });
});
