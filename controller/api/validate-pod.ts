/** Pod spec validation (also applied to Deployment and ReplicaSet templates) and pod update rules. */
import type { FieldErrors } from './field-errors.js';
import {
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  ipProblem,
  portNameProblem,
} from './names.js';
import type { Container, PodSpec, Probe } from './pod.js';
import { validateLabels } from './validate-meta.js';
import { jsonEqual } from './json-equal.js';

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'] as const;
const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;

function validateProbe(errs: FieldErrors, f: string, p: Probe | undefined): void {
  if (!p) return;
  const handlers = [p.exec, p.httpGet, p.tcpSocket, p.grpc].filter((h) => h !== undefined).length;
  if (handlers === 0) errs.required(f, 'must specify a handler type');
  if (handlers > 1) errs.forbidden(f, 'may not specify more than 1 handler type');
  for (const [field, v] of [['timeoutSeconds', p.timeoutSeconds], ['periodSeconds', p.periodSeconds], ['successThreshold', p.successThreshold], ['failureThreshold', p.failureThreshold]] as const) {
    if (v !== undefined && v < 1) errs.invalid(`${f}.${field}`, v, 'must be greater than or equal to 1');
  }
  errs.nonNegative(`${f}.initialDelaySeconds`, p.initialDelaySeconds);
  for (const [field, port] of [['httpGet.port', p.httpGet?.port], ['tcpSocket.port', p.tcpSocket?.port]] as const) {
    if (typeof port === 'number') errs.inRange(`${f}.${field}`, port, 1, 65535);
    else if (typeof port === 'string') errs.check(`${f}.${field}`, port, portNameProblem);
  }
}

function validateContainer(errs: FieldErrors, f: string, c: Container, volumes: Set<string>): void {
  if (!c.name) errs.required(`${f}.name`);
  else errs.check(`${f}.name`, c.name, dns1123LabelProblem);
  if (!c.image || c.image.trim() === '') errs.required(`${f}.image`);
  errs.oneOf(`${f}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES);
  errs.oneOf(`${f}.terminationMessagePolicy`, c.terminationMessagePolicy, TERMINATION_MESSAGE_POLICIES);
  const portNames = new Set<string>();
  for (const [i, p] of (c.ports ?? []).entries()) {
    const pf = `${f}.ports[${i}]`;
    errs.inRange(`${pf}.containerPort`, p.containerPort, 1, 65535);
    if (p.hostPort !== undefined && p.hostPort !== 0) errs.inRange(`${pf}.hostPort`, p.hostPort, 1, 65535);
    errs.oneOf(`${pf}.protocol`, p.protocol, PROTOCOLS);
    if (p.hostIP) errs.check(`${pf}.hostIP`, p.hostIP, ipProblem);
    if (p.name !== undefined && p.name !== '') {
      errs.check(`${pf}.name`, p.name, portNameProblem);
      if (portNames.has(p.name)) errs.duplicate(`${pf}.name`, p.name);
      portNames.add(p.name);
    }
  }
  for (const [i, e] of (c.env ?? []).entries()) {
    if (!e.name) errs.required(`${f}.env[${i}].name`);
    else if (e.name.includes('=') || !/^[\x20-\x7e]+$/.test(e.name)) {
      errs.invalid(`${f}.env[${i}].name`, e.name, "a valid environment variable name must consist only of printable ASCII characters other than '='");
    }
    if (e.value !== undefined && e.value !== '' && e.valueFrom) {
      errs.invalid(`${f}.env[${i}].valueFrom`, '', 'may not be specified when `value` is not empty');
    }
  }
  const mountPaths = new Set<string>();
  for (const [i, m] of (c.volumeMounts ?? []).entries()) {
    const mf = `${f}.volumeMounts[${i}]`;
    if (!m.name) errs.required(`${mf}.name`);
    else if (!volumes.has(m.name)) errs.notFound(`${mf}.name`, m.name);
    if (!m.mountPath) errs.required(`${mf}.mountPath`);
    else if (mountPaths.has(m.mountPath)) errs.invalid(`${mf}.mountPath`, m.mountPath, 'must be unique');
    mountPaths.add(m.mountPath);
  }
  validateProbe(errs, `${f}.livenessProbe`, c.livenessProbe);
  validateProbe(errs, `${f}.readinessProbe`, c.readinessProbe);
  validateProbe(errs, `${f}.startupProbe`, c.startupProbe);
}

/** Validates a pod spec whose fields live under `prefix` (`spec` or `spec.template.spec`). */
export function validatePodSpec(errs: FieldErrors, prefix: string, spec: PodSpec): void {
  const volumes = new Set<string>();
  for (const [i, v] of (spec.volumes ?? []).entries()) {
    const name = v.name;
    if (!name) errs.required(`${prefix}.volumes[${i}].name`);
    else {
      errs.check(`${prefix}.volumes[${i}].name`, name, dns1123LabelProblem);
      if (volumes.has(name)) errs.duplicate(`${prefix}.volumes[${i}].name`, name);
      volumes.add(name);
    }
  }
  if (!spec.containers || spec.containers.length === 0) errs.required(`${prefix}.containers`);
  const names = new Set<string>();
  const each = [['initContainers', spec.initContainers ?? []], ['containers', spec.containers ?? []]] as const;
  for (const [list, containers] of each) {
    for (const [i, c] of containers.entries()) {
      const f = `${prefix}.${list}[${i}]`;
      validateContainer(errs, f, c, volumes);
      if (c.name) {
        if (names.has(c.name)) errs.duplicate(`${f}.name`, c.name);
        names.add(c.name);
      }
    }
  }
  errs.oneOf(`${prefix}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES);
  errs.oneOf(`${prefix}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES);
  if (spec.dnsPolicy === 'None' && !(spec.dnsConfig?.nameservers?.length)) {
    errs.required(`${prefix}.dnsConfig`, 'must provide `dnsConfig` with at least one nameserver when `dnsPolicy` is None');
  }
  const ns = spec.dnsConfig?.nameservers ?? [];
  if (ns.length > 3) errs.invalid(`${prefix}.dnsConfig.nameservers`, ns, 'must not have more than 3 nameservers');
  ns.forEach((n, i) => errs.check(`${prefix}.dnsConfig.nameservers[${i}]`, n, ipProblem));
  errs.nonNegative(`${prefix}.terminationGracePeriodSeconds`, spec.terminationGracePeriodSeconds);
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds < 1) {
    errs.invalid(`${prefix}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be between 1 and 2147483647, inclusive');
  }
  if (spec.nodeName) errs.check(`${prefix}.nodeName`, spec.nodeName, dns1123SubdomainProblem);
  if (spec.hostname) errs.check(`${prefix}.hostname`, spec.hostname, dns1123LabelProblem);
  if (spec.subdomain) errs.check(`${prefix}.subdomain`, spec.subdomain, dns1123LabelProblem);
  if (spec.serviceAccountName) errs.check(`${prefix}.serviceAccountName`, spec.serviceAccountName, dns1123SubdomainProblem);
  validateLabels(errs, `${prefix}.nodeSelector`, spec.nodeSelector);
  for (const [i, t] of (spec.tolerations ?? []).entries()) {
    const f = `${prefix}.tolerations[${i}]`;
    errs.oneOf(`${f}.operator`, t.operator, ['Exists', 'Equal']);
    if (t.operator === 'Exists' && t.value) errs.invalid(`${f}.operator`, t.operator, 'value must be empty when `operator` is \'Exists\'');
    if (!t.key && t.operator !== 'Exists') errs.invalid(`${f}.operator`, t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"');
    if (t.effect) errs.oneOf(`${f}.effect`, t.effect, TAINT_EFFECTS);
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.invalid(`${f}.effect`, t.effect ?? '', 'effect must be \'NoExecute\' when `tolerationSeconds` is set');
    }
  }
}

