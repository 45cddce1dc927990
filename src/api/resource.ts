// Identity of a Kubernetes resource type: what the REST client needs to build paths and what the CRD
// generator needs to name a CustomResourceDefinition.

/** A resource type addressable through the API server. `group` is '' for the core group. */
export interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** False for kinds whose CRD has no status subresource: status is written on the object itself. */
  readonly statusSubresource?: boolean;
}

/** `group/version`, or just `version` for the core group, as written in `apiVersion`. */
export function apiVersionOf(type: ResourceType): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** The okra API group. */
export const OKRA_GROUP = 'okra.mumo.co';
/** The only okra API version. */
export const OKRA_VERSION = 'v1alpha1';

/** Builds the ResourceType of an okra kind (all namespaced, plural = lower-cased kind + s). */
export function okraType(kind: string): ResourceType {
  return { group: OKRA_GROUP, version: OKRA_VERSION, kind, plural: `${kind.toLowerCase()}s`, namespaced: true };
}

/** Core and foreign resource types okra reads or writes. */
export const CoreTypes = {
  secret: { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  event: { group: '', version: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  configMap: { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  namespace: { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  lease: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true },
  replicaSet: { group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', namespaced: true },
  crd: {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
} as const satisfies Record<string, ResourceType>;
