/**
 * `validateObject`: schema, metadata and per-kind semantic validation of an object about to be
 * stored, with Kubernetes-style causes for a 422 Invalid Status. Pass `old` on update to check
 * immutable fields.
 */
import { causesFromZod, withoutNulls } from './decode.js';
import { quickCheck } from './quick-check.js';
import type { Deployment } from './deployment.js';
import type { EndpointSlice } from './endpoint-slice.js';
import type { Endpoints } from './endpoints.js';
import { UnknownKindError } from './errors.js';
import type { Binding, Event } from './event.js';
import { FieldErrors, type FieldCause } from './field-errors.js';
import { resolveKind, type KindInfo } from './kinds.js';
import type { Lease } from './lease.js';
import type { ObjectMeta } from './meta.js';
import type { Node } from './node.js';
import type { Pod } from './pod.js';
import type { ReplicaSet } from './replica-set.js';
import type { Scale } from './scale.js';
import type { Service } from './service.js';
import { validateDeployment, validateReplicaSet, validateSelectorUpdate } from './validate-apps.js';
import { validateObjectMeta } from './validate-meta.js';
import {
  validateBinding,
  validateEndpoints,
  validateEndpointSlice,
  validateEndpointSliceUpdate,
  validateEvent,
  validateLease,
  validateNode,
  validateNodeUpdate,
  validateScale,
} from './validate-other.js';
import { validatePodSpec, validatePodUpdate } from './validate-pod.js';
import { validateServiceSpec, validateServiceUpdate } from './validate-service.js';

export interface ValidateOptions {
  /** The stored object this one replaces (update); enables immutability checks. */
  old?: unknown;
}

type Check = (errs: FieldErrors, obj: never, old: never | undefined) => void;

const checks: Record<string, Check> = {
  Pod: (errs, pod: Pod, old: Pod | undefined) => {
    validatePodSpec(errs, 'spec', pod.spec);
    if (old) validatePodUpdate(errs, pod.spec, old.spec);
  },
  Service: (errs, svc: Service, old: Service | undefined) => {
    validateServiceSpec(errs, svc.spec);
    if (old) validateServiceUpdate(errs, svc, old);
  },
  Deployment: (errs, d: Deployment, old: Deployment | undefined) => {
    validateDeployment(errs, d);
    if (old) validateSelectorUpdate(errs, d.spec.selector, old.spec.selector);
  },
  ReplicaSet: (errs, rs: ReplicaSet, old: ReplicaSet | undefined) => {
    validateReplicaSet(errs, rs);
    if (old) validateSelectorUpdate(errs, rs.spec.selector, old.spec.selector);
  },
  Endpoints: (errs, e: Endpoints) => validateEndpoints(errs, e),
  EndpointSlice: (errs, s: EndpointSlice, old: EndpointSlice | undefined) => {
    validateEndpointSlice(errs, s);
    if (old) validateEndpointSliceUpdate(errs, s, old);
  },
  Node: (errs, n: Node, old: Node | undefined) => {
    validateNode(errs, n);
    if (old) validateNodeUpdate(errs, n, old);
  },
  Event: (errs, e: Event) => validateEvent(errs, e),
  Lease: (errs, l: Lease) => validateLease(errs, l),
  Binding: (errs, b: Binding) => validateBinding(errs, b),
  Scale: (errs, s: Scale) => validateScale(errs, s),
};

/**
 * All problems of `obj` as an object of `kind`, empty when valid. Shape errors (wrong types,
 * missing required fields) are reported first and stop the semantic checks.
 */
export function validateObject(kind: KindInfo | string, obj: unknown, opts: ValidateOptions = {}): FieldCause[] {
  const k = resolveKind(kind);
  if (!k) throw new UnknownKindError(String(kind));
  const clean = withoutNulls(obj);
  // The common case, a well-formed object, is confirmed by the compiled quick check; zod runs
  // when it cannot confirm, for the verdict and its causes.
  let value: { metadata: ObjectMeta };
  if (quickCheck(k.schema, clean)) value = clean as { metadata: ObjectMeta };
  else {
    const parsed = k.schema.safeParse(clean);
    if (!parsed.success) {
      return causesFromZod(parsed.error, clean).map((c) => ({ field: c.field ?? '', reason: c.reason ?? 'FieldValueInvalid', message: c.message ?? '' }));
    }
    value = parsed.data as { metadata: ObjectMeta };
  }
  const errs = new FieldErrors();
  if (k.kind !== 'Scale') validateObjectMeta(errs, k, value.metadata);
  let old: unknown;
  if (opts.old !== undefined) {
    const cleanOld = withoutNulls(opts.old);
    if (quickCheck(k.schema, cleanOld)) old = cleanOld;
    else {
      const o = k.schema.safeParse(cleanOld);
      old = o.success ? o.data : undefined;
    }
    const oldMeta = (old as { metadata?: ObjectMeta } | undefined)?.metadata;
    if (oldMeta?.name && value.metadata.name && oldMeta.name !== value.metadata.name) errs.immutable('metadata.name', value.metadata.name);
    if (oldMeta?.namespace && value.metadata.namespace && oldMeta.namespace !== value.metadata.namespace) {
      errs.immutable('metadata.namespace', value.metadata.namespace);
    }
    if (oldMeta?.uid && value.metadata.uid && oldMeta.uid !== value.metadata.uid) errs.immutable('metadata.uid', value.metadata.uid);
  }
  const check = checks[k.kind] as ((e: FieldErrors, o: unknown, old: unknown) => void) | undefined;
  check?.(errs, value, old);
  return errs.causes;
}
