// A webhook token authenticator for the workload cluster, doing what aws-iam-authenticator's server side
// does for EKS tokens: decode "k8s-aws-v1." tokens, check they are presigned STS GetCallerIdentity URLs
// for our STS endpoint that sign the x-k8s-aws-id header and are less than 15 minutes old, then replay
// them against STS (moto) and map the returned identity to a Kubernetes user.
//
// moto neither verifies presigned signatures nor reads query-string credentials, so this server verifies
// the SigV4 signature itself (test/support/sigv4.ts) with the secrets moto knows (static test keys, IAM
// access keys and assumed-role credentials from /moto-api/data.json), and names the verified access key
// in the replay so moto reports the right caller.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { amzDate, verifyPresignedUrl, type SigningSecret } from '../support/sigv4.js';
import { freePort } from './process.js';

const PREFIX = 'k8s-aws-v1.';
const MAX_AGE_MS = 15 * 60_000;

/** A TokenReview answer. */
export type Review = { authenticated: true; username: string; uid: string } | { authenticated: false; error: string };

/** Options of the authenticator. */
export interface EksAuthenticatorOptions {
  /** The cluster ID tokens must be signed for (x-k8s-aws-id). */
  readonly clusterId: string;
  /** Static credentials accepted besides those moto issued. */
  readonly staticSecrets?: Readonly<Record<string, string>>;
}

interface MotoData {
  sts?: { AssumedRole?: { access_key_id: string; secret_access_key: string; session_token: string }[] };
  iam?: { AccessKey?: { access_key_id: string; secret_access_key: string }[] };
}

/** The running authenticator. */
export class EksAuthenticator {
  private stsEndpoint: string | undefined;
  /** Secrets learnt from moto; a key's secret never changes, so each is looked up once. */
  private readonly learnt = new Map<string, SigningSecret>();
  /** Every review, for tests to inspect. */
  readonly reviews: Review[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: EksAuthenticatorOptions,
  ) {}

  /** Starts listening on a free loopback port. */
  static async start(options: EksAuthenticatorOptions): Promise<EksAuthenticator> {
    const port = await freePort();
    const server = createServer();
    const self = new EksAuthenticator(server, port, options);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void self.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return self;
  }

  /** Points replays and host checks at the STS endpoint (known once moto runs). */
  setStsEndpoint(endpoint: string): void {
    this.stsEndpoint = endpoint;
  }

  /** Writes the kubeconfig kube-apiserver's --authentication-token-webhook-config-file needs. */
  writeWebhookConfig(dir: string): string {
    const path = join(dir, 'token-webhook.kubeconfig');
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'eks-authenticator', cluster: { server: `http://127.0.0.1:${this.port}/authenticate` } }],
        users: [{ name: 'apiserver', user: {} }],
        contexts: [{ name: 'webhook', context: { cluster: 'eks-authenticator', user: 'apiserver' } }],
        'current-context': 'webhook',
      }),
    );
    return path;
  }

  /** Stops the server. */
  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => { resolve(); }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const review = JSON.parse(body) as { apiVersion?: string; spec?: { token?: string } };
    const result = await this.review(review.spec?.token ?? '').catch((err: unknown) => ({
      authenticated: false as const,
      error: err instanceof Error ? err.message : String(err),
    }));
    this.reviews.push(result);
    const status = result.authenticated
      ? { authenticated: true, user: { username: result.username, uid: result.uid, groups: [] } }
      : { authenticated: false, error: result.error };
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ apiVersion: review.apiVersion ?? 'authentication.k8s.io/v1', kind: 'TokenReview', status }));
  }

  /** Decides one token. */
  async review(token: string): Promise<Review> {
    if (!token.startsWith(PREFIX)) return { authenticated: false, error: 'not an EKS token' };
    let url: URL;
    try {
      url = new URL(Buffer.from(token.slice(PREFIX.length), 'base64url').toString());
    } catch {
      return { authenticated: false, error: 'token does not decode to a URL' };
    }
    const shapeError = this.checkShape(url);
    if (shapeError) return { authenticated: false, error: shapeError };
    const accessKeyId = (url.searchParams.get('X-Amz-Credential') ?? '').split('/')[0] ?? '';
    const secret = await this.secretFor(accessKeyId);
    const verified = verifyPresignedUrl(url, { 'x-k8s-aws-id': this.options.clusterId }, (id) => (id === accessKeyId ? secret : undefined));
    if (!verified.ok) return { authenticated: false, error: verified.reason };
    const arn = await this.callerArn(url);
    return { authenticated: true, username: canonicalArn(arn), uid: `aws-iam-authenticator:${verified.accessKeyId}` };
  }

  private checkShape(url: URL): string | undefined {
    const q = url.searchParams;
    if (!this.stsEndpoint || url.origin !== new URL(this.stsEndpoint).origin) return `unexpected STS host ${url.host}`;
    if (url.pathname !== '/' || q.get('Action') !== 'GetCallerIdentity' || q.get('Version') !== '2011-06-15') {
      return 'not a GetCallerIdentity request';
    }
    if (!(q.get('X-Amz-SignedHeaders') ?? '').split(';').includes('x-k8s-aws-id')) return 'x-k8s-aws-id is not signed';
    const expires = Number(q.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 0 || expires > 900) return 'X-Amz-Expires out of range';
    const date = amzDate(q.get('X-Amz-Date') ?? '');
    if (!date) return 'X-Amz-Date missing';
    if (Date.now() - date.getTime() > MAX_AGE_MS) return 'token expired';
    return undefined;
  }

  /**
   * The secret of an access key: a static test key, or one moto issued (IAM access keys, assumed-role
   * credentials), read from moto's state dump. The dump is large and slow on a busy moto, so it is read
   * only for a key not seen before.
   */
  private async secretFor(accessKeyId: string): Promise<SigningSecret | undefined> {
    const fixed = this.options.staticSecrets?.[accessKeyId];
    if (fixed !== undefined) return { secretAccessKey: fixed };
    if (!this.learnt.has(accessKeyId)) {
      const data = (await (await fetch(`${this.stsEndpoint ?? ''}/moto-api/data.json`)).json()) as MotoData;
      for (const key of data.iam?.AccessKey ?? []) this.learnt.set(key.access_key_id, { secretAccessKey: key.secret_access_key });
      for (const role of data.sts?.AssumedRole ?? []) {
        this.learnt.set(role.access_key_id, { secretAccessKey: role.secret_access_key, sessionToken: role.session_token });
      }
    }
    return this.learnt.get(accessKeyId);
  }

  private async callerArn(url: URL): Promise<string> {
    const q = url.searchParams;
    const res = await fetch(url, {
      headers: {
        'x-k8s-aws-id': this.options.clusterId,
        // moto ignores query-string credentials; restate the (verified) ones in header form, where it
        // looks for the caller and the region.
        Authorization: `AWS4-HMAC-SHA256 Credential=${q.get('X-Amz-Credential') ?? ''}, SignedHeaders=${q.get('X-Amz-SignedHeaders') ?? ''}, Signature=${q.get('X-Amz-Signature') ?? ''}`,
      },
    });
    const text = await res.text();
    const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
    if (!res.ok || !arn) throw new Error(`STS GetCallerIdentity failed: HTTP ${res.status}`);
    return arn;
  }
}

/** Maps an STS caller ARN to the identity EKS uses: assumed roles become their role ARN. */
export function canonicalArn(arn: string): string {
  const assumed = /^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return assumed ? `arn:${assumed[1]!}:iam::${assumed[2]!}:role/${assumed[3]!}` : arn;
}
