import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointSlice, Pod, Service } from '../../api/index.js';
import { jsonEqual } from '../../api/json-equal.js';
import { reconcileSlices } from './reconcile.js';
import { desiredEndpoints } from './endpoints.js';

const svc = (spec: Partial<Service['spec']> = {}): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', labels: { team: 'a' } },
  spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
});

interface PodOpts {
  ready?: boolean;
  ip?: string;
  port?: number;
  deleting?: boolean;
  phase?: string;
  node?: string;
  ns?: string;
  hostname?: string;
}
const pod = (name: string, o: PodOpts = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: o.ns ?? 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
  spec: {
    containers: [{ name: 'c', ports: [{ name: 'http', containerPort: o.port ?? 8080 }] }],
    ...(o.node ? { nodeName: o.node } : {}),
    ...(o.hostname ? { hostname: o.hostname, subdomain: 'web' } : {}),
  },
  status: {
    phase: o.phase ?? 'Running',
    ...(o.ip !== '' ? { podIPs: [{ ip: o.ip ?? `10.244.0.${name.replace(/\D/g, '') || 1}` }] } : {}),
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
  },
});

/** Applies actions to a slice list the way the API would (names for generateName). */
function apply(existing: EndpointSlice[], a: ReturnType<typeof reconcileSlices>): EndpointSlice[] {
  let n = existing.length;
  const gone = new Set(a.delete.map((s) => s.metadata.name));
  const upd = new Map(a.update.map((s) => [s.metadata.name, s]));
  const out = existing.filter((s) => !gone.has(s.metadata.name)).map((s) => upd.get(s.metadata.name) ?? s);
  for (const c of a.create) out.push({ ...c, metadata: { ...c.metadata, name: `web-${n++}` } });
  return out;
}

test('endpoint conditions, addresses, ports and hostname per pod', () => {
  const cases: { name: string; service?: Partial<Service['spec']>; pod: Pod; want?: { ready: boolean; serving: boolean; terminating: boolean }; port?: number; hostname?: string }[] = [
    { name: 'ready', pod: pod('p1'), want: { ready: true, serving: true, terminating: false }, port: 8080 },
    { name: 'not ready', pod: pod('p1', { ready: false }), want: { ready: false, serving: false, terminating: false } },
    { name: 'terminating ready', pod: pod('p1', { deleting: true }), want: { ready: false, serving: true, terminating: true } },
    { name: 'publishNotReady', service: { publishNotReadyAddresses: true }, pod: pod('p1', { ready: false }), want: { ready: true, serving: true, terminating: false } },
    { name: 'numeric target port', service: { ports: [{ port: 80, targetPort: 9090, protocol: 'TCP' }] }, pod: pod('p1'), want: { ready: true, serving: true, terminating: false }, port: 9090 },
    { name: 'hostname + subdomain', pod: pod('p1', { hostname: 'h1' }), want: { ready: true, serving: true, terminating: false }, hostname: 'h1' },
    { name: 'no IP yet', pod: pod('p1', { ip: '' }) },
    { name: 'succeeded', pod: pod('p1', { phase: 'Succeeded' }) },
    { name: 'other namespace', pod: pod('p1', { ns: 'other' }) },
    { name: 'named port missing', service: { ports: [{ port: 80, targetPort: 'grpc', protocol: 'TCP' }] }, pod: pod('p1') },
  ];
  for (const c of cases) {
    const a = reconcileSlices(svc(c.service), [c.pod], []);
    assert.equal(a.create.length, 1, c.name);
    const s = a.create[0]!;
    assert.equal(s.metadata.labels?.['kubernetes.io/service-name'], 'web', c.name);
    assert.equal(s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io', c.name);
    assert.equal(s.metadata.ownerReferences?.[0]?.uid, 'svc-uid', c.name);
    if (!c.want) {
      assert.deepEqual(s.endpoints, [], `${c.name}: placeholder only`);
      continue;
    }
    const ep = s.endpoints[0]!;
    assert.deepEqual(ep.conditions, c.want, c.name);
    assert.deepEqual(ep.addresses, ['10.244.0.1'], c.name);
    assert.equal(ep.targetRef?.name, 'p1', c.name);
    if (c.port) assert.equal(s.ports?.[0]?.port, c.port, c.name);
    assert.equal(ep.hostname, c.hostname, c.name);
  }
});

test('slices: at most 100 endpoints each, split by port mapping, minimal writes', () => {
  const pods = Array.from({ length: 250 }, (_, i) => pod(`p${i}`, { ip: `10.244.${i >> 8}.${i & 255}`, port: i < 230 ? 8080 : 8081 }));
  let slices = apply([], reconcileSlices(svc(), pods, []));
  const sizes = slices.map((s) => s.endpoints.length).sort((a, b) => a - b);
  assert.deepEqual(sizes, [20, 30, 100, 100], '230 on 8080 in 3 slices, 20 on 8081 in one');
  assert.equal(new Set(slices.flatMap((s) => s.endpoints.map((e) => e.addresses[0]))).size, 250);

  const again = reconcileSlices(svc(), pods, slices);
  assert.deepEqual(again, { create: [], update: [], delete: [] }, 'no change, no write');

  // One pod turns not-ready: exactly one slice is rewritten.
  const flipped = pods.map((p, i) => (i === 7 ? pod('p7', { ip: p.status!.podIPs![0]!.ip, ready: false }) : p));
  const one = reconcileSlices(svc(), flipped, slices);
  assert.equal(one.update.length, 1);
  assert.equal(one.create.length + one.delete.length, 0);
  slices = apply(slices, one);

  // A new pod fills a slice with room rather than making a new slice.
  const more = [...flipped, pod('p999', { ip: '10.244.9.9' })];
  const fill = reconcileSlices(svc(), more, slices);
  assert.equal(fill.create.length, 0);
  assert.equal(fill.update.length, 1);
  slices = apply(slices, fill);

  // Every pod gone: one empty placeholder remains.
  const none = reconcileSlices(svc(), [], slices);
  slices = apply(slices, none);
  assert.equal(slices.length, 1);
  assert.deepEqual(slices[0]!.endpoints, []);
});

test('slices of other services and user slices are left alone', () => {
  const user: EndpointSlice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-manual', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [],
  };
  const a = reconcileSlices(svc(), [pod('p1')], [user]);
  assert.equal(a.delete.length, 0);
  assert.equal(a.create.length, 1);
});

