import { z } from 'zod';
import type { KindInfo } from '../../api/kinds.js';
import { SCALE_KIND } from '../../api/kinds.js';
import { listSchemaOf, watchEventSchema } from '../../api/list.js';
import {
  labelSelectorRequirementSchema, labelSelectorSchema, listMetaSchema, objectMetaSchema, objectReferenceSchema, ownerReferenceSchema,
} from '../../api/meta.js';
import {
  containerPortSchema, containerSchema, containerStatusSchema, envVarSchema, podSpecSchema, podStatusSchema, podTemplateSpecSchema,
  probeSchema, tolerationSchema, volumeMountSchema, volumeSchema,
} from '../../api/pod.js';
import { servicePortSchema, serviceSpecSchema, serviceStatusSchema } from '../../api/service.js';
import { nodeAddressSchema, nodeSpecSchema, nodeStatusSchema, taintSchema } from '../../api/node.js';
import { deploymentSpecSchema, deploymentStatusSchema, deploymentStrategySchema } from '../../api/deployment.js';
import { replicaSetSpecSchema, replicaSetStatusSchema } from '../../api/replica-set.js';
import { endpointPortSchema, endpointSchema } from '../../api/endpoint-slice.js';
import { endpointAddressSchema, endpointSubsetSchema, endpointsPortSchema } from '../../api/endpoints.js';
import { statusCauseSchema, statusSchema } from '../../api/status.js';
import { patchFieldsForKind } from '../patch/merge-keys.js';
import { META, componentName } from './names.js';
import { SCALAR_COMPONENTS, applyPatchExtensions, toOpenApi30, type SchemaObject } from './schema-shape.js';

const deleteOptionsSchema = z
  .object({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    gracePeriodSeconds: z.number().int().optional().describe('Seconds before the object is deleted; 0 deletes at once.'),
    propagationPolicy: z.string().optional().describe('Orphan, Background or Foreground garbage collection of dependents.'),
    preconditions: z.object({ uid: z.string().optional(), resourceVersion: z.string().optional() }).optional(),
    dryRun: z.array(z.string()).optional(),
  })
  .describe('Options of a DELETE request.');

const patchSchema = z.looseObject({}).describe('A JSON patch, JSON merge patch or strategic merge patch document.');

/** Named sub-schemas shared between kinds (and what kubectl explain shows as their type). */
const SHARED: [z.ZodType, string][] = [
  [objectMetaSchema, `${META}.ObjectMeta`],
  [listMetaSchema, `${META}.ListMeta`],
  [ownerReferenceSchema, `${META}.OwnerReference`],
  [labelSelectorSchema, `${META}.LabelSelector`],
  [labelSelectorRequirementSchema, `${META}.LabelSelectorRequirement`],
  [statusSchema, `${META}.Status`],
  [statusCauseSchema, `${META}.StatusCause`],
  [deleteOptionsSchema, `${META}.DeleteOptions`],
  [patchSchema, `${META}.Patch`],
  [watchEventSchema, `${META}.WatchEvent`],
  [objectReferenceSchema, 'io.k8s.api.core.v1.ObjectReference'],
  [containerSchema, 'io.k8s.api.core.v1.Container'],
  [containerPortSchema, 'io.k8s.api.core.v1.ContainerPort'],
  [containerStatusSchema, 'io.k8s.api.core.v1.ContainerStatus'],
  [envVarSchema, 'io.k8s.api.core.v1.EnvVar'],
  [volumeMountSchema, 'io.k8s.api.core.v1.VolumeMount'],
  [volumeSchema, 'io.k8s.api.core.v1.Volume'],
  [probeSchema, 'io.k8s.api.core.v1.Probe'],
  [tolerationSchema, 'io.k8s.api.core.v1.Toleration'],
  [podSpecSchema, 'io.k8s.api.core.v1.PodSpec'],
  [podStatusSchema, 'io.k8s.api.core.v1.PodStatus'],
  [podTemplateSpecSchema, 'io.k8s.api.core.v1.PodTemplateSpec'],
  [servicePortSchema, 'io.k8s.api.core.v1.ServicePort'],
  [serviceSpecSchema, 'io.k8s.api.core.v1.ServiceSpec'],
  [serviceStatusSchema, 'io.k8s.api.core.v1.ServiceStatus'],
  [nodeSpecSchema, 'io.k8s.api.core.v1.NodeSpec'],
  [nodeStatusSchema, 'io.k8s.api.core.v1.NodeStatus'],
  [nodeAddressSchema, 'io.k8s.api.core.v1.NodeAddress'],
  [taintSchema, 'io.k8s.api.core.v1.Taint'],
  [endpointSubsetSchema, 'io.k8s.api.core.v1.EndpointSubset'],
  [endpointAddressSchema, 'io.k8s.api.core.v1.EndpointAddress'],
  [endpointsPortSchema, 'io.k8s.api.core.v1.EndpointPort'],
  [endpointSchema, 'io.k8s.api.discovery.v1.Endpoint'],
  [endpointPortSchema, 'io.k8s.api.discovery.v1.EndpointPort'],
  [deploymentSpecSchema, 'io.k8s.api.apps.v1.DeploymentSpec'],
  [deploymentStatusSchema, 'io.k8s.api.apps.v1.DeploymentStatus'],
  [deploymentStrategySchema, 'io.k8s.api.apps.v1.DeploymentStrategy'],
  [replicaSetSpecSchema, 'io.k8s.api.apps.v1.ReplicaSetSpec'],
  [replicaSetStatusSchema, 'io.k8s.api.apps.v1.ReplicaSetStatus'],
];

