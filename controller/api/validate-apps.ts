/** Deployment and ReplicaSet validation: selector, template, strategy, and immutable selectors. */
import type { Deployment } from './deployment.js';
import type { FieldErrors } from './field-errors.js';
import { labelSelectorFromObject, matchesLabels, selectsEverything } from './label-selector.js';
import type { LabelSelector } from './meta.js';
import type { PodTemplateSpec } from './pod.js';
import type { ReplicaSet } from './replica-set.js';
import { validateLabels, validateLabelSelector } from './validate-meta.js';
import { validatePodSpec } from './validate-pod.js';

function validateSelectorAndTemplate(errs: FieldErrors, kind: string, selector: LabelSelector, template: PodTemplateSpec | undefined): void {
  validateLabelSelector(errs, 'spec.selector', selector);
  let parsed;
  try {
    parsed = labelSelectorFromObject(selector);
  } catch {
    return;
  }
  if (selectsEverything(parsed)) errs.invalid('spec.selector', selector, `empty selector is invalid for ${kind}`);
  if (!template) return;
  const labels = template.metadata?.labels ?? {};
  validateLabels(errs, 'spec.template.metadata.labels', labels);
  if (!matchesLabels(parsed, labels)) errs.invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`');
  validatePodSpec(errs, 'spec.template.spec', template.spec);
  if (template.spec.restartPolicy !== undefined && template.spec.restartPolicy !== 'Always') {
    errs.notSupported('spec.template.spec.restartPolicy', template.spec.restartPolicy, ['Always']);
  }
  if (template.spec.activeDeadlineSeconds !== undefined) {
    errs.forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kind} is not Supported`);
  }
}

const intOrPercent = /^(\d+)%$/;

function validateIntOrPercent(errs: FieldErrors, field: string, v: number | string | undefined, maxPercent: boolean): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number') {
    errs.nonNegative(field, v);
    return v;
  }
  const m = intOrPercent.exec(v);
  if (!m) {
    errs.invalid(field, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%' or '93%')");
    return undefined;
  }
  const n = Number(m[1]);
  if (maxPercent && n > 100) errs.invalid(field, v, 'must not be greater than 100%');
  return n;
}

export function validateDeployment(errs: FieldErrors, d: Deployment): void {
  const spec = d.spec;
  validateSelectorAndTemplate(errs, 'deployment', spec.selector, spec.template);
  errs.nonNegative('spec.replicas', spec.replicas);
  errs.nonNegative('spec.minReadySeconds', spec.minReadySeconds);
  errs.nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit);
  if (spec.progressDeadlineSeconds !== undefined) {
    errs.nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds);
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds');
    }
  }
  const strategy = spec.strategy;
  if (!strategy) return;
  errs.oneOf('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']);
  if (strategy.type === 'Recreate' && strategy.rollingUpdate) {
    errs.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'");
  }
  const ru = strategy.rollingUpdate;
  if (ru) {
    const unavailable = validateIntOrPercent(errs, 'spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, true);
    const surge = validateIntOrPercent(errs, 'spec.strategy.rollingUpdate.maxSurge', ru.maxSurge, false);
    if (unavailable === 0 && surge === 0) {
      errs.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0');
    }
  }
}

export function validateReplicaSet(errs: FieldErrors, rs: ReplicaSet): void {
  validateSelectorAndTemplate(errs, 'replicaset', rs.spec.selector, rs.spec.template);
  errs.nonNegative('spec.replicas', rs.spec.replicas);
  errs.nonNegative('spec.minReadySeconds', rs.spec.minReadySeconds);
  if ((rs.spec.replicas ?? 1) > 0 && !rs.spec.template) errs.required('spec.template');
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** apps/v1 selectors are immutable. */
export function validateSelectorUpdate(errs: FieldErrors, selector: LabelSelector, old: LabelSelector): void {
  if (!same(labelSelectorFromObjectSafe(selector), labelSelectorFromObjectSafe(old))) errs.immutable('spec.selector', selector);
}

function labelSelectorFromObjectSafe(sel: LabelSelector): unknown {
  try {
    return labelSelectorFromObject(sel);
  } catch {
    return sel;
  }
}
