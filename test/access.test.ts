// Reaching a workload cluster from an Argo CD cluster Secret, with every auth method Argo CD supports,
// against the real workload apiserver (EKS tokens verified by the webhook authenticator and moto STS).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TargetGroupBindingType } from '../src/api/elbv2/targetgroupbinding.js';
import { EKS_TOKEN_PREFIX, EksTokenGenerator, presignEksToken } from '../src/aws/eks-token.js';
import { KubeClient, type KubeObject } from '../src/kube/client.js';
import { KubeApiError } from '../src/kube/errors.js';
import { connectionFromClusterSecret, parseClusterSecret, type SecretObject } from '../src/kube/remote.js';
import { issueClientCert } from './support/certs.js';
import { awsSettings, stack, workloadClient } from './support/env.js';
import { kubectl } from './support/kubectl.js';
import { createNamespace } from './support/namespaces.js';
import { READER_USER } from './stack/stack.js';

const admin = workloadClient();
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const caData = (): string => b64(stack().workload.caPem);
const ROLE_ARN = 'arn:aws:iam::123456789012:role/okra-tgb-reader';
const UNBOUND_ROLE_ARN = 'arn:aws:iam::123456789012:role/okra-nobody';
const MOTO_DEFAULT_CALLER = 'arn:aws:sts::123456789012:user/moto';
let ns: string;

/** An Argo CD cluster Secret for the workload cluster with the given config. */
function clusterSecret(config: object, server = stack().workload.server): SecretObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'workload', namespace: 'argocd', resourceVersion: '1', labels: { 'argocd.argoproj.io/secret-type': 'cluster' } },
    data: { name: b64('workload'), server: b64(`${server}/`), config: b64(JSON.stringify(config)) },
  };
}

const tokens = () => new EksTokenGenerator(awsSettings());

function clientFor(secret: SecretObject, eksTokens = tokens()): KubeClient {
  return new KubeClient(connectionFromClusterSecret(parseClusterSecret(secret), { eksTokens }));
}

async function listBindings(client: KubeClient): Promise<string[]> {
  const { items } = await client.list<KubeObject>(TargetGroupBindingType);
  return items.map((i) => `${i.metadata.namespace ?? ''}/${i.metadata.name ?? ''}`);
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => undefined, (e: unknown) => e);
}

