import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toTable, toTableEvent, tableColumns } from './to-table.js';
import type { TableCell } from './types.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const created = '2024-05-01T11:56:40Z'; // 3m20s before NOW
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', creationTimestamp: created, resourceVersion: '7', ...extra });

const running = (name: string, extra: Record<string, unknown> = {}) => ({
  name, ready: true, restartCount: 0, image: 'i', imageID: '', state: { running: { startedAt: created } }, ...extra,
});

const pod = (spec: Record<string, unknown>, status: Record<string, unknown>, metaExtra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: meta('p', metaExtra), spec: { containers: [{ name: 'a' }], ...spec }, status,
});

const cases: { name: string; kind: string; obj: Record<string, unknown>; want: TableCell[] }[] = [
  {
    name: 'running pod, wide cells',
    kind: 'Pod',
    obj: pod({ nodeName: 'n1' }, { phase: 'Running', podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }], containerStatuses: [running('a')] }),
    want: ['p', '1/1', 'Running', '0', '3m20s', '10.244.1.5', 'n1', '<none>', '<none>'],
  },
  {
    name: 'pending pod not yet scheduled',
    kind: 'Pod',
    obj: pod({}, { phase: 'Pending' }),
    want: ['p', '0/1', 'Pending', '0', '3m20s', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'container creating',
    kind: 'Pod',
    obj: pod({ nodeName: 'n1' }, { phase: 'Pending', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, image: 'i', imageID: '', state: { waiting: { reason: 'ContainerCreating' } } }] }),
    want: ['p', '0/1', 'ContainerCreating', '0', '3m20s', '<none>', 'n1', '<none>', '<none>'],
  },
  {
    name: 'crash loop with restarts and last restart age',
    kind: 'Pod',
    obj: pod({}, {
      phase: 'Running',
      containerStatuses: [{ name: 'a', ready: false, restartCount: 4, image: 'i', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2024-05-01T11:59:00Z' } } }],
    }),
    want: ['p', '0/1', 'CrashLoopBackOff', '4 (60s ago)', '3m20s', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'terminated without reason shows the exit code',
    kind: 'Pod',
    obj: pod({}, { phase: 'Failed', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, image: 'i', imageID: '', state: { terminated: { exitCode: 2 } } }] }),
    want: ['p', '0/1', 'ExitCode:2', '0', '3m20s', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'init containers in progress',
    kind: 'Pod',
    obj: pod({ initContainers: [{ name: 'i1' }, { name: 'i2' }] }, {
      phase: 'Pending',
      initContainerStatuses: [
        { name: 'i1', ready: false, restartCount: 0, image: 'i', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
        { name: 'i2', ready: false, restartCount: 0, image: 'i', imageID: '', state: { running: {} } },
      ],
      containerStatuses: [{ name: 'a', ready: false, restartCount: 0, image: 'i', imageID: '', state: { waiting: { reason: 'PodInitializing' } } }],
    }),
    want: ['p', '0/1', 'Init:1/2', '0', '3m20s', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'failing init container',
    kind: 'Pod',
    obj: pod({ initContainers: [{ name: 'i1' }] }, {
      phase: 'Pending',
      initContainerStatuses: [{ name: 'i1', ready: false, restartCount: 2, image: 'i', imageID: '', state: { waiting: { reason: 'CrashLoopBackOff' } } }],
    }),
    want: ['p', '0/1', 'Init:CrashLoopBackOff', '2', '3m20s', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'sidecar init container counts in READY',
    kind: 'Pod',
    obj: pod({ initContainers: [{ name: 'side', restartPolicy: 'Always' }] }, {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [running('side', { started: true })],
      containerStatuses: [running('a')],
    }),
    want: ['p', '2/2', 'Running', '0', '3m20s', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'terminating pod',
    kind: 'Pod',
    obj: pod({}, { phase: 'Running', containerStatuses: [running('a')] }, { deletionTimestamp: '2024-05-01T11:59:59Z' }),
    want: ['p', '1/1', 'Terminating', '0', '3m20s', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'completed pod',
    kind: 'Pod',
    obj: pod({}, { phase: 'Succeeded', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, image: 'i', imageID: '', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }),
    want: ['p', '0/1', 'Completed', '0', '3m20s', '<none>', '<none>', '<none>', '<none>'],
  },
  {
    name: 'readiness gates',
    kind: 'Pod',
    obj: pod({ readinessGates: [{ conditionType: 'x/ok' }, { conditionType: 'y/ok' }] }, { phase: 'Running', conditions: [{ type: 'x/ok', status: 'True' }], containerStatuses: [running('a')] }),
    want: ['p', '1/1', 'Running', '0', '3m20s', '<none>', '<none>', '<none>', '1/2'],
  },
  {
    name: 'ClusterIP service',
    kind: 'Service',
    obj: { metadata: meta('web'), spec: { type: 'ClusterIP', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { tier: 'fe', app: 'web' } } },
    want: ['web', 'ClusterIP', '10.96.0.20', '<none>', '80/TCP,53/UDP', '3m20s', 'app=web,tier=fe'],
  },
  {
    name: 'NodePort service',
    kind: 'Service',
    obj: { metadata: meta('np'), spec: { type: 'NodePort', clusterIP: '10.96.0.21', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] } },
    want: ['np', 'NodePort', '10.96.0.21', '<none>', '80:30080/TCP', '3m20s', '<none>'],
  },
  {
    name: 'LoadBalancer service without ingress is pending',
    kind: 'Service',
    obj: { metadata: meta('lb'), spec: { type: 'LoadBalancer', clusterIP: '10.96.0.22', ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] } },
    want: ['lb', 'LoadBalancer', '10.96.0.22', '<pending>', '443:31443/TCP', '3m20s', '<none>'],
  },
  {
    name: 'headless ExternalName-free service with external IPs',
    kind: 'Service',
    obj: { metadata: meta('h'), spec: { type: 'ClusterIP', clusterIP: 'None', externalIPs: ['192.0.2.1', '192.0.2.2'] } },
    want: ['h', 'ClusterIP', 'None', '192.0.2.1,192.0.2.2', '<none>', '3m20s', '<none>'],
  },
  {
    name: 'ExternalName service',
    kind: 'Service',
    obj: { metadata: meta('ext'), spec: { type: 'ExternalName', externalName: 'example.com' } },
    want: ['ext', 'ExternalName', '<none>', 'example.com', '<none>', '3m20s', '<none>'],
  },
  {
    name: 'endpoints abbreviated after three',
    kind: 'Endpoints',
    obj: { metadata: meta('web'), subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }], ports: [{ port: 80 }, { port: 443 }] }] },
    want: ['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 3 more...', '3m20s'],
  },
  { name: 'endpoints without subsets', kind: 'Endpoints', obj: { metadata: meta('none') }, want: ['none', '<none>', '3m20s'] },
  {
    name: 'endpointslice',
    kind: 'EndpointSlice',
    obj: { metadata: meta('web-abc'), addressType: 'IPv4', ports: [{ port: 80, name: 'http' }], endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }] },
    want: ['web-abc', 'IPv4', '80', '10.0.0.1,10.0.0.2', '3m20s'],
  },
  { name: 'empty endpointslice', kind: 'EndpointSlice', obj: { metadata: meta('e'), addressType: 'IPv4', endpoints: [] }, want: ['e', 'IPv4', '<unset>', '<unset>', '3m20s'] },
  {
    name: 'ready control-plane node, cordoned',
    kind: 'Node',
    obj: {
      metadata: meta('n1', { namespace: undefined, labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' } }),
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
        addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '172.18.0.2' }],
        nodeInfo: { kubeletVersion: 'v1.32.0-sextant', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'sextant://0.1.0' },
      },
    },
    want: ['n1', 'Ready,SchedulingDisabled', 'control-plane,worker', '3m20s', 'v1.32.0-sextant', '172.18.0.2', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'sextant://0.1.0'],
  },
  {
    name: 'node without conditions',
    kind: 'Node',
    obj: { metadata: meta('n2'), status: {} },
    want: ['n2', 'Unknown', '<none>', '3m20s', '', '<none>', '<none>', '<unknown>', '<unknown>', '<unknown>'],
  },
  {
    name: 'deployment',
    kind: 'Deployment',
    obj: {
      metadata: meta('web'),
      spec: { replicas: 3, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }] }, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } } },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    },
    want: ['web', '2/3', 3, 2, '3m20s', 'web,log', 'nginx:1.27,busybox', 'app=web,env in (dev,prod)'],
  },
  {
    name: 'replicaset',
    kind: 'ReplicaSet',
    obj: { metadata: meta('web-5d4f'), spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': '5d4f' } }, template: { spec: { containers: [{ name: 'web', image: 'nginx' }] } } }, status: { replicas: 2, readyReplicas: 1 } },
    want: ['web-5d4f', 2, 2, 1, '3m20s', 'web', 'nginx', 'app=web,pod-template-hash=5d4f'],
  },
  { name: 'namespace', kind: 'Namespace', obj: { metadata: meta('default'), status: { phase: 'Active' } }, want: ['default', 'Active', '3m20s'] },
  { name: 'lease', kind: 'Lease', obj: { metadata: meta('n1'), spec: { holderIdentity: 'n1' } }, want: ['n1', 'n1', '3m20s'] },
  {
    name: 'event',
    kind: 'Event',
    obj: {
      metadata: meta('web.17c'),
      involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{web}' },
      reason: 'Pulled', message: ' pulled image \n', type: 'Normal', count: 3,
      firstTimestamp: '2024-05-01T11:00:00Z', lastTimestamp: '2024-05-01T11:59:55Z', source: { component: 'kubelet', host: 'n1' },
    },
    want: ['5s', 'Normal', 'Pulled', 'pod/web', 'spec.containers{web}', 'kubelet, n1', 'pulled image', '60m', 3, 'web.17c'],
  },
  {
    name: 'event with eventTime only',
    kind: 'Event',
    obj: { metadata: meta('e2'), involvedObject: { kind: 'Node' }, eventTime: '2024-05-01T11:59:00.000000Z', reportingComponent: 'sextant-controller' },
    want: ['60s', '', '', 'node', '', 'sextant-controller', '', '60s', 1, 'e2'],
  },
  { name: 'default kind', kind: 'Binding', obj: { metadata: meta('b') }, want: ['b', '3m20s'] },
];

