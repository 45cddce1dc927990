// Reads a cluster Secret the way Argo CD does (argo-cd util/db/cluster.go SecretToCluster and the
// ClusterConfig JSON tags in pkg/apis/application/v1alpha1/types.go), and fails on anything Argo CD
// would reject or silently ignore. Independent of okra's own parser on purpose.
import type { SecretObject } from '../../src/kube/remote.js';

/** What Argo CD would take from a cluster Secret. */
export interface ArgoCdCluster {
  name: string;
  server: string;
  config: {
    awsAuthConfig?: { clusterName?: string; roleARN?: string; profile?: string };
    tlsClientConfig?: { insecure?: boolean; caData?: string; certData?: string; keyData?: string; serverName?: string };
    bearerToken?: string;
    execProviderConfig?: unknown;
  };
  labels: Record<string, string>;
}

// JSON field names Argo CD's ClusterConfig declares; anything else would be dropped by its decoder.
const CONFIG_KEYS = new Set(['username', 'password', 'bearerToken', 'tlsClientConfig', 'awsAuthConfig', 'execProviderConfig', 'proxyUrl', 'disableCompression']);
const TLS_KEYS = new Set(['insecure', 'serverName', 'certData', 'keyData', 'caData']);
const AWS_KEYS = new Set(['clusterName', 'roleARN', 'profile']);

function unknownKeys(obj: object | undefined, allowed: Set<string>): string[] {
  return Object.keys(obj ?? {}).filter((k) => !allowed.has(k));
}

/** Reads a Secret as Argo CD would, throwing where Argo CD would fail or lose information. */
export function readArgoCdCluster(secret: SecretObject): ArgoCdCluster {
  const labels = secret.metadata.labels ?? {};
  if (labels['argocd.argoproj.io/secret-type'] !== 'cluster') throw new Error('missing label argocd.argoproj.io/secret-type=cluster');
  const field = (k: string): string => Buffer.from(secret.data?.[k] ?? '', 'base64').toString('utf8');
  const server = field('server').replace(/\/+$/, '');
  if (!/^https:\/\/[^/]+/.test(server)) throw new Error(`server ${JSON.stringify(server)} is not an https URL`);
  const name = field('name');
  if (name === '') throw new Error('data.name is empty');
  const config = JSON.parse(field('config')) as ArgoCdCluster['config'];
  const unknown = [
    ...unknownKeys(config, CONFIG_KEYS),
    ...unknownKeys(config.tlsClientConfig, TLS_KEYS).map((k) => `tlsClientConfig.${k}`),
    ...unknownKeys(config.awsAuthConfig, AWS_KEYS).map((k) => `awsAuthConfig.${k}`),
  ];
  if (unknown.length > 0) throw new Error(`config has fields Argo CD does not read: ${unknown.join(', ')}`);
  const ca = config.tlsClientConfig?.caData;
  if (ca !== undefined && Buffer.from(ca, 'base64').toString('base64') !== ca) throw new Error('tlsClientConfig.caData is not base64');
  return { name, server, config, labels };
}
