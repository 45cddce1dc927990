// The seven okra kinds as CRD definitions: descriptions, printer columns and short names.
import type { CrdDefinition, PrinterColumn } from '../crd.js';
import { AWSApplicationLoadBalancerConfigSpecSchema, AWSApplicationLoadBalancerConfigStatusSchema, AWSApplicationLoadBalancerConfigType } from './awsapplicationloadbalancerconfig.js';
import { AWSTargetGroupSpecSchema, AWSTargetGroupStatusSchema, AWSTargetGroupType } from './awstargetgroup.js';
import { AWSTargetGroupSetSpecSchema, AWSTargetGroupSetStatusSchema, AWSTargetGroupSetType } from './awstargetgroupset.js';
import { CellSpecSchema, CellStatusSchema, CellType } from './cell.js';
import { ClusterSetSpecSchema, ClusterSetStatusSchema, ClusterSetType } from './clusterset.js';
import { PauseSpecSchema, PauseStatusSchema, PauseType } from './pause.js';
import { VersionBlocklistSpecSchema, VersionBlocklistStatusSchema, VersionBlocklistType } from './versionblocklist.js';

const lastSync: PrinterColumn = { name: 'Last Sync', type: 'date', jsonPath: '.status.lastSyncTime', priority: 1 };
const age: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };
const ready: PrinterColumn = { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' };
const message: PrinterColumn = { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 };

/** Every okra CRD, in the order they are written to crds/. */
export const okraCrds: readonly CrdDefinition[] = [
  {
    type: CellType,
    description: 'Cell shifts an ALB listener rule\'s traffic from the stable version\'s target groups to a new version\'s in canary steps.',
    spec: CellSpecSchema,
    status: CellStatusSchema,
    printerColumns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Desired', type: 'string', jsonPath: '.status.desiredVersion', description: 'Version being rolled out' },
      { name: 'Stable', type: 'string', jsonPath: '.status.stableVersion', description: 'Last completed version' },
      { name: 'Canary', type: 'integer', jsonPath: '.status.canaryWeight', description: 'Canary weight in percent' },
      { name: 'Step', type: 'integer', jsonPath: '.status.currentStepIndex' },
      age,
      message,
      lastSync,
    ],
  },
  {
    type: ClusterSetType,
    description: 'ClusterSet discovers EKS clusters by tags and writes one Argo CD cluster Secret per ACTIVE cluster.',
    spec: ClusterSetSpecSchema,
    status: ClusterSetStatusSchema,
    printerColumns: [ready, { name: 'Phase', type: 'string', jsonPath: '.status.phase' }, age, message, lastSync],
  },
  {
    type: AWSTargetGroupSetType,
    description: 'AWSTargetGroupSet mirrors TargetGroupBindings of workload clusters as AWSTargetGroups.',
    spec: AWSTargetGroupSetSpecSchema,
    status: AWSTargetGroupSetStatusSchema,
    printerColumns: [ready, { name: 'Phase', type: 'string', jsonPath: '.status.phase' }, age, message, lastSync],
  },
  {
    type: AWSTargetGroupType,
    description: 'AWSTargetGroup is an AWS target group with a version label: the unit a Cell rolls out.',
    spec: AWSTargetGroupSpecSchema,
    status: AWSTargetGroupStatusSchema,
    printerColumns: [
      { name: 'Version', type: 'string', jsonPath: '.metadata.labels.okra\\.mumo\\.co/version' },
      { name: 'ARN', type: 'string', jsonPath: '.spec.arn', priority: 1 },
      age,
      lastSync,
    ],
  },
  {
    type: AWSApplicationLoadBalancerConfigType,
    description: 'AWSApplicationLoadBalancerConfig keeps one ALB listener rule in sync with its spec.',
    spec: AWSApplicationLoadBalancerConfigSpecSchema,
    status: AWSApplicationLoadBalancerConfigStatusSchema,
    printerColumns: [
      ready,
      { name: 'Priority', type: 'integer', jsonPath: '.spec.listener.rule.priority' },
      { name: 'Listener', type: 'string', jsonPath: '.spec.listenerARN', priority: 1 },
      age,
      message,
      lastSync,
    ],
  },
  {
    type: PauseType,
    description: 'Pause is a timed wait created by a Cell\'s pause step: Started, then Expired, unless Cancelled.',
    spec: PauseSpecSchema,
    status: PauseStatusSchema,
    printerColumns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
      { name: 'Expires At', type: 'date', jsonPath: '.spec.expireTime' },
      lastSync,
    ],
  },
  {
    type: VersionBlocklistType,
    description: 'VersionBlocklist lists versions the Cell of the same name must not roll out again.',
    spec: VersionBlocklistSpecSchema,
    status: VersionBlocklistStatusSchema,
    printerColumns: [{ name: 'Versions', type: 'string', jsonPath: '.spec.items[*].version' }, age, lastSync],
  },
];
