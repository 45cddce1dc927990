import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../kube/errors.js';
import { silentLogger } from '../runtime/log.js';
import { argoRolloutsInstalled } from './argo-probe.js';

/** A discovery endpoint that gives the listed answers in turn, then succeeds. */
function discovery(...failures: Error[]): { getPath: () => Promise<never>; calls: () => number } {
  let calls = 0;
  return {
    getPath: () => {
      const failure = failures[calls++];
      return failure ? Promise.reject(failure) : Promise.resolve(undefined as never);
    },
    calls: () => calls,
  };
}

const unavailable = new KubeApiError(503, 'ServiceUnavailable', 'the server is currently unable to handle the request');
const notFound = new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');

describe('argoRolloutsInstalled', () => {
  it('is true when the API group is served', async () => {
    expect(await argoRolloutsInstalled(discovery(), silentLogger(), 1)).toBe(true);
  });

  it('is false only when the API server says the group is not found', async () => {
    const api = discovery(notFound);
    expect(await argoRolloutsInstalled(api, silentLogger(), 1)).toBe(false);
    expect(api.calls()).toBe(1);
  });

  it('asks again while the API server cannot answer, rather than deciding Argo Rollouts is absent', async () => {
    const api = discovery(unavailable, new Error('connect ECONNREFUSED 127.0.0.1:6443'), new Error('The operation was aborted due to timeout'));
    expect(await argoRolloutsInstalled(api, silentLogger(), 1)).toBe(true);
    expect(api.calls()).toBe(4);
  });

  it('gives up with an error naming the last failure when the API server never answers', async () => {
    const api = discovery(...Array.from({ length: 10 }, () => unavailable));
    await expect(argoRolloutsInstalled(api, silentLogger(), 1)).rejects.toThrow(/^cannot tell whether the argoproj\.io API \(Argo Rollouts\) is served: .*unable to handle the request/);
    expect(api.calls()).toBe(7);
  });
});
