// The generated CRDs on a real apiserver: they are established, keep every field of a full manifest,
// document fields for `kubectl explain`, and make the apiserver refuse invalid objects naming the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreTypes, type ResourceType } from '../src/api/resource.js';
import { AWSApplicationLoadBalancerConfigType } from '../src/api/v1alpha1/awsapplicationloadbalancerconfig.js';
import { AWSTargetGroupType } from '../src/api/v1alpha1/awstargetgroup.js';
import { CellType } from '../src/api/v1alpha1/cell.js';
import { ClusterSetType } from '../src/api/v1alpha1/clusterset.js';
import { okraCrds } from '../src/api/v1alpha1/crds.js';
import { PauseType } from '../src/api/v1alpha1/pause.js';
import { VersionBlocklistType } from '../src/api/v1alpha1/versionblocklist.js';
import type { KubeObject } from '../src/kube/client.js';
import { KubeApiError } from '../src/kube/errors.js';
import { managementClient } from './support/env.js';
import { kubectl } from './support/kubectl.js';
import { createNamespace, deleteNamespace } from './support/namespaces.js';

const client = managementClient();
let ns: string;

beforeAll(async () => {
  ns = await createNamespace(client, 'crds');
});
afterAll(async () => {
  await deleteNamespace(client, ns);
});

const listener = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';

/** A Cell using every field the original okra has, as an existing okra user would write it. */
function fullCell(name: string): KubeObject & { spec: unknown } {
  return {
    apiVersion: 'okra.mumo.co/v1alpha1',
    kind: 'Cell',
    metadata: { name, namespace: ns },
    spec: {
      ingress: {
        type: 'AWSApplicationLoadBalancer',
        awsApplicationLoadBalancer: {
          listenerARN: listener,
          listener: {
            rule: {
              priority: 10,
              hosts: ['example.com'],
              pathPatterns: ['/*'],
              methods: ['GET'],
              sourceIPs: ['10.0.0.0/8'],
              headers: { 'x-canary': ['yes'] },
              queryStrings: { lang: 'en' },
              forward: { targetGroups: [{ name: 'extra', arn: 'arn:tg', weight: 0 }] },
            },
          },
          targetGroupSelector: { matchLabels: { role: 'web' }, versionLabels: ['okra.mumo.co/version', 'app-version'] },
        },
      },
      replicas: 2,
      version: '1.2.3',
      updateStrategy: {
        type: 'Canary',
        canary: {
          steps: [
            { setWeight: 20 },
            { pause: { duration: 30 } },
            { pause: { duration: '1m' } },
            { pause: {} },
            {
              analysis: {
                templates: [{ templateName: 'success-rate', clusterScope: false }],
                args: [
                  { name: 'version', valueFrom: { fieldRef: { fieldPath: 'status.desiredVersion' } } },
                  { name: 'threshold', value: '0.95' },
                ],
              },
            },
            {
              experiment: {
                duration: '5m',
                templates: [{ name: 'canary', specRef: 'web-rs', replicas: 1 }],
                analyses: [{ name: 'smoke', templateName: 'smoke', requiredForCompletion: true }],
              },
            },
          ],
          analysis: { templates: [{ templateName: 'errors' }], startingStep: 1 },
        },
      },
    },
  };
}

describe('okra CRDs on the apiserver', () => {
  it('are all established', async () => {
    const crds = (await client.list<KubeObject & { status?: { conditions?: { type: string; status: string }[] } }>(CoreTypes.crd))
      .items;
    for (const def of okraCrds) {
      const crd = crds.find((c) => c.metadata.name === `${def.type.plural}.${def.type.group}`);
      expect(crd?.status?.conditions?.find((c) => c.type === 'Established')?.status, def.type.kind).toBe('True');
    }
  });

  it('keep every field of a full original-okra Cell (nothing pruned)', async () => {
    const cell = fullCell('full');
    const created = await client.create(CellType, cell);
    expect((created as unknown as { spec: unknown }).spec).toEqual(cell.spec);
  });

  it('serve our field descriptions to kubectl explain', async () => {
    const out = await kubectl('management', ['explain', 'cell.spec.updateStrategy.canary.steps']);
    expect(out).toContain('Steps run in order for every new version.');
    expect(out).toContain('Sets the canary (desired version) total weight to this percentage.');
    expect(out).toContain('Waits for a duration, or until promoted');
  });

  it('show phase, versions, canary weight and age in kubectl get', async () => {
    const out = await kubectl('management', ['get', 'cells', '-n', ns]);
    expect(out.split('\n')[0]).toMatch(/NAME\s+PHASE\s+DESIRED\s+STABLE\s+CANARY\s+STEP\s+AGE/);
  });
});

