import { describe, expect, it } from 'vitest';
import { ruleConditions, rulePriority, sameConditions, sameWeights } from './listener.js';

describe('ruleConditions', () => {
  it('builds every condition kind in a fixed order with sorted values and upper-cased methods', () => {
    expect(
      ruleConditions({
        queryStrings: { z: '1', a: '2' },
        headers: { 'x-b': ['2', '1'], 'x-a': ['y'] },
        sourceIPs: ['10.0.0.0/8'],
        methods: ['post', 'get'],
        pathPatterns: ['/b', '/a'],
        hosts: ['b.example', 'a.example'],
      }),
    ).toEqual([
      { Field: 'host-header', HostHeaderConfig: { Values: ['a.example', 'b.example'] } },
      { Field: 'path-pattern', PathPatternConfig: { Values: ['/a', '/b'] } },
      { Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['GET', 'POST'] } },
      { Field: 'source-ip', SourceIpConfig: { Values: ['10.0.0.0/8'] } },
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-a', Values: ['y'] } },
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-b', Values: ['1', '2'] } },
      { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'a', Value: '2' }, { Key: 'z', Value: '1' }] } },
    ]);
  });

  it('has no conditions for an empty rule and defaults the priority to 100', () => {
    expect(ruleConditions({})).toEqual([]);
    expect(rulePriority(undefined)).toBe(100);
    expect(rulePriority({ priority: 0 })).toBe(100);
    expect(rulePriority({ priority: 7 })).toBe(7);
  });
});

describe('sameConditions', () => {
  it('ignores the order AWS returns conditions and values in, and the legacy Values field', () => {
    const mine = ruleConditions({ hosts: ['a', 'b'], pathPatterns: ['/x'] });
    const fromAws = [
      { Field: 'path-pattern', Values: ['/x'], PathPatternConfig: { Values: ['/x'] } },
      { Field: 'host-header', Values: ['b', 'a'], HostHeaderConfig: { Values: ['b', 'a'] } },
    ];
    expect(sameConditions(mine, fromAws)).toBe(true);
    expect(sameConditions(mine, ruleConditions({ hosts: ['a'] , pathPatterns: ['/x'] }))).toBe(false);
  });
});

describe('sameWeights', () => {
  it.each([
    { a: [{ arn: 'x', weight: 50 }, { arn: 'y', weight: 50 }], b: [{ arn: 'y', weight: 50 }, { arn: 'x', weight: 50 }], same: true },
    { a: [{ arn: 'x', weight: 100 }], b: [{ arn: 'x', weight: 100 }, { arn: 'y', weight: 0 }], same: true },
    { a: [{ arn: 'x', weight: 90 }, { arn: 'y', weight: 10 }], b: [{ arn: 'x', weight: 80 }, { arn: 'y', weight: 20 }], same: false },
    { a: [{ arn: 'x', weight: 100 }], b: [{ arn: 'y', weight: 100 }], same: false },
  ])('$a vs $b → $same', ({ a, b, same }) => {
    expect(sameWeights(a, b)).toBe(same);
  });
});
