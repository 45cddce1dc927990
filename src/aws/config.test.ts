import { createServer, type Socket } from 'node:net';
import { DescribeRulesCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AWS_REQUEST_TIMEOUT_MS, sdkConfig } from './config.js';

// A server that accepts connections and never answers: a half-open path to AWS as a client sees it.
const sockets = new Set<Socket>();
const silent = createServer((socket) => { sockets.add(socket); });
let endpoint = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  endpoint = `http://127.0.0.1:${String(typeof address === 'object' && address ? address.port : 0)}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

describe('sdkConfig', () => {
  it('gives every attempt a deadline, so a call to an endpoint that never answers fails instead of hanging', async () => {
    const elbv2 = new ElasticLoadBalancingV2Client(sdkConfig({ region: 'eu-west-1', endpoint, credentials, maxAttempts: 1, requestTimeoutMs: 300 }));
    const started = Date.now();
    await expect(elbv2.send(new DescribeRulesCommand({ RuleArns: ['arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/a/1/2/3'] }))).rejects.toThrow(/timed out|timeout/i);
    expect(Date.now() - started).toBeLessThan(5_000);
    elbv2.destroy();
  });

  it('sets that deadline by default', () => {
    expect(sdkConfig({ region: 'eu-west-1' }).requestHandler).toMatchObject({ requestTimeout: DEFAULT_AWS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true });
  });
});
