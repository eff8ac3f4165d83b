/**
 * Defaulting as the Kubernetes API server applies it on create and update, so objects read back
 * look the way kubectl and controllers expect (Service type ClusterIP, protocol TCP, targetPort =
 * port, Pod restartPolicy Always, Deployment strategy 25%/25%, ...).
 */
import { UnknownKindError } from './errors.js';
import type { Deployment } from './deployment.js';
import type { EndpointSlice } from './endpoint-slice.js';
import type { Endpoints } from './endpoints.js';
import { resolveKind, type KindInfo } from './kinds.js';
import type { Namespace } from './namespace.js';
import { ipFamilyOf } from './names.js';
import type { Container, Pod, PodSpec, Probe } from './pod.js';
import type { ReplicaSet } from './replica-set.js';
import type { Service } from './service.js';

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (p.httpGet) {
    p.httpGet.path ??= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
}

/** The pull policy Kubernetes picks: Always for `:latest` or untagged images, else IfNotPresent. */
export function defaultPullPolicy(image: string | undefined): string {
  if (!image) return 'IfNotPresent';
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon < 0 ? '' : lastSegment.slice(colon + 1);
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: Container, hostNetwork: boolean): void {
  c.imagePullPolicy ??= defaultPullPolicy(c.image);
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const port of c.ports ?? []) {
    port.protocol ??= 'TCP';
    if (hostNetwork && port.hostPort === undefined) port.hostPort = port.containerPort;
  }
  for (const env of c.env ?? []) {
    if (env.valueFrom?.fieldRef) env.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

/** Defaults a pod spec in place (also used for Deployment and ReplicaSet templates). */
export function defaultPodSpec(spec: PodSpec): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  spec.enableServiceLinks ??= true;
  if (spec.serviceAccountName && !spec.serviceAccount) spec.serviceAccount = spec.serviceAccountName;
  if (spec.serviceAccount && !spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of spec.initContainers ?? []) defaultContainer(c, hostNetwork);
  for (const c of spec.containers ?? []) defaultContainer(c, hostNetwork);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c, hostNetwork);
}

function defaultPod(pod: Pod): void {
  if (!pod.spec) return;
  defaultPodSpec(pod.spec);
  pod.spec.priority ??= 0;
  pod.spec.preemptionPolicy ??= 'PreemptLowerPriority';
}

function defaultService(svc: Service): void {
  const spec = svc.spec;
  if (!spec) return;
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    spec.sessionAffinityConfig ??= {};
    spec.sessionAffinityConfig.clientIP ??= {};
    spec.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
  for (const p of spec.ports ?? []) {
    p.protocol ??= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (spec.type === 'ExternalName') return;
  spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  if (spec.clusterIP && !spec.clusterIPs) spec.clusterIPs = [spec.clusterIP];
  if (!spec.clusterIP && spec.clusterIPs?.[0]) spec.clusterIP = spec.clusterIPs[0];
  spec.ipFamilyPolicy ??= 'SingleStack';
  if (!spec.ipFamilies || spec.ipFamilies.length === 0) {
    const families = (spec.clusterIPs ?? []).map(ipFamilyOf).filter((f): f is 'IPv4' | 'IPv6' => f !== null);
    spec.ipFamilies = families.length > 0 ? families : ['IPv4'];
  }
  svc.status ??= { loadBalancer: {} };
}

function defaultDeployment(d: Deployment): void {
  const spec = d.spec;
  if (!spec) return;
  spec.replicas ??= 1;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  if (spec.template?.spec) defaultPodSpec(spec.template.spec);
}

function defaultReplicaSet(rs: ReplicaSet): void {
  if (!rs.spec) return;
  rs.spec.replicas ??= 1;
  if (rs.spec.template?.spec) defaultPodSpec(rs.spec.template.spec);
}

function defaultEndpointSlice(s: EndpointSlice): void {
  for (const p of s.ports ?? []) p.protocol ??= 'TCP';
}

function defaultEndpoints(e: Endpoints): void {
  for (const subset of e.subsets ?? []) for (const p of subset.ports ?? []) p.protocol ??= 'TCP';
}

function defaultNamespace(ns: Namespace): void {
  ns.spec ??= {};
  ns.spec.finalizers ??= ['kubernetes'];
  ns.status ??= {};
  ns.status.phase ??= 'Active';
}

const defaulters: Record<string, (obj: never) => void> = {
  Pod: defaultPod,
  Service: defaultService,
  Deployment: defaultDeployment,
  ReplicaSet: defaultReplicaSet,
  EndpointSlice: defaultEndpointSlice,
  Endpoints: defaultEndpoints,
  Namespace: defaultNamespace,
};

/**
 * A defaulted deep copy of `obj` (an object already parsed by the kind's schema). Kinds without
 * defaults come back as an unchanged copy.
 */
export function defaultObject<T>(kind: KindInfo<T> | string, obj: T): T {
  return defaultObjectInPlace(kind, structuredClone(obj));
}

/**
 * Defaults `obj` itself and returns it: for callers that already hold a private copy (the API
 * server's decoded request body), saving a deep copy per write.
 */
export function defaultObjectInPlace<T>(kind: KindInfo<T> | string, obj: T): T {
  const k = resolveKind(kind as KindInfo | string);
  if (!k) throw new UnknownKindError(String(kind));
  const fn = defaulters[k.kind] as ((o: T) => void) | undefined;
  fn?.(obj);
  return obj;
}