for (const c of cases) {
  test(`toTable ${c.kind}: ${c.name}`, () => {
    const table = toTable(c.kind, [c.obj], { now: NOW });
    assert.deepEqual(table.rows[0]?.cells, c.want);
    assert.equal(table.columnDefinitions.length, c.want.length, 'one cell per column');
  });
}

test('toTable: columns and priorities as kubectl shows them', () => {
  const names = (kind: string, priority: number) => tableColumns(kind).filter((c) => c.priority === priority).map((c) => c.name.toUpperCase());
  assert.deepEqual(names('Pod', 0), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  assert.deepEqual(names('Pod', 1), ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
  assert.deepEqual(names('Service', 0), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
  assert.deepEqual(names('Node', 1), ['INTERNAL-IP', 'EXTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']);
  assert.deepEqual(names('Deployment', 0), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
  assert.deepEqual(names('EndpointSlice', 0), ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
  assert.deepEqual(names('Event', 0), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
  assert.equal(tableColumns('Pod')[0]?.format, 'name');
});

test('toTable: envelope, metadata and row objects', () => {
  const obj = { apiVersion: 'v1', kind: 'Namespace', metadata: meta('ns1'), status: { phase: 'Active' } };
  const t = toTable('Namespace', [obj], { now: NOW, resourceVersion: '105', continue: 'tok' });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '105', continue: 'tok' });
  assert.deepEqual(t.rows[0]?.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata });
  assert.deepEqual(toTable('Namespace', [obj], { includeObject: 'Object' }).rows[0]?.object, obj);
  assert.equal(toTable('Namespace', [obj], { includeObject: 'None' }).rows[0]?.object, undefined);
  assert.deepEqual(toTable({ kind: 'Namespace' }, [], { noHeaders: true }).columnDefinitions, []);
  assert.ok(JSON.parse(JSON.stringify(t)));
});

test('toTable: finished pods carry the Completed row condition', () => {
  const t = toTable('Pod', [pod({}, { phase: 'Succeeded' }), pod({}, { phase: 'Running' })], { now: NOW });
  assert.equal(t.rows[0]?.conditions?.[0]?.type, 'Completed');
  assert.equal(t.rows[1]?.conditions, undefined);
});

test('toTableEvent: one row carrying the object resourceVersion', () => {
  const t = toTableEvent('Pod', pod({}, { phase: 'Running' }), { now: NOW });
  assert.equal(t.rows.length, 1);
  assert.equal(t.metadata.resourceVersion, '7');
  assert.equal(t.rows[0]?.cells[0], 'p');
});
