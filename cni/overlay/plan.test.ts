import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node } from '../../controller/api/index.js';
import { FakeKernel } from '../../kernel/netlink/fake.js';
import { overlayRulesPayload } from './iptables-rules.js';
import { ANNOTATION_BACKEND_DATA, ANNOTATION_PUBLIC_IP, ANNOTATION_VTEP_MAC } from './names.js';
import { peersFromNodes, type OverlayPeer } from './peers.js';
import { desiredEntries, ownedRoutes, planEntries, type OverlayEntries } from './plan.js';

const node = (name: string, podCIDR: string | undefined, mac: string | undefined, ip: string | undefined, extra: Partial<Node['metadata']> = {}, vni?: number): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name,
    annotations: { ...(mac ? { [ANNOTATION_VTEP_MAC]: mac } : {}), ...(vni !== undefined ? { [ANNOTATION_BACKEND_DATA]: JSON.stringify({ vni }) } : {}) },
    ...extra,
  },
  spec: podCIDR ? { podCIDR } : {},
  status: ip ? { addresses: [{ type: 'InternalIP', address: ip }] } : {},
});

describe('peersFromNodes', () => {
  const cases: { name: string; nodes: Node[]; peers: string[]; skipped: RegExp[] }[] = [
    { name: 'self is never a peer', nodes: [node('a', '10.244.1.0/24', '02:00:00:00:00:0a', '10.0.0.1')], peers: [], skipped: [] },
    { name: 'a complete peer', nodes: [node('b', '10.244.2.0/24', '02:00:00:00:00:0b', '10.0.0.2')], peers: ['b 10.244.2.0/24 02:00:00:00:00:0b 10.0.0.2'], skipped: [] },
    { name: 'host bits in podCIDR are cleared', nodes: [node('b', '10.244.2.7/24', '02:00:00:00:00:0b', '10.0.0.2')], peers: ['b 10.244.2.0/24 02:00:00:00:00:0b 10.0.0.2'], skipped: [] },
    { name: 'no podCIDR yet', nodes: [node('b', undefined, '02:00:00:00:00:0b', '10.0.0.2')], peers: [], skipped: [/no spec.podCIDR/] },
    { name: 'no VTEP MAC yet', nodes: [node('b', '10.244.2.0/24', undefined, '10.0.0.2')], peers: [], skipped: [/vtep-mac/] },
    { name: 'podCIDR outside the cluster CIDR', nodes: [node('b', '10.9.2.0/24', '02:00:00:00:00:0b', '10.0.0.2')], peers: [], skipped: [/outside the cluster CIDR/] },
    { name: 'being deleted', nodes: [node('b', '10.244.2.0/24', '02:00:00:00:00:0b', '10.0.0.2', { deletionTimestamp: '2024-01-01T00:00:00Z' })], peers: [], skipped: [/being deleted/] },
    { name: 'another VNI', nodes: [node('b', '10.244.2.0/24', '02:00:00:00:00:0b', '10.0.0.2', {}, 7)], peers: [], skipped: [/VNI 7/] },
    {
      name: 'public-ip annotation wins over InternalIP',
      nodes: [node('b', '10.244.2.0/24', '02:00:00:00:00:0b', '10.0.0.2', { annotations: { [ANNOTATION_VTEP_MAC]: '02:00:00:00:00:0b', [ANNOTATION_PUBLIC_IP]: '10.0.9.9' } })],
      peers: ['b 10.244.2.0/24 02:00:00:00:00:0b 10.0.9.9'],
      skipped: [],
    },
    {
      name: 'two nodes claiming one CIDR: the first by name wins',
      nodes: [node('c', '10.244.2.0/24', '02:00:00:00:00:0c', '10.0.0.3'), node('b', '10.244.2.0/24', '02:00:00:00:00:0b', '10.0.0.2')],
      peers: ['b 10.244.2.0/24 02:00:00:00:00:0b 10.0.0.2'],
      skipped: [/also claimed by b/],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const r = peersFromNodes('a', c.nodes, { network: '10.244.0.0/16', vni: 1 });
      assert.deepEqual(r.peers.map((p) => `${p.name} ${p.podCIDR} ${p.vtepMac} ${p.publicIp}`), c.peers);
      assert.equal(r.skipped.length, c.skipped.length);
      c.skipped.forEach((re, i) => assert.match(r.skipped[i]!.reason, re));
    });
});

const DEV = 'sx-vxlan.1';
const peer = (n: number, mac = `02:00:00:00:00:${n.toString(16).padStart(2, '0')}`, ip = `10.0.0.${n}`): OverlayPeer => ({ name: `n${n}`, podCIDR: `10.244.${n}.0/24`, vtepMac: mac, publicIp: ip });

async function world() {
  const k = new FakeKernel();
  const nl = k.open();
  await nl.apply([
    { op: 'link.add', link: { kind: 'vxlan', name: DEV, vni: 1 } },
    { op: 'link.set', name: DEV, change: { up: true } },
    { op: 'addr.add', addr: { link: DEV, cidr: '10.244.1.0/32' } },
    { op: 'link.add', link: { kind: 'bridge', name: 'sx0' } },
    { op: 'link.set', name: 'sx0', change: { up: true } },
    { op: 'addr.add', addr: { link: 'sx0', cidr: '10.244.1.1/24' } },
  ]);
  const observed = async (): Promise<OverlayEntries> => ({
    neighbours: await nl.listNeighbours(DEV),
    fdb: await nl.listFdb(DEV),
    routes: ownedRoutes(await nl.listRoutes(), '10.244.0.0/16', '10.244.1.0/24'),
  });
  const converge = async (peers: OverlayPeer[], direct = false) => {
    const want = desiredEntries(peers, { device: DEV, directRouting: direct, underlay: { cidr: '10.0.0.1/24', device: 'eth0' } });
    const plan = planEntries(want, await observed());
    await nl.apply(plan);
    return { want, plan };
  };
  return { k, nl, observed, converge };
}

