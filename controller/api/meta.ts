/**
 * meta.k8s.io/v1 building blocks shared by every kind: ObjectMeta, OwnerReference, ListMeta,
 * LabelSelector, Condition, ObjectReference, and the int-or-string / quantity / opaque shapes.
 *
 * Conventions for every schema in controller/api:
 * - exact Kubernetes JSON field names; every field optional unless Kubernetes always needs it;
 * - `z.object` = a structure Sextant knows completely (unknown keys are reported by
 *   `findUnknownFields`, and stripped on parse, as Kubernetes drops them under Ignore);
 * - `z.looseObject` / `opaque()` = a sub-tree Sextant does not interpret: kept verbatim, never
 *   reported as unknown;
 * - no transforms or defaults inside schemas (defaulting lives in defaults.ts), so
 *   `z.toJSONSchema` converts them for OpenAPI;
 * - JSON `null` is treated as "absent": run `dropNulls` (done by `parseObject`) before parsing.
 */
import { z } from 'zod';

/** A field that holds either an integer or a string (`targetPort: 8080` or `targetPort: http`). */
export const intOrString = (description: string) =>
  z.union([z.number().int(), z.string()]).meta({ description, 'x-kubernetes-int-or-string': true });
export type IntOrString = number | string;

/** A resource quantity (`"500m"`, `"1Gi"`, or a bare number, which Kubernetes also accepts). */
export const quantity = z.union([z.string(), z.number()]).meta({
  description: 'A resource quantity such as "500m", "128Mi" or 2.',
  'x-kubernetes-int-or-string': true,
});

/** A sub-tree Sextant stores verbatim and does not interpret (volumes, affinity, ...). */
export const opaque = (description: string) => z.looseObject({}).describe(description);

/** A string-to-string map (labels, annotations, selectors). */
export const stringMap = (description: string) => z.record(z.string(), z.string()).describe(description);

/** An RFC 3339 timestamp such as `2024-05-01T10:00:00Z`. */
export const timestamp = (description: string) => z.string().describe(description);

/** A list keyed by `key` for strategic merge patch (containers by name, ports by port, ...). */
export const mergeKey = (key: string) => ({
  'x-kubernetes-patch-merge-key': key,
  'x-kubernetes-patch-strategy': 'merge',
});

export const ownerReferenceSchema = z.object({
  apiVersion: z.string().describe('API version of the referent.'),
  kind: z.string().describe('Kind of the referent.'),
  name: z.string().describe('Name of the referent.'),
  uid: z.string().describe('UID of the referent.'),
  controller: z.boolean().optional().describe('True if this reference points to the managing controller.'),
  blockOwnerDeletion: z.boolean().optional().describe('Foreground deletion waits for this dependent when true.'),
});
export type OwnerReference = z.infer<typeof ownerReferenceSchema>;

export const objectMetaSchema = z
  .object({
    name: z.string().optional().describe('Unique name within a namespace (DNS-1123 subdomain for most kinds).'),
    generateName: z.string().optional().describe('Prefix the server completes with a random suffix when name is empty.'),
    namespace: z.string().optional().describe('Namespace of a namespaced object; empty for cluster-scoped kinds.'),
    selfLink: z.string().optional().describe('Deprecated; never set by Sextant.'),
    uid: z.string().optional().describe('Unique identity set by the server on creation.'),
    resourceVersion: z.string().optional().describe('Opaque store revision of this object, used for optimistic concurrency and watches.'),
    generation: z.number().int().optional().describe('Sequence number of the desired state (spec) changes.'),
    creationTimestamp: timestamp('When the server created the object (RFC 3339).').optional(),
    deletionTimestamp: timestamp('When graceful deletion was requested (RFC 3339).').optional(),
    deletionGracePeriodSeconds: z.number().int().optional().describe('Seconds allowed for graceful termination.'),
    labels: stringMap('Key/value pairs used by selectors.').optional(),
    annotations: stringMap('Arbitrary non-identifying key/value metadata.').optional(),
    ownerReferences: z.array(ownerReferenceSchema).optional().meta({ description: 'Objects this one depends on.', ...mergeKey('uid') }),
    finalizers: z.array(z.string()).optional().describe('Must be empty before the object is removed from storage.'),
    managedFields: z.array(z.looseObject({})).optional().describe('Server-side apply bookkeeping, stored verbatim.'),
  })
  .describe('Standard object metadata.');
export type ObjectMeta = z.infer<typeof objectMetaSchema>;

export const listMetaSchema = z.object({
  selfLink: z.string().optional(),
  resourceVersion: z.string().optional().describe('Store revision the list was read at; start a watch from it.'),
  continue: z.string().optional().describe('Token for the next page when the list was limited.'),
  remainingItemCount: z.number().int().optional(),
});
export type ListMeta = z.infer<typeof listMetaSchema>;

/** Every Kubernetes object: apiVersion, kind, metadata. */
export const kubeObjectSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: objectMetaSchema,
});
export type KubeObject = z.infer<typeof kubeObjectSchema>;

export const labelSelectorRequirementSchema = z.object({
  key: z.string().describe('The label key the selector applies to.'),
  operator: z.string().describe('In, NotIn, Exists or DoesNotExist.'),
  values: z.array(z.string()).optional().describe('Values for In/NotIn; empty for Exists/DoesNotExist.'),
});
export type LabelSelectorRequirement = z.infer<typeof labelSelectorRequirementSchema>;

export const labelSelectorSchema = z
  .object({
    matchLabels: stringMap('Labels that must match exactly (ANDed).').optional(),
    matchExpressions: z.array(labelSelectorRequirementSchema).optional().describe('Set-based requirements (ANDed).'),
  })
  .describe('A label query over objects; empty selects everything.');
export type LabelSelector = z.infer<typeof labelSelectorSchema>;

/** metav1.Condition and the per-kind condition shapes (they share these fields). */
export const conditionSchema = z.object({
  type: z.string().describe('Condition type, e.g. Ready.'),
  status: z.string().describe('True, False or Unknown.'),
  observedGeneration: z.number().int().optional(),
  lastProbeTime: timestamp('Last time the condition was probed.').optional(),
  lastHeartbeatTime: timestamp('Last time the condition was reported.').optional(),
  lastUpdateTime: timestamp('Last time the condition was updated.').optional(),
  lastTransitionTime: timestamp('Last time the status changed.').optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type Condition = z.infer<typeof conditionSchema>;

export const objectReferenceSchema = z.object({
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiVersion: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});
export type ObjectReference = z.infer<typeof objectReferenceSchema>;
