/** ObjectMeta and LabelSelector validation shared by every kind. */
import type { FieldErrors } from './field-errors.js';
import type { KindInfo } from './kinds.js';
import type { LabelSelector, ObjectMeta } from './meta.js';
import {
  dns1035LabelProblem,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  labelValueProblem,
  qualifiedNameProblem,
} from './names.js';

/** An Event name: any path segment (no '/' or '%', not '.' or '..'). */
function pathSegmentProblem(v: string): string | null {
  if (v === '.' || v === '..') return `may not be '${v}'`;
  if (/[/%]/.test(v)) return "may not contain '/' or '%'";
  return null;
}

/** The name rule of each kind: DNS-1123 subdomain unless listed. */
export function nameProblemFor(kind: string): (v: string) => string | null {
  switch (kind) {
    case 'Namespace': return dns1123LabelProblem;
    case 'Service': return dns1035LabelProblem;
    case 'Event': return pathSegmentProblem;
    default: return dns1123SubdomainProblem;
  }
}

export function validateLabels(errs: FieldErrors, field: string, labels: Record<string, string> | undefined): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    errs.check(field, k, qualifiedNameProblem);
    errs.check(`${field}[${k}]`, v, labelValueProblem);
  }
}

const MAX_ANNOTATIONS_BYTES = 256 * 1024;

export function validateObjectMeta(errs: FieldErrors, kind: KindInfo, meta: ObjectMeta): void {
  const nameProblem = nameProblemFor(kind.kind);
  if (!meta.name && !meta.generateName) errs.required('metadata.name', 'name or generateName is required');
  if (meta.name) errs.check('metadata.name', meta.name, nameProblem);
  if (meta.generateName) {
    const g = meta.generateName.slice(0, 58);
    const p = nameProblem(g.endsWith('-') ? `${g.slice(0, -1)}a` : g);
    if (p) errs.invalid('metadata.generateName', meta.generateName, p);
  }
  if (kind.namespaced) {
    if (!meta.namespace) errs.required('metadata.namespace');
    else errs.check('metadata.namespace', meta.namespace, dns1123LabelProblem);
  } else if (meta.namespace) {
    errs.forbidden('metadata.namespace', 'not allowed on this type');
  }
  validateLabels(errs, 'metadata.labels', meta.labels);
  let size = 0;
  for (const [k, v] of Object.entries(meta.annotations ?? {})) {
    errs.check('metadata.annotations', k.toLowerCase(), qualifiedNameProblem);
    size += k.length + v.length;
  }
  if (size > MAX_ANNOTATIONS_BYTES) errs.tooLong('metadata.annotations', MAX_ANNOTATIONS_BYTES);
  for (const [i, ref] of (meta.ownerReferences ?? []).entries()) {
    const f = `metadata.ownerReferences[${i}]`;
    if (!ref.apiVersion) errs.invalid(`${f}.apiVersion`, ref.apiVersion, 'version must not be empty');
    if (!ref.kind) errs.invalid(`${f}.kind`, ref.kind, 'kind must not be empty');
    if (!ref.name) errs.invalid(`${f}.name`, ref.name, 'name must not be empty');
    if (!ref.uid) errs.invalid(`${f}.uid`, ref.uid, 'uid must not be empty');
  }
  if ((meta.ownerReferences ?? []).filter((r) => r.controller).length > 1) {
    errs.invalid('metadata.ownerReferences', meta.ownerReferences, 'Only one reference can have Controller set to true');
  }
  if (meta.generation !== undefined) errs.nonNegative('metadata.generation', meta.generation);
  for (const [i, f] of (meta.finalizers ?? []).entries()) errs.check(`metadata.finalizers[${i}]`, f, qualifiedNameProblem);
}

const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

export function validateLabelSelector(errs: FieldErrors, field: string, sel: LabelSelector): void {
  validateLabels(errs, `${field}.matchLabels`, sel.matchLabels);
  for (const [i, e] of (sel.matchExpressions ?? []).entries()) {
    const f = `${field}.matchExpressions[${i}]`;
    errs.check(`${f}.key`, e.key, qualifiedNameProblem);
    errs.oneOf(`${f}.operator`, e.operator, SELECTOR_OPERATORS);
    const n = e.values?.length ?? 0;
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0) {
      errs.required(`${f}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\'');
    }
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0) {
      errs.forbidden(`${f}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'');
    }
    for (const [j, v] of (e.values ?? []).entries()) errs.check(`${f}.values[${j}]`, v, labelValueProblem);
  }
}