test('legacy Endpoints: ready and not-ready addresses, terminating pods left out', () => {
  const ep = desiredEndpoints(svc(), [pod('p1'), pod('p2', { ready: false }), pod('p3', { deleting: true })]);
  assert.deepEqual(ep.subsets, [
    {
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      addresses: [{ ip: '10.244.0.1', targetRef: { kind: 'Pod', namespace: 'default', name: 'p1', uid: 'uid-p1' } }],
      notReadyAddresses: [{ ip: '10.244.0.2', targetRef: { kind: 'Pod', namespace: 'default', name: 'p2', uid: 'uid-p2' } }],
    },
  ]);
  assert.equal(desiredEndpoints(svc(), []).subsets, undefined);
});

test('a stored slice that says the same in another key order, endpoint order or with extra undefined keys is not rewritten', () => {
  const pods = [pod('p1'), pod('p2'), pod('p3', { ready: false })];
  const [stored] = apply([], reconcileSlices(svc(), pods, []));
  // What comes back from the API: keys re-ordered, endpoints in another order.
  const reorder = (o: unknown): unknown =>
    Array.isArray(o) ? o.map(reorder) : o && typeof o === 'object' ? Object.fromEntries(Object.entries(o).reverse().map(([k, v]) => [k, reorder(v)])) : o;
  const echoed = reorder(stored) as EndpointSlice;
  echoed.endpoints.reverse();
  (echoed.metadata as Record<string, unknown>).annotations = undefined;
  const again = reconcileSlices(svc(), pods, [echoed]);
  assert.deepEqual([again.create.length, again.update.length, again.delete.length], [0, 0, 0]);
  // A real difference still is one.
  const changed = reconcileSlices(svc(), [pod('p1'), pod('p2'), pod('p3')], [echoed]);
  assert.equal(changed.update.length, 1);
  assert.equal(changed.update[0]!.endpoints.filter((e) => e.conditions?.ready).length, 3);
});

