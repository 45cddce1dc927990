// An admission policy that makes the management apiserver refuse AWSTargetGroups of one AWS account in
// one namespace: a real refusal (HTTP 422 with the policy's message) for tests of refused writes.
import { expect, vi } from 'vitest';
import { AWSTargetGroupType } from '../../src/api/v1alpha1/awstargetgroup.js';
import { managementClient } from './env.js';
import { kubectl } from './kubectl.js';

/** The account the policy refuses, and a target group ARN in it. */
export const DENIED_ACCOUNT = '999999999999';
export const DENIED_ARN = `arn:aws:elasticloadbalancing:us-east-1:${DENIED_ACCOUNT}:targetgroup/foreign/4444`;
/** The message the apiserver answers a refused AWSTargetGroup with. */
export const DENIED_MESSAGE = `target groups of account ${DENIED_ACCOUNT} are not allowed here`;

/** Installs the policy for `namespace`, waits until the apiserver enforces it, and returns its removal. */
export async function denyAccountTargetGroups(namespace: string): Promise<() => Promise<void>> {
  const policy = `deny-account-${namespace}`;
  await kubectl('management', ['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: policy },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: { resourceRules: [{ apiGroups: ['okra.mumo.co'], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['awstargetgroups'] }] },
          validations: [{ expression: `!object.spec.arn.contains(':${DENIED_ACCOUNT}:')`, message: DENIED_MESSAGE }],
        },
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: policy },
        spec: { policyName: policy, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } } } },
      },
    ],
  }));
  // Policies take effect a moment after they are written: probe with a dry run until one is refused.
  const probe = { apiVersion: 'okra.mumo.co/v1alpha1', kind: 'AWSTargetGroup', metadata: { name: 'probe', namespace }, spec: { arn: DENIED_ARN } };
  await vi.waitFor(async () => { await expect(managementClient().create(AWSTargetGroupType, probe, { dryRun: true })).rejects.toThrow(DENIED_MESSAGE); }, { timeout: 10_000, interval: 200 });
  return async () => {
    await kubectl('management', ['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', policy, '--ignore-not-found']);
  };
}
