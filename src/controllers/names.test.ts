import { describe, expect, it } from 'vitest';
import { dnsName, isLabelKey, isLabelValue, labelValue } from './names.js';

describe('dnsName', () => {
  it.each([
    { parts: ['prod-blue'], want: 'prod-blue' },
    { parts: ['blue', 'default', 'web'], want: 'blue-default-web' },
  ])('keeps a valid name as it is: $want', ({ parts, want }) => {
    expect(dnsName(parts)).toBe(want);
  });

  it('lower-cases and replaces invalid characters, adding a hash so distinct inputs stay distinct', () => {
    const a = dnsName(['Prod_Blue']);
    const b = dnsName(['prod-blue']);
    expect(a).toMatch(/^prod-blue-[0-9a-f]{8}$/);
    expect(a).not.toBe(b);
  });

  it('shortens long names to 63 characters with a hash suffix, deterministically', () => {
    const long = ['cluster-with-a-rather-long-name', 'namespace-with-a-long-name', 'binding-with-a-long-name'];
    const name = dnsName(long);
    expect(name.length).toBeLessThanOrEqual(63);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(dnsName(long)).toBe(name);
    expect(dnsName([...long.slice(0, 2), 'binding-with-a-long-namf'])).not.toBe(name);
  });
});

describe('labelValue', () => {
  it('keeps valid values and repairs invalid ones', () => {
    expect(labelValue('1.2.3')).toBe('1.2.3');
    expect(isLabelValue(labelValue('1.2.3+build.5'))).toBe(true);
    expect(isLabelValue(labelValue('x'.repeat(100)))).toBe(true);
    expect(labelValue('x'.repeat(100))).not.toBe(labelValue(`${'x'.repeat(99)}y`));
  });
});

describe('isLabelKey', () => {
  it('follows the Kubernetes rules', () => {
    expect(['a', 'app.kubernetes.io/name', 'okra.mumo.co/version', 'a'.repeat(63)].every(isLabelKey)).toBe(true);
    expect(['', '/a', 'a/', 'A_B.example/x', 'a'.repeat(64), 'a/b/c', '-a'].some(isLabelKey)).toBe(false);
  });
});