/** One invalid manifest and the text the apiserver's rejection must contain. */
interface InvalidCase {
  readonly name: string;
  readonly type: ResourceType;
  readonly spec: unknown;
  readonly message: RegExp;
}

const alb = { listenerARN: listener };
const cellSpec = (extra: Record<string, unknown>, canary?: unknown): Record<string, unknown> => ({
  ingress: { type: 'AWSApplicationLoadBalancer', awsApplicationLoadBalancer: alb },
  ...(canary === undefined ? {} : { updateStrategy: { canary } }),
  ...extra,
});

const invalid: InvalidCase[] = [
  { name: 'negative replicas', type: CellType, spec: cellSpec({ replicas: -1 }), message: /spec\.replicas.*greater than or equal to 0/ },
  { name: 'replicas of the wrong type', type: CellType, spec: cellSpec({ replicas: 'two' }), message: /spec\.replicas.*must be of type integer/ },
  { name: 'weight over 100', type: CellType, spec: cellSpec({}, { steps: [{ setWeight: 150 }] }), message: /spec\.updateStrategy\.canary\.steps\[0\]\.setWeight.*less than or equal to 100/ },
  { name: 'unknown ingress type', type: CellType, spec: { ingress: { type: 'GoogleCloudLoadBalancer' } }, message: /spec\.ingress\.type: Unsupported value/ },
  { name: 'missing ingress', type: CellType, spec: { replicas: 1 }, message: /spec\.ingress: Required value/ },
  { name: 'a step with two actions', type: CellType, spec: cellSpec({}, { steps: [{ setWeight: 10, pause: {} }] }), message: /spec\.updateStrategy\.canary\.steps\[0\].*exactly one of setWeight, pause, analysis, experiment/ },
  { name: 'an empty step', type: CellType, spec: cellSpec({}, { steps: [{}] }), message: /spec\.updateStrategy\.canary\.steps\[0\].*exactly one/ },
  { name: 'a version that is not semver', type: CellType, spec: cellSpec({ version: 'v1.0' }), message: /spec\.version.*should match/ },
  { name: 'a rule priority beyond the ALB range', type: CellType, spec: cellSpec({ ingress: { awsApplicationLoadBalancer: { ...alb, listener: { rule: { priority: 60000 } } } } }), message: /spec\.ingress\.awsApplicationLoadBalancer\.listener\.rule\.priority.*less than or equal to 50000/ },
  { name: 'a listener ARN of the wrong type', type: CellType, spec: cellSpec({ ingress: { awsApplicationLoadBalancer: { listenerARN: 42 } } }), message: /spec\.ingress\.awsApplicationLoadBalancer\.listenerARN.*must be of type string/ },
  { name: 'a config without listenerARN', type: AWSApplicationLoadBalancerConfigType, spec: { listener: {} }, message: /spec\.listenerARN: Required value/ },
  { name: 'a forward weight over 999', type: AWSApplicationLoadBalancerConfigType, spec: { ...alb, listener: { rule: { forward: { targetGroups: [{ name: 'a', arn: 'b', weight: 1000 }] } } } }, message: /spec\.listener\.rule\.forward\.targetGroups\[0\]\.weight.*less than or equal to 999/ },
  { name: 'a pause without expireTime', type: PauseType, spec: {}, message: /spec\.expireTime: Required value/ },
  { name: 'a pause expireTime that is not a time', type: PauseType, spec: { expireTime: 'tomorrow' }, message: /spec\.expireTime.*date-time/ },
  { name: 'a blocklist entry without cause', type: VersionBlocklistType, spec: { items: [{ version: '1.0.0' }] }, message: /spec\.items\[0\]\.cause: Required value/ },
  { name: 'a ClusterSet without generators', type: ClusterSetType, spec: { generators: [], template: { metadata: {} } }, message: /spec\.generators.*at least 1 items/ },
  { name: 'a ClusterSet without template', type: ClusterSetType, spec: { generators: [{ awseks: {} }] }, message: /spec\.template: Required value/ },
  { name: 'an AWSTargetGroup without arn', type: AWSTargetGroupType, spec: {}, message: /spec\.arn: Required value/ },
];

describe('invalid manifests are refused by the apiserver', () => {
  it.each(invalid)('$name', async ({ type, spec, message }) => {
    const obj = { apiVersion: 'okra.mumo.co/v1alpha1', kind: type.kind, metadata: { generateName: 'bad-', namespace: ns }, spec };
    const err = await client.create(type, obj).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(422);
    expect((err as KubeApiError).message).toMatch(message);
  });
});