describe('planEntries on the fake kernel', () => {
  const cases: { name: string; before: OverlayPeer[]; after: OverlayPeer[]; ops: string[] }[] = [
    { name: 'first peer: neighbour, FDB, route in that order', before: [], after: [peer(2)], ops: ['neigh.replace', 'fdb.append', 'route.replace'] },
    { name: 'converged: nothing to do', before: [peer(2), peer(3)], after: [peer(2), peer(3)], ops: [] },
    { name: 'peer removed: route, FDB, neighbour go', before: [peer(2), peer(3)], after: [peer(2)], ops: ['route.del', 'fdb.del', 'neigh.del'] },
    { name: 'VTEP MAC changed: old FDB entry goes, neighbour replaced, new FDB entry', before: [peer(2)], after: [peer(2, '02:aa:00:00:00:02')], ops: ['fdb.del', 'neigh.replace', 'fdb.append'] },
    { name: 'underlay IP changed: FDB entry moves', before: [peer(2)], after: [peer(2, undefined, '10.0.0.99')], ops: ['fdb.del', 'fdb.append'] },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const w = await world();
      await w.converge(c.before);
      const { want, plan } = await w.converge(c.after);
      assert.deepEqual(plan.map((o) => o.op), c.ops);
      const got = await w.observed();
      assert.deepEqual(got.neighbours.map((n) => `${n.ip} ${n.mac}`).sort(), want.neighbours.map((n) => `${n.ip} ${n.mac}`).sort());
      assert.deepEqual(got.fdb.map((f) => `${f.mac} ${f.dst}`).sort(), want.fdb.map((f) => `${f.mac} ${f.dst}`).sort());
      assert.deepEqual(got.routes.map((r) => `${r.dst} ${r.gw} ${r.link}`).sort(), want.routes.map((r) => `${r.dst} ${r.gw} ${r.link}`).sort());
      assert.deepEqual((await w.converge(c.after)).plan, [], 'a second pass plans nothing');
    });

  it('stale entries of unknown peers are purged, the own pod CIDR route is left alone', async () => {
    const w = await world();
    await w.nl.apply([
      { op: 'neigh.replace', neigh: { link: DEV, ip: '10.244.77.0', mac: '02:77:00:00:00:00' } },
      { op: 'fdb.append', fdb: { link: DEV, mac: '02:77:00:00:00:00', dst: '10.0.0.77' } },
      { op: 'route.replace', route: { dst: '10.244.77.0/24', gw: '10.244.77.0', link: DEV, onlink: true } },
    ]);
    await w.converge([peer(2)]);
    const got = await w.observed();
    assert.deepEqual(got.routes.map((r) => r.dst), ['10.244.2.0/24']);
    assert.deepEqual(got.fdb.map((f) => f.dst), ['10.0.0.2']);
    assert.ok((await w.nl.listRoutes()).some((r) => r.dst === '10.244.1.0/24' && r.link === 'sx0'));
  });

  it('direct routing: a peer on the underlay subnet gets a plain route, one off it gets VXLAN', async () => {
    const want = desiredEntries([peer(2), peer(3, undefined, '10.9.0.3')], { device: DEV, directRouting: true, underlay: { cidr: '10.0.0.1/24', device: 'eth0' } });
    assert.deepEqual(want.routes, [
      { dst: '10.244.2.0/24', gw: '10.0.0.2', link: 'eth0' },
      { dst: '10.244.3.0/24', gw: '10.244.3.0', link: DEV, onlink: true },
    ]);
    assert.deepEqual(want.fdb.map((f) => f.dst), ['10.9.0.3']);
  });
});

describe('overlayRulesPayload', () => {
  it('never masquerades pod to pod, masquerades pods to outside, adds jumps only when missing', () => {
    const p = overlayRulesPayload({ network: '10.244.0.0/16', podCIDR: '10.244.1.0/24', masquerade: true, hasForwardJump: false, hasPostroutingJump: true });
    const lines = p.split('\n');
    const ret = lines.findIndex((l) => l.includes('-s 10.244.0.0/16 -d 10.244.0.0/16') && l.endsWith('-j RETURN'));
    const masq = lines.findIndex((l) => l.includes('MASQUERADE'));
    assert.ok(ret > 0 && masq > ret, 'pod↔pod RETURN comes before MASQUERADE');
    assert.match(lines[masq]!, /-s 10\.244\.1\.0\/24 ! -d 10\.244\.0\.0\/16 .*--random-fully/);
    assert.equal(lines.filter((l) => l.startsWith('-I FORWARD')).length, 1);
    assert.equal(lines.filter((l) => l.startsWith('-A POSTROUTING')).length, 0);
    assert.ok(!overlayRulesPayload({ network: '10.244.0.0/16', podCIDR: '10.244.1.0/24', masquerade: false, hasForwardJump: true, hasPostroutingJump: true }).includes('MASQUERADE'));
  });
});
