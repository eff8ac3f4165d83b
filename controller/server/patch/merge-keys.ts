/**
 * The strategic-merge-patch metadata of every kind Sextant serves, in one place: which lists merge
 * (and by which key), which maps clear unlisted keys (`retainKeys`). Everything not listed here is
 * replaced wholesale by a strategic merge patch, exactly as Kubernetes treats fields without a
 * `patchStrategy` tag (tolerations, node taints, Endpoints subsets, EndpointSlice endpoints, ...).
 *
 * The same table feeds `x-kubernetes-patch-strategy` / `x-kubernetes-patch-merge-key` in the
 * OpenAPI documents, so what kubectl computes client-side and what the server merges agree.
 * Facts come from the `patchStrategy`/`patchMergeKey` tags of k8s.io/api (core/v1, apps/v1).
 *
 * Paths are dot-separated JSON field names from the object root; `[]` after a list field steps
 * into its elements: `spec.template.spec.containers[].ports`.
 */

/** How a field merges under strategic merge patch (the `x-kubernetes-patch-strategy` value). */
export type PatchStrategy = 'merge' | 'retainKeys' | 'merge,retainKeys';

export interface FieldPatchMeta {
  readonly strategy: PatchStrategy;
  /** For lists of objects: the field identifying an element. Absent for primitive sets (finalizers). */
  readonly mergeKey?: string;
}

/** What the strategic merge patch algorithm needs to know about one kind. */
export interface PatchSchema {
  /** Metadata of the field at `path` (see the path format above), or undefined: replace. */
  field(path: string): FieldPatchMeta | undefined;
}

type FieldTable = Record<string, FieldPatchMeta>;

const byKey = (mergeKey: string): FieldPatchMeta => ({ strategy: 'merge', mergeKey });
const mergeRetainByKey = (mergeKey: string): FieldPatchMeta => ({ strategy: 'merge,retainKeys', mergeKey });
const primitiveSet: FieldPatchMeta = { strategy: 'merge' };
const retainKeys: FieldPatchMeta = { strategy: 'retainKeys' };

const objectMetaFields: FieldTable = {
  'metadata.ownerReferences': byKey('uid'),
  'metadata.finalizers': primitiveSet,
};

const containerFields = (at: string): FieldTable => ({
  [`${at}.ports`]: byKey('containerPort'),
  [`${at}.env`]: byKey('name'),
  [`${at}.volumeMounts`]: byKey('mountPath'),
  [`${at}.volumeDevices`]: byKey('devicePath'),
});

const podSpecFields = (at: string): FieldTable => ({
  [`${at}.containers`]: byKey('name'),
  ...containerFields(`${at}.containers[]`),
  [`${at}.initContainers`]: byKey('name'),
  ...containerFields(`${at}.initContainers[]`),
  [`${at}.ephemeralContainers`]: byKey('name'),
  ...containerFields(`${at}.ephemeralContainers[]`),
  [`${at}.volumes`]: mergeRetainByKey('name'),
  [`${at}.imagePullSecrets`]: byKey('name'),
  [`${at}.hostAliases`]: byKey('ip'),
  [`${at}.topologySpreadConstraints`]: byKey('topologyKey'),
  [`${at}.schedulingGates`]: byKey('name'),
  [`${at}.resourceClaims`]: mergeRetainByKey('name'),
});

const conditionsAt = (at: string): FieldTable => ({ [`${at}.conditions`]: byKey('type') });

const workloadFields = (): FieldTable => ({
  ...podSpecFields('spec.template.spec'),
  'spec.template.metadata.ownerReferences': byKey('uid'),
  'spec.template.metadata.finalizers': primitiveSet,
  ...conditionsAt('status'),
});

const KIND_FIELDS: Record<string, FieldTable> = {
  Pod: {
    ...podSpecFields('spec'),
    ...conditionsAt('status'),
    'status.podIPs': byKey('ip'),
    'status.hostIPs': byKey('ip'),
  },
  Service: { 'spec.ports': byKey('port'), ...conditionsAt('status') },
  Node: {
    'spec.podCIDRs': primitiveSet,
    ...conditionsAt('status'),
    'status.addresses': byKey('type'),
  },
  Namespace: conditionsAt('status'),
  Deployment: { 'spec.strategy': retainKeys, ...workloadFields() },
  ReplicaSet: workloadFields(),
};

/**
 * kind → field path → patch metadata, for every kind with strategic lists (ObjectMeta's
 * `ownerReferences` and `finalizers` apply to every kind, including ones not listed).
 */
export const MERGE_KEYS: Readonly<Record<string, Readonly<FieldTable>>> = Object.fromEntries(
  Object.entries(KIND_FIELDS).map(([kind, fields]) => [kind, { ...objectMetaFields, ...fields }]),
);

/** All strategic fields of `kind` (ObjectMeta's alone for kinds without others). */
export const patchFieldsForKind = (kind: string): Readonly<FieldTable> => MERGE_KEYS[kind] ?? objectMetaFields;

/** The lookup `applyStrategicMergePatch` uses for `kind`. */
export const patchSchemaForKind = (kind: string): PatchSchema => {
  const fields = patchFieldsForKind(kind);
  return { field: (path) => (Object.hasOwn(fields, path) ? fields[path] : undefined) };
};