test('jsonEqual: key order and undefined-valued keys do not matter, values and array order do', () => {
  const cases: [unknown, unknown, boolean][] = [
    [{ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 }, true],
    [{ a: 1, x: undefined }, { a: 1 }, true],
    [{ a: 1 }, { a: 1, b: null }, false],
    [[1, 2], [2, 1], false],
    [{ a: [] }, { a: {} }, false],
    [{ a: '1' }, { a: 1 }, false],
    [{}, { a: 0 }, false],
  ];
  for (const [a, b, want] of cases) {
    assert.equal(jsonEqual(a, b), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    assert.equal(jsonEqual(b, a), want, 'symmetric');
  }
});

test('numeric and numeric-string target ports: every pod in one group with the same ports; a named one still splits pods by their container ports', () => {
  const numeric = svc({ ports: [{ name: 'a', port: 80, targetPort: 9090, protocol: 'TCP' }, { name: 'b', port: 81, targetPort: '9191', protocol: 'UDP' }] });
  const pods = [pod('p1', { port: 1111 }), pod('p2', { port: 2222 }), pod('p3', { port: 3333 })];
  const a = reconcileSlices(numeric, pods, []);
  assert.equal(a.create.length, 1);
  assert.deepEqual(a.create[0]!.ports, [{ name: 'a', port: 9090, protocol: 'TCP' }, { name: 'b', port: 9191, protocol: 'UDP' }]);
  assert.equal(a.create[0]!.endpoints.length, 3);
  const mixed = svc({ ports: [{ name: 'a', port: 80, targetPort: 9090, protocol: 'TCP' }, { name: 'h', port: 82, targetPort: 'http', protocol: 'TCP' }] });
  const m = reconcileSlices(mixed, pods, []);
  assert.deepEqual(m.create.map((s) => s.ports?.map((p) => p.port)).sort(), [[9090, 1111], [9090, 2222], [9090, 3333]]);
});

test('several full slices: one flipped pod rewrites only its slice, a new pod fills the slice with room', () => {
  const s = svc({ ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] });
  const pods = Array.from({ length: 7 }, (_, i) => pod(`p${i + 1}`, { ready: false }));
  let slices = apply([], reconcileSlices(s, pods, [], { maxEndpointsPerSlice: 3 }));
  assert.deepEqual(slices.map((x) => x.endpoints.length), [3, 3, 1]);
  const flipped = pods.map((p) => (p.metadata.name === 'p5' ? pod('p5') : p));
  const a = reconcileSlices(s, flipped, slices, { maxEndpointsPerSlice: 3 });
  assert.equal(a.create.length + a.delete.length, 0);
  assert.equal(a.update.length, 1);
  const holder = slices.find((x) => x.endpoints.some((e) => e.targetRef?.name === 'p5'))!;
  assert.equal(a.update[0]!.metadata.name, holder.metadata.name);
  assert.equal(a.update[0]!.endpoints.find((e) => e.targetRef?.name === 'p5')?.conditions?.ready, true);
  slices = apply(slices, a);
  assert.equal(reconcileSlices(s, flipped, slices, { maxEndpointsPerSlice: 3 }).update.length, 0, 'converged');
  const more = [...flipped, pod('p8', { ready: false })];
  const b = reconcileSlices(s, more, slices, { maxEndpointsPerSlice: 3 });
  assert.equal(b.create.length, 0);
  assert.equal(b.update.length, 1);
  assert.deepEqual(b.update[0]!.endpoints.map((e) => e.targetRef?.name).sort(), ['p7', 'p8']);
});

test('endpoints follow the service and pod objects given, also when a sync repeats with some of them unchanged', () => {
  const p1 = pod('p1', { ready: false });
  const p2 = pod('p2');
  const plain = svc();
  const publish = svc({ publishNotReadyAddresses: true });
  const ready = (s: Service, pods: Pod[]) =>
    Object.fromEntries(reconcileSlices(s, pods, []).create[0]!.endpoints.map((e) => [e.targetRef?.name, e.conditions?.ready]));
  assert.deepEqual(ready(plain, [p1, p2]), { p1: false, p2: true });
  assert.deepEqual(ready(publish, [p1, p2]), { p1: true, p2: true }, 'another service object: worked out again');
  assert.deepEqual(ready(plain, [p1, p2]), { p1: false, p2: true });
  assert.deepEqual(ready(plain, [pod('p1'), p2]), { p1: true, p2: true }, 'a new pod object: worked out again');
  const named = svc({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
  const a = reconcileSlices(named, [pod('p3', { port: 8080 }), pod('p4', { port: 9090 })], []);
  assert.deepEqual(a.create.map((s) => s.ports?.[0]?.port).sort(), [8080, 9090], 'named ports resolve per pod');
});