/** The fields of a pod spec an update may change; everything else is immutable. */
function mutablePart(spec: PodSpec, from: PodSpec): PodSpec {
  const copy = structuredClone(spec);
  copy.containers = copy.containers.map((c, i) => ({ ...c, image: from.containers[i]?.image ?? c.image }));
  if (copy.initContainers) copy.initContainers = copy.initContainers.map((c, i) => ({ ...c, image: from.initContainers?.[i]?.image ?? c.image }));
  copy.activeDeadlineSeconds = from.activeDeadlineSeconds;
  copy.tolerations = from.tolerations;
  copy.terminationGracePeriodSeconds = from.terminationGracePeriodSeconds;
  copy.schedulingGates = from.schedulingGates;
  copy.ephemeralContainers = from.ephemeralContainers;
  return copy;
}

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === 'object' && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b)))
      : val,
  );

/** Pod updates may change only images, activeDeadlineSeconds, tolerations (additions) and a few more. */
export function validatePodUpdate(errs: FieldErrors, spec: PodSpec, old: PodSpec): void {
  // The usual update (status, metadata) leaves the spec as it was: nothing below can object.
  if (jsonEqual(spec, old)) return;
  if (canonical(mutablePart(old, spec)) !== canonical(spec)) {
    errs.forbidden(
      'spec',
      'pod updates may only change spec.containers[*].image, spec.initContainers[*].image, spec.activeDeadlineSeconds, spec.tolerations (additions), spec.terminationGracePeriodSeconds and spec.schedulingGates (removals)',
    );
  }
  if (old.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds > old.activeDeadlineSeconds) {
    errs.invalid('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds, 'must be less than or equal to the previous value');
  }
  const oldTolerations = (old.tolerations ?? []).map(canonical);
  const newTolerations = new Set((spec.tolerations ?? []).map(canonical));
  if (oldTolerations.some((t) => !newTolerations.has(t))) errs.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds');
}
