// Building blocks shared by every zod schema in src/api. Each helper requires a description so that the
// generated CRDs (and `kubectl explain`) document every field.
import { z } from 'zod';

/** Marker key read by the CRD generator: the field accepts an integer or a string. */
export const INT_OR_STRING = 'x-kubernetes-int-or-string';

/** A 32-bit integer, as Kubernetes' int32. */
export const int32 = (description: string): z.ZodInt32 => z.int32().describe(description);

/** A field that accepts `10` or `"10s"`, emitted as `x-kubernetes-int-or-string` in the CRD. */
export const intOrString = (description: string): z.ZodUnion<readonly [z.ZodInt32, z.ZodString]> =>
  z.union([z.int32(), z.string()]).meta({ description, [INT_OR_STRING]: true });

/** A string → string map such as labels or tags. */
export const stringMap = (description: string): z.ZodRecord<z.ZodString, z.ZodString> =>
  z.record(z.string(), z.string()).describe(description);

/** An RFC 3339 timestamp as the API server serialises metav1.Time. */
export const timestamp = (description: string): z.ZodISODateTime =>
  z.iso.datetime({ offset: true }).describe(description);

/** Strict semantic version (MAJOR.MINOR.PATCH[-pre][+build], no leading `v`), as blang/semver parses it. */
export const SEMVER_PATTERN =
  '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$';

/** The parts of metav1.ObjectMeta that okra reads or writes. */
export const ObjectMetaSchema = z.object({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().optional(),
  creationTimestamp: z.string().optional(),
  deletionTimestamp: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  ownerReferences: z
    .array(
      z.object({
        apiVersion: z.string(),
        kind: z.string(),
        name: z.string(),
        uid: z.string(),
        controller: z.boolean().optional(),
        blockOwnerDeletion: z.boolean().optional(),
      }),
    )
    .optional(),
});

/** Object metadata as read from the API server. */
export type ObjectMeta = z.infer<typeof ObjectMetaSchema>;

/** A metav1.Condition: the standard shape `kubectl wait --for=condition=…` understands. */
export const ConditionSchema = z.object({
  type: z.string().describe('Condition type in CamelCase, for example Ready or Progressing.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('Whether the condition holds: True, False or Unknown.'),
  reason: z.string().describe('A CamelCase reason code for the last transition, for programs.'),
  message: z.string().describe('A human-readable explanation of the last transition, for people.'),
  lastTransitionTime: timestamp('When the status of this condition last changed.'),
  observedGeneration: z
    .number()
    .int()
    .optional()
    .describe('The .metadata.generation the condition was computed from.'),
});

/** A status condition. */
export type Condition = z.infer<typeof ConditionSchema>;

/** The conditions list with list-map semantics keyed by `type`, as in metav1. */
export const conditionsList = (): z.ZodOptional<z.ZodArray<typeof ConditionSchema>> =>
  z
    .array(ConditionSchema)
    .meta({
      description: 'The latest observations of the object state, one entry per condition type.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    })
    .optional();

/** Label selector with `matchLabels` only, as every okra selector has. */
export const matchLabelsSelector = (description: string): z.ZodObject<{
  matchLabels: z.ZodOptional<z.ZodRecord<z.ZodString, z.ZodString>>;
}> =>
  z
    .object({
      matchLabels: stringMap(
        'Labels that must all be present with exactly these values. Empty or absent matches everything.',
      ).optional(),
    })
    .describe(description);

/** The status fields every okra kind has had since the original (`lastSyncTime`, `phase`, `reason`, `message`). */
export const syncStatusFields = {
  lastSyncTime: timestamp('When the controller last finished a sync of this object.').optional(),
  phase: z.string().optional().describe('A one-word summary of the object state.'),
  reason: z.string().optional().describe('A CamelCase reason for the current phase.'),
  message: z.string().optional().describe('A human-readable explanation of the current phase.'),
  observedGeneration: z
    .number()
    .int()
    .optional()
    .describe('The .metadata.generation the status was computed from.'),
  conditions: conditionsList(),
};

/** The envelope every Kubernetes object has. */
export const kubeObject = <Spec extends z.ZodType, Status extends z.ZodType>(
  spec: Spec,
  status: Status,
): z.ZodObject<{
  apiVersion: z.ZodOptional<z.ZodString>;
  kind: z.ZodOptional<z.ZodString>;
  metadata: typeof ObjectMetaSchema;
  spec: Spec;
  status: z.ZodOptional<Status>;
}> =>
  z.object({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    metadata: ObjectMetaSchema,
    spec,
    status: status.optional(),
  });
