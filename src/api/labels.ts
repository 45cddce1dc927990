// Label and annotation keys okra reads and writes. Keys inherited from the original okra keep their
// names, so existing selectors and dashboards keep working.

/** Default label carrying a target group's (or cluster's) semantic version. */
export const VERSION_LABEL = 'okra.mumo.co/version';
/** On Argo CD cluster Secrets: the ClusterSet that owns the Secret. */
export const CLUSTERSET_LABEL = 'okra.mumo.co/clusterset';
/** On cluster Secrets: the EKS cluster ARN the Secret was generated from. */
export const EKS_CLUSTER_ARN_ANNOTATION = 'okra.mumo.co/eks-cluster-arn';
/** On generated objects: hash of what okra last applied, to skip writes that would change nothing. */
export const APPLIED_HASH_ANNOTATION = 'okra.mumo.co/applied-hash';
/** On AWSTargetGroups: the AWSTargetGroupSet that owns them. */
export const TARGETGROUPSET_LABEL = 'okra.mumo.co/awstargetgroupset';
/** On AWSTargetGroups: the cluster Secret the binding was found through (original okra key). */
export const BINDING_CLUSTER_LABEL = 'okra.mumo.co/target-group-binding-cluster';
/** On AWSTargetGroups: the binding's namespace (original okra key). */
export const BINDING_NAMESPACE_LABEL = 'okra.mumo.co/target-group-binding-namespace';
/** On AWSTargetGroups: the binding's name (original okra key). */
export const BINDING_NAME_LABEL = 'okra.mumo.co/target-group-binding-name';
/** Field manager of every server-side apply okra does. */
export const FIELD_MANAGER = 'okra';
