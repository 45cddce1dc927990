import { describe, expect, it } from 'vitest';
import type { Action, Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RuleNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { actionsWithForward, forwardAction, readRuleBatch, readTagsBatch, type DescribeRulesPage, type DescribeTagsCall } from './elbv2.js';

const WEIGHTS = [{ arn: 'tg-a', weight: 30 }, { arn: 'tg-b', weight: 70 }];

const oidc: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: { Issuer: 'https://idp.example.com', AuthorizationEndpoint: 'https://idp.example.com/auth', TokenEndpoint: 'https://idp.example.com/token', UserInfoEndpoint: 'https://idp.example.com/me', ClientId: 'okra', ClientSecret: 'echoed-by-moto-only', OnUnauthenticatedRequest: 'authenticate' },
};

describe('actionsWithForward', () => {
  it('keeps the actions before the forward as described, and replaces only the forward, in its Order, stickiness off', () => {
    const cognito: Action = { Type: 'authenticate-cognito', Order: 2, AuthenticateCognitoConfig: { UserPoolArn: 'pool', UserPoolClientId: 'client', UserPoolDomain: 'domain' } };
    // Stickiness is written off, as okra always has: sticky sessions would hold clients on the old version.
    const sticky = { TargetGroups: [{ TargetGroupArn: 'tg-a', Weight: 1 }], TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 } };
    const forward: Action = { Type: 'forward', Order: 5, ForwardConfig: sticky };
    const { ClientSecret: _secret, ...described } = oidc.AuthenticateOidcConfig ?? {};
    expect(actionsWithForward([oidc, cognito, forward], WEIGHTS)).toEqual([
      // AWS never describes the client secret; a modify that sends none must ask to keep the existing one.
      { ...oidc, AuthenticateOidcConfig: { ...described, UseExistingClientSecret: true } },
      cognito,
      { ...forwardAction(WEIGHTS), Order: 5 },
    ]);
  });

  it('sends the plain forward for a rule that only forwards', () => {
    expect(actionsWithForward([forwardAction([{ arn: 'tg-a', weight: 100 }])], WEIGHTS)).toEqual([forwardAction(WEIGHTS)]);
    expect(actionsWithForward([], WEIGHTS)).toEqual([forwardAction(WEIGHTS)]);
  });

  it('puts the forward in place of another terminal action (a rule has one), keeping authentication', () => {
    const fixed: Action = { Type: 'fixed-response', Order: 2, FixedResponseConfig: { StatusCode: '503' } };
    const cognito: Action = { Type: 'authenticate-cognito', Order: 1, AuthenticateCognitoConfig: { UserPoolArn: 'pool', UserPoolClientId: 'client', UserPoolDomain: 'domain' } };
    expect(actionsWithForward([cognito, fixed], WEIGHTS)).toEqual([cognito, { ...forwardAction(WEIGHTS), Order: 2 }]);
  });
});

const rule = (arn: string): Rule => ({ RuleArn: arn, Priority: '1', Conditions: [], Actions: [forwardAction([{ arn: `tg-${arn}`, weight: 100 }])] });
const noSingleReads = (arn: string): Promise<Rule | undefined> => Promise.reject(new Error(`single read of ${arn}`));

describe('readRuleBatch', () => {
  it('follows NextMarker to every page', async () => {
    const calls: (string | undefined)[] = [];
    const page: DescribeRulesPage = (_arns, marker) => {
      calls.push(marker);
      return Promise.resolve(marker === undefined ? { Rules: [rule('r1')], NextMarker: 'm1' } : { Rules: [rule('r2')] });
    };
    const reads = await readRuleBatch(page, noSingleReads, ['r1', 'r2']);
    expect(calls).toEqual([undefined, 'm1']);
    expect(reads.get('r2')).toEqual({ status: 'fulfilled', value: rule('r2') });
  });

  it('describes an ARN missing from the answer on its own before taking it as gone', async () => {
    const singles: string[] = [];
    const single = (arn: string) => {
      singles.push(arn);
      return Promise.resolve(arn === 'r2' ? rule('r2') : undefined);
    };
    const reads = await readRuleBatch(() => Promise.resolve({ Rules: [rule('r1')] }), single, ['r1', 'r2', 'r3']);
    expect(singles).toEqual(['r2', 'r3']);
    expect([...reads.values()]).toEqual([
      { status: 'fulfilled', value: rule('r1') },
      { status: 'fulfilled', value: rule('r2') },
      { status: 'fulfilled', value: undefined },
    ]);
  });

  it('on a ValidationError for the batch, reads each ARN on its own so only the malformed one fails', async () => {
    const invalid = () => Object.assign(new Error("'bad' is not a valid listener rule ARN"), { name: 'ValidationError' });
    const single = (arn: string) => (arn === 'bad' ? Promise.reject(invalid()) : Promise.resolve(rule(arn)));
    const reads = await readRuleBatch(() => Promise.reject(invalid()), single, ['r1', 'bad', 'r2']);
    expect(reads.get('r1')).toEqual({ status: 'fulfilled', value: rule('r1') });
    expect(reads.get('r2')).toEqual({ status: 'fulfilled', value: rule('r2') });
    expect(reads.get('bad')).toMatchObject({ status: 'rejected', reason: { name: 'ValidationError' } });
  });

  it('fails the whole batch on an error that is not about its ARNs (throttling)', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    await expect(readRuleBatch(() => Promise.reject(throttled), noSingleReads, ['r1', 'r2'])).rejects.toThrow('Rate exceeded');
  });
});

describe('readTagsBatch', () => {
  const gone = () => new RuleNotFoundException({ message: 'One or more rules not found', $metadata: {} });
  /** DescribeTags as AWS answers it: refused as a whole when any ARN is gone. */
  const describeTags = (existing: Record<string, Record<string, string>>): DescribeTagsCall => (arns) => {
    if (arns.some((a) => !(a in existing))) return Promise.reject(gone());
    return Promise.resolve(arns.map((a) => ({ ResourceArn: a, Tags: Object.entries(existing[a] ?? {}).map(([Key, Value]) => ({ Key, Value })) })));
  };

  it('reads the tags of several rules in one call', async () => {
    const calls: string[][] = [];
    const tags = await readTagsBatch((arns) => { calls.push([...arns]); return describeTags({ r1: { owner: 'a' }, r2: { owner: 'b' } })(arns); }, ['r1', 'r2']);
    expect(calls).toEqual([['r1', 'r2']]);
    expect(tags).toEqual(new Map([['r1', { owner: 'a' }], ['r2', { owner: 'b' }]]));
  });

  it('when one rule was deleted meanwhile, reads the others one by one and leaves the gone one out', async () => {
    const tags = await readTagsBatch(describeTags({ r1: { owner: 'a' }, r3: { owner: 'me' } }), ['r1', 'r2', 'r3']);
    expect(tags).toEqual(new Map([['r1', { owner: 'a' }], ['r3', { owner: 'me' }]]));
  });

  it('fails on an error that is not about its ARNs (throttling)', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    await expect(readTagsBatch(() => Promise.reject(throttled), ['r1', 'r2'])).rejects.toThrow('Rate exceeded');
  });
});
