// EKS behind a narrow port: list every cluster name (all pages) and describe one cluster.
import {
  DescribeClusterCommand,
  EKSClient,
  ResourceNotFoundException,
  paginateListClusters,
} from '@aws-sdk/client-eks';
import { sdkConfig, type AwsSettings } from './config.js';
import { instrument, type AwsCallObserver } from './instrument.js';

/** The parts of an EKS cluster okra uses. */
export interface EksCluster {
  readonly name: string;
  readonly arn?: string | undefined;
  /** CREATING, ACTIVE, DELETING, FAILED, UPDATING or PENDING. */
  readonly status: string;
  readonly endpoint?: string | undefined;
  /** Base64 PEM of the cluster CA, as DescribeCluster returns it. */
  readonly caData?: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  /** Kubernetes version, for example 1.34. */
  readonly version?: string | undefined;
}

/** EKS operations ClusterSet needs. */
export interface EksPort {
  /** Every cluster name in the region, following every page. Throws when any page fails. */
  listClusterNames(): Promise<string[]>;
  /** One cluster, or undefined when it no longer exists. */
  describeCluster(name: string): Promise<EksCluster | undefined>;
}

/** EksPort over the AWS SDK. */
export class SdkEks implements EksPort {
  private readonly client: EKSClient;

  constructor(settings: AwsSettings, observer?: AwsCallObserver) {
    this.client = instrument(new EKSClient(sdkConfig(settings)), 'eks', observer);
  }

  async listClusterNames(): Promise<string[]> {
    const names: string[] = [];
    for await (const page of paginateListClusters({ client: this.client, pageSize: 100 }, {})) {
      names.push(...(page.clusters ?? []));
    }
    return names;
  }

  async describeCluster(name: string): Promise<EksCluster | undefined> {
    try {
      const { cluster } = await this.client.send(new DescribeClusterCommand({ name }));
      if (!cluster) return undefined;
      return {
        name: cluster.name ?? name,
        arn: cluster.arn,
        status: cluster.status ?? 'UNKNOWN',
        endpoint: cluster.endpoint,
        caData: cluster.certificateAuthority?.data,
        tags: cluster.tags ?? {},
        version: cluster.version,
      };
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  }
}
