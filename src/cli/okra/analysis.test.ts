import { describe, expect, it } from 'vitest';
import type { AnalysisTemplate } from '../../api/rollouts/analysis.js';
import { CliError } from '../common.js';
import { buildRunFromTemplate, parsePhase, secretArgs, timestamp, type RunFromTemplate } from './analysis.js';

const template: AnalysisTemplate = {
  metadata: { name: 'health', namespace: 'prod' },
  spec: {
    args: [{ name: 'version' }, { name: 'token' }, { name: 'region', value: 'eu-west-1' }],
    metrics: [{ name: 'errors', provider: { web: { url: 'http://metrics/{{args.version}}' } } }],
    dryRun: [{ metricName: 'errors' }],
  },
};

const input = (over: Partial<RunFromTemplate> = {}): RunFromTemplate => ({
  template,
  clusterScope: false,
  namespace: 'prod',
  args: { version: '2.0.0' },
  secretArgs: { token: { name: 'creds', key: 'api.token' } },
  labels: {},
  now: new Date('2026-03-04T05:06:07Z'),
  ...over,
});

describe('secretArgs', () => {
  it('splits the Secret name and key at the first dot', () => {
    expect(secretArgs('token=creds.api.token,user=creds.user')).toEqual({ token: { name: 'creds', key: 'api.token' }, user: { name: 'creds', key: 'user' } });
  });

  it.each(['token=creds', 'token=.key', 'token=creds.'])('refuses %s with a message naming the flag and the form', (value) => {
    expect(() => secretArgs(value)).toThrow(`--args-from-secrets ${value}: expected ARG=SECRET.KEY`);
  });

  it('refuses a pair without =', () => {
    expect(() => secretArgs('token')).toThrow('expected KEY=VALUE, got "token"');
  });
});

describe('buildRunFromTemplate', () => {
  it('builds the run: template metrics and dryRun, args merged with literal and Secret values, generateName, timestamp label', () => {
    expect(buildRunFromTemplate(input({ labels: { team: 'a' } }))).toEqual({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AnalysisRun',
      metadata: { generateName: 'health-', namespace: 'prod', labels: { 'okra.mumo.co/timestamp': '20260304050607', team: 'a' } },
      spec: {
        metrics: template.spec.metrics,
        args: [
          { name: 'version', value: '2.0.0' },
          { name: 'token', valueFrom: { secretKeyRef: { name: 'creds', key: 'api.token' } } },
          { name: 'region', value: 'eu-west-1' },
        ],
        dryRun: [{ metricName: 'errors' }],
      },
    });
  });

  it('uses a fixed name when given', () => {
    expect(buildRunFromTemplate(input({ name: 'check-1' })).metadata).toMatchObject({ name: 'check-1' });
    expect(buildRunFromTemplate(input({ name: 'check-1' })).metadata.generateName).toBeUndefined();
  });

  it('names the arg and the template when an arg is not declared', () => {
    expect(() => buildRunFromTemplate(input({ args: { version: '2', nope: '1' } }))).toThrow(new CliError('AnalysisTemplate health: arg nope is not declared by the template'));
    expect(() => buildRunFromTemplate(input({ clusterScope: true, args: { nope: '1' } }))).toThrow('ClusterAnalysisTemplate health: arg nope is not declared by the template');
  });

  it('refuses an arg left without a value, and one given twice', () => {
    expect(() => buildRunFromTemplate(input({ secretArgs: {} }))).toThrow('AnalysisTemplate health: arg token has no value');
    expect(() => buildRunFromTemplate(input({ args: { version: '2', token: 'x' } }))).toThrow('arg token is given by both --args and --args-from-secrets');
  });
});

describe('parsePhase', () => {
  it.each([
    ['successful', 'Successful'],
    ['FAILED', 'Failed'],
    ['Error', 'Error'],
    [' inconclusive ', 'Inconclusive'],
  ])('%s → %s', (value, want) => {
    expect(parsePhase(value)).toBe(want);
  });

  it('refuses anything else with the allowed values', () => {
    expect(() => parsePhase('Running')).toThrow('--phase must be one of Successful, Failed, Error, Inconclusive (got "Running")');
  });
});

describe('timestamp', () => {
  it('is UTC YYYYMMDDhhmmss', () => {
    expect(timestamp(new Date('2026-12-31T23:59:58.123Z'))).toBe('20261231235958');
  });
});
