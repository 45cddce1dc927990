// The Argo CD cluster Secret format (declarative setup): the `config` JSON and the data keys.
import { z } from 'zod';

/** Label that makes a Secret an Argo CD cluster. */
export const ARGOCD_SECRET_TYPE_LABEL = 'argocd.argoproj.io/secret-type';
/** Value of the secret-type label for clusters. */
export const ARGOCD_SECRET_TYPE_CLUSTER = 'cluster';

/** The `config` JSON of an Argo CD cluster Secret. */
export const ClusterConfigSchema = z.looseObject({
  username: z.string().optional(),
  password: z.string().optional(),
  bearerToken: z.string().optional(),
  tlsClientConfig: z
    .looseObject({
      insecure: z.boolean().optional(),
      serverName: z.string().optional(),
      certData: z.string().optional(),
      keyData: z.string().optional(),
      caData: z.string().optional(),
    })
    .optional(),
  awsAuthConfig: z
    .looseObject({ clusterName: z.string().optional(), roleARN: z.string().optional(), profile: z.string().optional() })
    .optional(),
  execProviderConfig: z
    .looseObject({
      command: z.string().optional(),
      args: z.array(z.string()).optional(),
      env: z.record(z.string(), z.string()).optional(),
      apiVersion: z.string().optional(),
      installHint: z.string().optional(),
    })
    .optional(),
  proxyUrl: z.string().optional(),
  disableCompression: z.boolean().optional(),
});

/** Cluster connection config. */
export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;

/** The decoded `data` of an Argo CD cluster Secret. */
export const ClusterSecretDataSchema = z.object({
  name: z.string().min(1),
  server: z.string().min(1),
  config: z.string().optional(),
  namespaces: z.string().optional(),
  clusterResources: z.string().optional(),
  project: z.string().optional(),
  shard: z.string().optional(),
});

/** Decoded cluster Secret data. */
export type ClusterSecretData = z.infer<typeof ClusterSecretDataSchema>;
