import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '../../api/service.js';
import { AllocationError, ServiceAllocator } from './service-allocator.js';

const svc = (name: string, spec: Service['spec'] = {}, ns = 'default'): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { ports: [{ port: 80, protocol: 'TCP' }], ...spec },
});

const causesOf = (fn: () => unknown): { field: string; message: string }[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AllocationError) return err.causes;
    throw err;
  }
  assert.fail('expected an AllocationError');
};

test('cluster IP: creation cases', () => {
  const cases: { name: string; spec: Service['spec']; want?: RegExp; field?: string; msg?: RegExp }[] = [
    { name: 'auto', spec: {}, want: /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/ },
    { name: 'requested', spec: { clusterIP: '10.96.0.50' }, want: /^10\.96\.0\.50$/ },
    { name: 'taken', spec: { clusterIP: '10.96.0.50' }, field: 'spec.clusterIP', msg: /provided IP is already allocated/ },
    { name: 'outside', spec: { clusterIP: '192.168.1.1' }, field: 'spec.clusterIP', msg: /not in the valid range.*10\.96\.0\.0\/12/ },
    { name: 'network address', spec: { clusterIP: '10.96.0.0' }, field: 'spec.clusterIP', msg: /not in the valid range/ },
    { name: 'broadcast', spec: { clusterIP: '10.111.255.255' }, field: 'spec.clusterIP', msg: /not in the valid range/ },
    { name: 'headless', spec: { clusterIP: 'None' }, want: /^None$/ },
  ];
  const a = new ServiceAllocator();
  for (const c of cases) {
    const s = svc(c.name.replace(/ /g, '-'), c.spec);
    if (c.field) {
      const causes = causesOf(() => a.create(s));
      assert.equal(causes[0]?.field, c.field, c.name);
      assert.match(causes[0]!.message, c.msg!, c.name);
    } else {
      a.create(s).commit();
      assert.match(s.spec.clusterIP ?? '', c.want!, c.name);
      assert.deepEqual(s.spec.clusterIPs, [s.spec.clusterIP], c.name);
    }
  }
});

test('cluster IP: the first address is only for an explicit request (default/kubernetes)', () => {
  const a = new ServiceAllocator({ serviceCIDR: '10.0.0.0/29' });
  const got = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const s = svc(`s${i}`);
    a.create(s).commit();
    got.add(s.spec.clusterIP!);
  }
  assert.deepEqual([...got].sort(), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  assert.match(causesOf(() => a.create(svc('full')))[0]!.message, /range is full/);
  const k = svc('kubernetes', { clusterIP: a.ips.firstAddress() });
  a.create(k).commit();
  assert.equal(k.spec.clusterIP, '10.0.0.1');
});

test('cluster IP: 200 creates in a row never repeat, deletes release on commit only', () => {
  const a = new ServiceAllocator();
  const ips = new Set<string>();
  const all: Service[] = [];
  for (let i = 0; i < 200; i++) {
    const s = svc(`s${i}`, { type: 'NodePort' });
    a.create(s).commit();
    ips.add(s.spec.clusterIP!);
    all.push(s);
  }
  assert.equal(ips.size, 200);
  assert.equal(new Set(all.map((s) => s.spec.ports![0]!.nodePort)).size, 200);
  const s0 = all[0]!;
  const del = a.delete(s0);
  assert.equal(a.ips.ownerOf(s0.spec.clusterIP!), 'default/s0', 'held until the delete commits');
  del.commit();
  assert.equal(a.ips.ownerOf(s0.spec.clusterIP!), undefined);
  assert.equal(a.ports.ownerOf(s0.spec.ports![0]!.nodePort!), undefined);
});