beforeAll(async () => {
  ns = await createNamespace(admin, 'access');
  await admin.create(TargetGroupBindingType, {
    apiVersion: 'elbv2.k8s.aws/v1beta1',
    kind: 'TargetGroupBinding',
    metadata: { name: 'web', namespace: ns },
    spec: { targetGroupARN: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef', serviceRef: { name: 'web', port: 80 } },
  } as KubeObject);
  const subjects = [READER_USER, 'tls-reader', MOTO_DEFAULT_CALLER, ROLE_ARN];
  await kubectl('workload', ['create', 'clusterrole', `tgb-reader-${ns}`, '--verb=get,list,watch', '--resource=targetgroupbindings.elbv2.k8s.aws']);
  await kubectl('workload', ['create', 'clusterrolebinding', `tgb-reader-${ns}`, `--clusterrole=tgb-reader-${ns}`, ...subjects.map((u) => `--user=${u}`)]);
});

afterAll(async () => {
  await kubectl('workload', ['delete', 'clusterrolebinding', `tgb-reader-${ns}`, 'clusterrole', `tgb-reader-${ns}`, '--ignore-not-found']);
});

describe('workload cluster access from an Argo CD cluster Secret', () => {
  it('parses server (trailing slash trimmed), name and config the way Argo CD does', () => {
    const parsed = parseClusterSecret(clusterSecret({ bearerToken: 't', tlsClientConfig: { caData: 'Y2E=' } }));
    expect(parsed).toMatchObject({ name: 'workload', server: stack().workload.server, config: { bearerToken: 't' } });
    expect(() => parseClusterSecret({ metadata: { name: 'x', namespace: 'argocd' }, data: {} })).toThrow(/data\.server is missing/);
    expect(() => parseClusterSecret({ metadata: { name: 'x', namespace: 'argocd' }, data: { server: b64('https://a'), config: b64('{') } })).toThrow(
      /data\.config is not valid JSON/,
    );
    // Fields Argo CD honours and okra does not are named, not ignored.
    expect(() => parseClusterSecret(clusterSecret({ bearerToken: 't', proxyUrl: 'http://proxy.internal:3128' }))).toThrow(/data\.config: proxyUrl is not supported by okra/);
    expect(() => parseClusterSecret(clusterSecret({ awsAuthConfig: { clusterName: 'c', profile: 'prod' } }))).toThrow(/data\.config: awsAuthConfig\.profile is not supported by okra/);
  });

  it('uses a bearer token, verifying the apiserver against caData', async () => {
    const client = clientFor(clusterSecret({ bearerToken: stack().workloadAuth.readerToken, tlsClientConfig: { caData: caData() } }));
    expect(await listBindings(client)).toContain(`${ns}/web`);
  });

  it('refuses a server whose certificate does not match caData, unless insecure is set', async () => {
    const wrongCa = b64(stack().management.caPem);
    const strict = clientFor(clusterSecret({ bearerToken: stack().workloadAuth.readerToken, tlsClientConfig: { caData: wrongCa } }));
    expect(String(await failure(listBindings(strict)))).toMatch(/certificate/i);
    const insecure = clientFor(clusterSecret({ bearerToken: stack().workloadAuth.readerToken, tlsClientConfig: { insecure: true } }));
    expect(await listBindings(insecure)).toContain(`${ns}/web`);
  });

  it('uses a TLS client certificate from certData/keyData', async () => {
    const { certPem, keyPem } = issueClientCert(stack().workloadAuth.clientCa, 'tls-reader');
    const client = clientFor(clusterSecret({ tlsClientConfig: { caData: caData(), certData: b64(certPem), keyData: b64(keyPem) } }));
    expect(await listBindings(client)).toContain(`${ns}/web`);
  });

  it('runs an exec credential plugin (execProviderConfig)', async () => {
    const script = `process.stdout.write(JSON.stringify({kind:'ExecCredential',apiVersion:process.env.API,status:{token:process.env.TOKEN}}))`;
    const client = clientFor(
      clusterSecret({
        execProviderConfig: {
          command: process.execPath,
          args: ['-e', script],
          env: { TOKEN: stack().workloadAuth.readerToken, API: 'client.authentication.k8s.io/v1beta1' },
          apiVersion: 'client.authentication.k8s.io/v1beta1',
        },
        tlsClientConfig: { caData: caData() },
      }),
    );
    expect(await listBindings(client)).toContain(`${ns}/web`);
  });

  it('signs an EKS token for awsAuthConfig.clusterName that the cluster authenticates through STS', async () => {
    const client = clientFor(clusterSecret({ awsAuthConfig: { clusterName: stack().workloadAuth.eksClusterId }, tlsClientConfig: { caData: caData() } }));
    expect(await listBindings(client)).toContain(`${ns}/web`);
  });

  it('assumes awsAuthConfig.roleARN first, so the cluster sees the role', async () => {
    const config = { awsAuthConfig: { clusterName: stack().workloadAuth.eksClusterId, roleARN: ROLE_ARN }, tlsClientConfig: { caData: caData() } };
    expect(await listBindings(clientFor(clusterSecret(config)))).toContain(`${ns}/web`);
    // The same cluster with a role nobody granted access: authenticated as that role, then forbidden.
    const unbound = { ...config, awsAuthConfig: { ...config.awsAuthConfig, roleARN: UNBOUND_ROLE_ARN } };
    const err = await failure(listBindings(clientFor(clusterSecret(unbound))));
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(403);
    expect((err as KubeApiError).message).toContain(UNBOUND_ROLE_ARN);
  });

  it('is refused with a token signed for another cluster, a tampered signature or an expired date', async () => {
    const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
    const endpoint = stack().moto.endpoint;
    const otherCluster = await presignEksToken({ clusterName: 'some-other-cluster', region: 'us-east-1', credentials, endpoint });
    const good = await presignEksToken({ clusterName: stack().workloadAuth.eksClusterId, region: 'us-east-1', credentials, endpoint });
    const url = new URL(Buffer.from(good.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString());
    const signature = url.searchParams.get('X-Amz-Signature') ?? '';
    url.searchParams.set('X-Amz-Signature', (signature.startsWith('0') ? '1' : '0') + signature.slice(1));
    const tampered = EKS_TOKEN_PREFIX + Buffer.from(url.toString()).toString('base64url');
    const expired = await presignEksToken({
      clusterName: stack().workloadAuth.eksClusterId,
      region: 'us-east-1',
      credentials,
      endpoint,
      signingDate: new Date(Date.now() - 16 * 60_000),
    });
    for (const token of [otherCluster, tampered, expired]) {
      const client = clientFor(clusterSecret({ bearerToken: token, tlsClientConfig: { caData: caData() } }));
      const err = await failure(listBindings(client));
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).status).toBe(401);
    }
    // The control: the untampered token works.
    expect(await listBindings(clientFor(clusterSecret({ bearerToken: good, tlsClientConfig: { caData: caData() } })))).toContain(`${ns}/web`);
  });

  it('reports an unreachable cluster as an error, not a hang or a crash', async () => {
    const client = clientFor(clusterSecret({ bearerToken: 'x', tlsClientConfig: { insecure: true } }, 'https://127.0.0.1:1'));
    expect(String(await failure(listBindings(client)))).toMatch(/ECONNREFUSED/);
  });
});

