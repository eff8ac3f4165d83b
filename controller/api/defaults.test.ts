import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultObject, defaultPullPolicy } from './defaults.js';
import { parseObject } from './decode.js';
import { KINDS } from './kinds.js';
import type { Deployment } from './deployment.js';
import type { Pod } from './pod.js';
import type { Service } from './service.js';

const parse = <T>(kind: Parameters<typeof parseObject<T>>[0], raw: unknown): T => {
  const r = parseObject<T>(kind, raw);
  if (!r.ok) throw new Error(JSON.stringify(r.causes));
  return r.value;
};

test('defaultObject: Service ClusterIP defaults', () => {
  const svc = defaultObject(KINDS.Service, parse<Service>(KINDS.Service, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns', name: 'dns' }] },
  }));
  assert.equal(svc.spec.type, 'ClusterIP');
  assert.equal(svc.spec.sessionAffinity, 'None');
  assert.equal(svc.spec.internalTrafficPolicy, 'Cluster');
  assert.equal(svc.spec.externalTrafficPolicy, undefined);
  assert.equal(svc.spec.ipFamilyPolicy, 'SingleStack');
  assert.deepEqual(svc.spec.ipFamilies, ['IPv4']);
  assert.deepEqual(svc.spec.ports, [
    { port: 80, protocol: 'TCP', targetPort: 80 },
    { port: 53, protocol: 'UDP', targetPort: 'dns', name: 'dns' },
  ]);
});

const serviceCases: { name: string; spec: Record<string, unknown>; want: Record<string, unknown> }[] = [
  { name: 'NodePort gets externalTrafficPolicy Cluster', spec: { type: 'NodePort', ports: [{ port: 80 }] }, want: { externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' } },
  { name: 'LoadBalancer allocates node ports', spec: { type: 'LoadBalancer', ports: [{ port: 80 }] }, want: { externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true } },
  { name: 'ClientIP affinity gets the 3h timeout', spec: { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }, want: { sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } } } },
  { name: 'IPv6 cluster IP picks the IPv6 family', spec: { clusterIP: 'fd00::10', ports: [{ port: 80 }] }, want: { ipFamilies: ['IPv6'], clusterIPs: ['fd00::10'] } },
  { name: 'ExternalName gets no traffic policies', spec: { type: 'ExternalName', externalName: 'example.com' }, want: { internalTrafficPolicy: undefined, ipFamilyPolicy: undefined } },
];
for (const c of serviceCases) {
  test(`defaultObject: Service ${c.name}`, () => {
    const svc = defaultObject('Service', parse<Service>('Service', { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: c.spec }));
    for (const [k, v] of Object.entries(c.want)) assert.deepEqual((svc.spec as Record<string, unknown>)[k], v, k);
  });
}

test('defaultObject: Pod defaults and does not mutate its input', () => {
  const input = parse<Pod>(KINDS.Pod, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', creationTimestamp: null },
    spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80 }], readinessProbe: { httpGet: { port: 80 } } }, { name: 'side', image: 'busybox' }] },
  });
  const before = JSON.stringify(input);
  const pod = defaultObject(KINDS.Pod, input);
  assert.equal(JSON.stringify(input), before);
  assert.equal(pod.spec.restartPolicy, 'Always');
  assert.equal(pod.spec.dnsPolicy, 'ClusterFirst');
  assert.equal(pod.spec.terminationGracePeriodSeconds, 30);
  assert.equal(pod.spec.schedulerName, 'default-scheduler');
  assert.equal(pod.spec.enableServiceLinks, true);
  const [web, side] = pod.spec.containers;
  assert.equal(web?.imagePullPolicy, 'IfNotPresent');
  assert.equal(side?.imagePullPolicy, 'Always');
  assert.equal(web?.terminationMessagePath, '/dev/termination-log');
  assert.equal(web?.terminationMessagePolicy, 'File');
  assert.equal(web?.ports?.[0]?.protocol, 'TCP');
  assert.deepEqual(web?.readinessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
});

test('defaultObject: hostNetwork pods get hostPort = containerPort', () => {
  const pod = defaultObject(KINDS.Pod, parse<Pod>(KINDS.Pod, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 8080 }] }] },
  }));
  assert.equal(pod.spec.containers[0]?.ports?.[0]?.hostPort, 8080);
});

const pullCases: [string, string][] = [
  ['nginx', 'Always'], ['nginx:latest', 'Always'], ['nginx:1.27', 'IfNotPresent'],
  ['registry:5000/app', 'Always'], ['registry:5000/app:v1', 'IfNotPresent'], ['nginx@sha256:abc', 'IfNotPresent'],
];
for (const [image, want] of pullCases) {
  test(`defaultPullPolicy(${image}) = ${want}`, () => assert.equal(defaultPullPolicy(image), want));
}

test('defaultObject: Deployment replicas, strategy, history, deadline and template', () => {
  const d = defaultObject(KINDS.Deployment, parse<Deployment>(KINDS.Deployment, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' },
    spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'x:1' }] } } },
  }));
  assert.equal(d.spec.replicas, 1);
  assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  assert.equal(d.spec.revisionHistoryLimit, 10);
  assert.equal(d.spec.progressDeadlineSeconds, 600);
  assert.equal(d.spec.template.spec.restartPolicy, 'Always');
  const recreate = defaultObject('Deployment', { ...d, spec: { ...d.spec, strategy: { type: 'Recreate' } } });
  assert.deepEqual(recreate.spec.strategy, { type: 'Recreate' });
});

test('defaultObject: ReplicaSet replicas, EndpointSlice and Endpoints port protocol, Namespace phase', () => {
  const rs = defaultObject(KINDS.ReplicaSet, { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'r' }, spec: { selector: {} } });
  assert.equal(rs.spec.replicas, 1);
  const slice = defaultObject(KINDS.EndpointSlice, { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 's' }, addressType: 'IPv4', endpoints: [], ports: [{ port: 80 }] });
  assert.equal(slice.ports?.[0]?.protocol, 'TCP');
  const ep = defaultObject(KINDS.Endpoints, { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'e' }, subsets: [{ ports: [{ port: 80 }] }] });
  assert.equal(ep.subsets?.[0]?.ports?.[0]?.protocol, 'TCP');
  const ns = defaultObject(KINDS.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
  assert.equal(ns.status?.phase, 'Active');
});
