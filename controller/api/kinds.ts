/**
 * The kinds registry: one entry per served kind with its REST identity (group, version,
 * resource), discovery facts (short names, categories, subresources) and zod schema. The API
 * server builds discovery, OpenAPI and routes from it; clients address resources through it.
 */
import { z } from 'zod';
import { bindingSchema, eventSchema, type Binding, type Event } from './event.js';
import { deploymentSchema, type Deployment } from './deployment.js';
import { endpointSliceSchema, type EndpointSlice } from './endpoint-slice.js';
import { endpointsSchema, type Endpoints } from './endpoints.js';
import { leaseSchema, type Lease } from './lease.js';
import { namespaceSchema, type Namespace } from './namespace.js';
import { nodeSchema, type Node } from './node.js';
import { podSchema, type Pod } from './pod.js';
import { replicaSetSchema, type ReplicaSet } from './replica-set.js';
import { scaleSchema, type Scale } from './scale.js';
import { serviceSchema, type Service } from './service.js';

export type Subresource = 'status' | 'scale' | 'binding' | 'log';

/** One kind as the API serves it. `T` is the object type its schema parses to. */
export interface KindInfo<T = unknown> {
  /** API group; `''` for the core group. */
  readonly group: string;
  readonly version: string;
  /** `v1` for core, `group/version` otherwise. */
  readonly apiVersion: string;
  readonly kind: string;
  /** Plural lower-case resource name used in URLs. */
  readonly resource: string;
  readonly singular: string;
  readonly listKind: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly subresources: readonly Subresource[];
  /** Verbs served on the main resource (discovery; `kubectl api-resources`). */
  readonly verbs: readonly string[];
  readonly schema: z.ZodType<T>;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;

function defineKind<T>(
  k: Omit<KindInfo<T>, 'apiVersion' | 'singular' | 'listKind' | 'verbs' | 'shortNames' | 'categories' | 'subresources'> &
    Partial<Pick<KindInfo<T>, 'shortNames' | 'categories' | 'subresources' | 'verbs'>>,
): KindInfo<T> {
  return {
    apiVersion: k.group === '' ? k.version : `${k.group}/${k.version}`,
    singular: k.kind.toLowerCase(),
    listKind: `${k.kind}List`,
    shortNames: [],
    categories: [],
    subresources: [],
    verbs: ALL_VERBS,
    ...k,
  };
}

/** Every served kind, by kind name. */
export const KINDS = {
  Namespace: defineKind<Namespace>({
    group: '', version: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false,
    shortNames: ['ns'], subresources: ['status'], schema: namespaceSchema,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  Node: defineKind<Node>({
    group: '', version: 'v1', kind: 'Node', resource: 'nodes', namespaced: false,
    shortNames: ['no'], subresources: ['status'], schema: nodeSchema,
  }),
  Pod: defineKind<Pod>({
    group: '', version: 'v1', kind: 'Pod', resource: 'pods', namespaced: true,
    shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'log'], schema: podSchema,
  }),
  Service: defineKind<Service>({
    group: '', version: 'v1', kind: 'Service', resource: 'services', namespaced: true,
    shortNames: ['svc'], categories: ['all'], subresources: ['status'], schema: serviceSchema,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  Endpoints: defineKind<Endpoints>({
    group: '', version: 'v1', kind: 'Endpoints', resource: 'endpoints', namespaced: true,
    shortNames: ['ep'], schema: endpointsSchema,
  }),
  Event: defineKind<Event>({
    group: '', version: 'v1', kind: 'Event', resource: 'events', namespaced: true,
    shortNames: ['ev'], schema: eventSchema,
  }),
  Binding: defineKind<Binding>({
    group: '', version: 'v1', kind: 'Binding', resource: 'bindings', namespaced: true,
    schema: bindingSchema, verbs: ['create'],
  }),
  EndpointSlice: defineKind<EndpointSlice>({
    group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', resource: 'endpointslices', namespaced: true,
    schema: endpointSliceSchema,
  }),
  Deployment: defineKind<Deployment>({
    group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true,
    shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'], schema: deploymentSchema,
  }),
  ReplicaSet: defineKind<ReplicaSet>({
    group: 'apps', version: 'v1', kind: 'ReplicaSet', resource: 'replicasets', namespaced: true,
    shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'], schema: replicaSetSchema,
  }),
  Lease: defineKind<Lease>({
    group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', resource: 'leases', namespaced: true,
    schema: leaseSchema,
  }),
} as const;

export type KindName = keyof typeof KINDS;

/**
 * The kind of the `scale` subresource (not served as a resource of its own, so not in KINDS).
 * Its metadata mirrors the parent object.
 */
export const SCALE_KIND = defineKind<Scale>({
  group: 'autoscaling', version: 'v1', kind: 'Scale', resource: 'scale', namespaced: true,
  schema: scaleSchema, verbs: ['get', 'patch', 'update'],
});

/** Every served kind, in a stable order (core first). */
export function allKinds(): KindInfo[] {
  return Object.values(KINDS) as KindInfo[];
}

/** The kind served at `group`/`resource` (plural), e.g. `('', 'services')`. */
export function kindByResource(group: string, resource: string): KindInfo | undefined {
  return allKinds().find((k) => k.group === group && k.resource === resource);
}

/** The kind with this short name (`svc`, `po`, ...). */
export function kindByShortName(shortName: string): KindInfo | undefined {
  return allKinds().find((k) => k.shortNames.includes(shortName));
}

/** The kind named `kind` (e.g. `Service`), optionally restricted to an API group. */
export function kindByName(kind: string, group?: string): KindInfo | undefined {
  return allKinds().find((k) => k.kind === kind && (group === undefined || k.group === group));
}

/** The kind for an `apiVersion` + `kind` pair as found in a manifest. */
export function kindByApiVersion(apiVersion: string, kind: string): KindInfo | undefined {
  return allKinds().find((k) => k.apiVersion === apiVersion && k.kind === kind);
}

/** Accepts a registry entry or a kind name (`'Service'`) and returns the entry. */
export function resolveKind(kind: KindInfo | string): KindInfo | undefined {
  return typeof kind === 'string' ? kindByName(kind) ?? (kind === 'Scale' ? (SCALE_KIND as KindInfo) : undefined) : kind;
}