test('rollback frees what a failed create took', () => {
  const a = new ServiceAllocator();
  const s = svc('x', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
  a.create(s).rollback();
  assert.equal(a.ips.allocated().size, 0);
  assert.equal(a.ports.allocated().size, 0);
  const t = svc('y', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
  a.create(t).commit();
  assert.equal(t.spec.ports![0]!.nodePort, 30080);
});

test('node ports: creation and update cases', () => {
  const a = new ServiceAllocator();
  a.create(svc('holder', { type: 'NodePort', ports: [{ port: 80, nodePort: 30100 }] })).commit();
  const bad: { name: string; spec: Service['spec']; field: string; msg: RegExp }[] = [
    { name: 'taken', spec: { type: 'NodePort', ports: [{ port: 1 }, { port: 80, nodePort: 30100 }] }, field: 'spec.ports[1].nodePort', msg: /provided port is already allocated/ },
    { name: 'outside', spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }, field: 'spec.ports[0].nodePort', msg: /not in the valid range.*30000-32767/ },
    { name: 'hc taken', spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30100 }, field: 'spec.healthCheckNodePort', msg: /already allocated/ },
  ];
  for (const c of bad) {
    const causes = causesOf(() => a.create(svc(c.name.replace(/ /g, '-'), c.spec)));
    assert.equal(causes[0]?.field, c.field, c.name);
    assert.match(causes[0]!.message, c.msg, c.name);
  }
  assert.equal(a.ports.allocated().size, 1, 'failed creates hold nothing');
  assert.equal(a.ips.allocated().size, 1);

  const lb = svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] });
  a.create(lb).commit();
  const [p80, u53, t53] = lb.spec.ports!;
  assert.ok(p80!.nodePort && u53!.nodePort && lb.spec.healthCheckNodePort);
  assert.equal(u53!.nodePort, t53!.nodePort, 'one number, two protocols: one node port');
  assert.equal(a.ports.allocated().size, 4);

  // Update leaving node ports out keeps them; switching to ClusterIP releases them on commit.
  const keep = svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }] });
  a.update(lb, keep).commit();
  assert.equal(keep.spec.ports![0]!.nodePort, p80!.nodePort);
  assert.equal(keep.spec.clusterIP, lb.spec.clusterIP);
  assert.equal(keep.spec.healthCheckNodePort, lb.spec.healthCheckNodePort);
  assert.equal(a.ports.ownerOf(u53!.nodePort!), undefined, 'the removed port was released');

  const toCip = structuredClone(keep);
  toCip.spec.type = 'ClusterIP';
  const tx = a.update(keep, toCip);
  assert.equal(toCip.spec.ports![0]!.nodePort, undefined);
  assert.equal(toCip.spec.healthCheckNodePort, undefined);
  assert.equal(a.ports.ownerOf(p80!.nodePort!), 'default/lb', 'not yet committed');
  tx.commit();
  assert.equal(a.ports.allocated().size, 1, 'only holder remains');

  const back = structuredClone(toCip);
  back.spec.type = 'NodePort';
  a.update(toCip, back).commit();
  assert.ok(back.spec.ports![0]!.nodePort);
  assert.equal(a.ports.allocated().size, 2);
});

test('cluster IP is immutable; ExternalName transitions allocate and release', () => {
  const a = new ServiceAllocator();
  const s = svc('s');
  a.create(s).commit();
  const changed = structuredClone(s);
  changed.spec.clusterIP = '10.96.9.9';
  assert.match(causesOf(() => a.update(s, changed))[0]!.message, /field is immutable/);
  const ext = svc('s', { type: 'ExternalName', externalName: 'example.com', clusterIP: s.spec.clusterIP, clusterIPs: s.spec.clusterIPs });
  a.update(s, ext).commit();
  assert.equal(ext.spec.clusterIP, undefined);
  assert.equal(a.ips.allocated().size, 0);
  const back = svc('s');
  a.update(ext, back).commit();
  assert.ok(back.spec.clusterIP);
  assert.equal(a.ips.allocated().size, 1);
});

test('rebuild derives state from stored services and reports double claims', () => {
  const a = new ServiceAllocator();
  const stored = [
    svc('a', { clusterIP: '10.96.0.10', type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] }),
    svc('b', { clusterIP: '10.96.0.10', type: 'NodePort', ports: [{ port: 80, nodePort: 30002 }] }),
    svc('c', { clusterIP: '172.16.0.1' }),
    svc('h', { clusterIP: 'None' }),
  ];
  stored[0]!.metadata.creationTimestamp = '2025-01-01T00:00:00Z';
  stored[1]!.metadata.creationTimestamp = '2025-01-02T00:00:00Z';
  a.create(svc('leaked')).commit();
  const report = a.rebuild(stored);
  assert.deepEqual(report.duplicates, [{ value: '10.96.0.10', owner: 'default/a', duplicate: 'default/b' }]);
  assert.deepEqual(report.outOfRange, [{ value: '172.16.0.1', owner: 'default/c' }]);
  assert.deepEqual([...a.ips.allocated()], [['10.96.0.10', 'default/a']], 'the leak is gone');
  assert.deepEqual([...a.ports.allocated()].sort(), [[30001, 'default/a'], [30002, 'default/b']]);
  const n = svc('n', { clusterIP: '10.96.0.10' });
  assert.match(causesOf(() => a.create(n))[0]!.message, /already allocated/);
});