const gvkExtension = (group: string, version: string, kind: string) => ({ 'x-kubernetes-group-version-kind': [{ group, version, kind }] });

/** The kinds a group-version document describes: its own, plus Scale where a kind has /scale. */
export const documentKinds = (kinds: readonly KindInfo[]): KindInfo[] =>
  kinds.some((k) => k.subresources.includes('scale')) ? [...kinds, SCALE_KIND as KindInfo] : [...kinds];

/**
 * `components.schemas` of one group-version document, generated from controller/api's zod
 * schemas: every kind and its `<Kind>List` with `x-kubernetes-group-version-kind`, shared types as
 * `$ref`s, shapes converted to OpenAPI 3.0, strategic-merge extensions from the patch table, and
 * only the components reachable from those kinds.
 */
export const buildComponents = (kinds: readonly KindInfo[]): Record<string, SchemaObject> => {
  const registry = z.registry<{ id: string }>();
  const roots: string[] = [`${META}.Status`, `${META}.DeleteOptions`, `${META}.Patch`, `${META}.WatchEvent`];
  const extensions = new Map<string, Record<string, unknown>>();
  for (const k of documentKinds(kinds)) {
    const name = componentName(k);
    registry.add(k.schema as z.ZodType, { id: name });
    extensions.set(name, gvkExtension(k.group, k.version, k.kind));
    roots.push(name);
    if (k !== SCALE_KIND) {
      const listName = `${name}List`;
      registry.add(listSchemaOf(k.schema as z.ZodType).describe(`A list of ${k.kind} objects.`), { id: listName });
      extensions.set(listName, gvkExtension(k.group, k.version, k.listKind));
      roots.push(listName);
    }
  }
  for (const [schema, id] of SHARED) if (!registry.has(schema)) registry.add(schema, { id });

  const generated = z.toJSONSchema(registry, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, unknown> };

  const schemas: Record<string, SchemaObject> = {};
  for (const [name, schema] of Object.entries(generated.schemas)) {
    schemas[name] = { ...toOpenApi30(schema), ...(extensions.get(name) ?? {}) };
  }
  Object.assign(schemas, SCALAR_COMPONENTS);
  for (const k of documentKinds(kinds)) applyPatchExtensions(schemas, componentName(k), patchFieldsForKind(k.kind));
  return reachable(schemas, roots);
};

/** Drops components no root refers to (directly or through other components). */
const reachable = (schemas: Record<string, SchemaObject>, roots: string[]): Record<string, SchemaObject> => {
  const keep = new Set<string>();
  const visit = (name: string) => {
    if (keep.has(name) || !schemas[name]) return;
    keep.add(name);
    const refs = JSON.stringify(schemas[name]).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g);
    for (const m of refs) visit(m[1] as string);
  };
  roots.forEach(visit);
  return Object.fromEntries(Object.keys(schemas).sort().filter((n) => keep.has(n)).map((n) => [n, schemas[n] as SchemaObject]));
};
