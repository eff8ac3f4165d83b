import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from './build-once.js';
import { Runtime, TestNode, type ConfList } from './harness.js';

/** Exec'ing the built binary inside a node namespace against pod namespaces. */
describe('sextant CNI binary end to end', () => {
  let node: TestNode;
  let rt: Runtime;
  let list: ConfList;
  before(async () => {
    buildOnce();
    node = await TestNode.create();
    rt = new Runtime(node);
    list = {
      cniVersion: '1.1.0',
      name: 'sxnet',
      plugins: [{ type: 'sextant', subnetFile: node.subnetFile, hairpinMode: true, ipam: { dataDir: node.dataDir } }],
    };
  });
  after(async () => node?.destroy());

  it('install-cni put an executable single-file plugin and a conflist of type sextant in the temp dirs', async () => {
    const { readFileSync, statSync } = await import('node:fs');
    const bin = `${node.binDir}/sextant`;
    assert.ok((statSync(bin).mode & 0o111) !== 0, 'executable');
    assert.match(readFileSync(bin, 'utf8').slice(0, 30), /^#!\/usr\/bin\/env node\n/);
    const conf = JSON.parse(readFileSync(`${node.confDir}/10-sextant.conflist`, 'utf8')) as ConfList;
    assert.equal(conf.plugins[0]!.type, 'sextant');
    const v = await node.plugin('sextant', { CNI_COMMAND: 'VERSION' }, { cniVersion: conf.cniVersion });
    assert.deepEqual(v.doc, { cniVersion: conf.cniVersion, supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });

  it('ADD attaches two pods that reach each other and the gateway; CHECK passes; DEL removes everything', async () => {
    const p1 = await node.newPod();
    const p2 = await node.newPod();
    const a1 = await rt.add(list, 'pod-a', p1);
    const a2 = await rt.add(list, 'pod-b', p2);
    assert.ok(a1.ok && a2.ok, JSON.stringify([a1, a2]));
    const r1 = a1.result!;
    const ifs = r1.interfaces as { name: string; mac: string; sandbox?: string }[];
    const ips = r1.ips as { address: string; gateway: string; interface: number }[];
    assert.equal(r1.cniVersion, '1.1.0');
    assert.deepEqual(ifs.map((i) => i.name).slice(0, 1), ['sx0']);
    assert.equal(ifs[2]!.sandbox, p1);
    assert.equal(ips[0]!.interface, 2);
    assert.equal(ips[0]!.gateway, '10.244.1.1');
    assert.deepEqual(r1.routes, [{ dst: '0.0.0.0/0', gw: '10.244.1.1' }]);
    const podLinks = await node.links(p1);
    const eth0 = podLinks.find((l) => l.ifname === 'eth0')!;
    assert.equal(eth0.mtu, 1450, 'MTU from the subnet file');
    assert.equal(eth0.address, ifs[2]!.mac);
    const hostVeth = (await node.links()).find((l) => l.ifname === ifs[1]!.name)!;
    assert.equal(hostVeth.master, 'sx0');
    const hairpin = await node.exec(node.nodeNs, 'cat', [`/sys/class/net/${ifs[1]!.name}/brport/hairpin_mode`]);
    assert.equal(hairpin.stdout.trim(), '1');
    assert.equal((await node.exec(p1, 'sysctl', ['-n', 'net.ipv4.conf.eth0.arp_notify'])).stdout.trim(), '1');
    assert.match(await node.natRules(), /-A POSTROUTING -s 10\.244\.1\.\d+\/32 .* -j SX-MASQ-/);

    const ip2 = (a2.result!.ips as { address: string }[])[0]!.address.split('/')[0]!;
    const server = node.spawnIn(p2, process.execPath, ['-e', "require('http').createServer((q,s)=>s.end('pod-b')).listen(8080,()=>console.log('up'))"]);
    await new Promise<void>((res) => server.stdout!.once('data', () => res()));
    const got = await node.exec(p1, 'curl', ['-s', '--max-time', '5', `http://${ip2}:8080/`]);
    assert.equal(got.stdout, 'pod-b', got.stderr);
    const gw = await node.exec(p1, 'ip', ['route', 'get', '10.244.1.1']);
    assert.match(gw.stdout, /dev eth0/);

    assert.equal((await rt.check(list, 'pod-a', p1)).ok, true);
    assert.equal((await rt.del(list, 'pod-a', p1)).ok, true);
    assert.equal((await rt.del(list, 'pod-b', p2)).ok, true);
    assert.deepEqual(node.reservations('sxnet'), []);
    assert.deepEqual((await node.links()).filter((l) => l.ifname.startsWith('sxv')), []);
    assert.doesNotMatch(await node.natRules(), /SX-MASQ-/);
    assert.equal((await node.links(p1)).some((l) => l.ifname === 'eth0'), false);
  });

  it('DEL is idempotent: twice, with CNI_NETNS empty, after the netns was deleted, after the IP was released', async () => {
    const p = await node.newPod();
    assert.ok((await rt.add(list, 'pod-del', p)).ok);
    await node.deleteNamespace(p);
    for (const netns of [p, '', p]) {
      const r = await node.plugin('sextant', { CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'pod-del', CNI_NETNS: netns, CNI_IFNAME: 'eth0' }, { cniVersion: '1.1.0', ...list.plugins[0], name: 'sxnet' });
      assert.equal(r.code, 0, JSON.stringify(r.doc));
    }
    assert.deepEqual(node.reservations('sxnet'), []);
    assert.doesNotMatch(await node.natRules(), /SX-MASQ-/);
  });

  it('CHECK fails naming the address that was removed', async () => {
    const p = await node.newPod();
    const a = await rt.add(list, 'pod-chk', p);
    assert.ok(a.ok);
    const addr = (a.result!.ips as { address: string }[])[0]!.address;
    await node.exec(p, 'ip', ['addr', 'del', addr, 'dev', 'eth0']);
    const c = await rt.check(list, 'pod-chk', p);
    assert.equal(c.ok, false);
    assert.equal(c.error?.code, 103);
    assert.match(String(c.error?.msg), new RegExp(`address ${addr.replace(/\./g, '\\.')} is missing`));
    assert.ok((await rt.del(list, 'pod-chk', p)).ok);
  });

  it('a failing ADD (eth0 taken in the pod) rolls back veth, IP and chain', async () => {
    const p = await node.newPod();
    await node.exec(p, 'ip', ['link', 'add', 'eth0', 'type', 'bridge']);
    const before = node.reservations('sxnet').length;
    const a = await rt.add(list, 'pod-fail', p);
    assert.equal(a.ok, false);
    assert.equal(a.error?.code, 100, JSON.stringify(a.error));
    assert.equal(node.reservations('sxnet').length, before);
    assert.deepEqual((await node.links()).filter((l) => l.ifname.startsWith('sxv')), []);
    assert.doesNotMatch(await node.natRules(), /SX-MASQ-/);
  });

  it('a pod-side failure inside one netlink batch (a route after the address and link-up) is reported and rolled back', async () => {
    const p = await node.newPod();
    const broken: ConfList = {
      ...list,
      name: 'sxnet-badroute',
      plugins: [{ ...list.plugins[0]!, ipam: { dataDir: node.dataDir, routes: [{ dst: '192.168.77.0/24', gw: '10.99.99.99' }] } }],
    };
    const a = await rt.add(broken, 'pod-badroute', p);
    assert.equal(a.ok, false);
    assert.equal(a.error?.code, 100, JSON.stringify(a.error));
    assert.match(String(a.error?.msg), /route add 192\.168\.77\.0\/24 via 10\.99\.99\.99/);
    assert.deepEqual(node.reservations('sxnet-badroute'), []);
    assert.deepEqual((await node.links()).filter((l) => l.ifname.startsWith('sxv')), []);
    assert.deepEqual((await node.links(p)).map((l) => l.ifname), ['lo'], 'the pod end went with its veth');
    assert.doesNotMatch(await node.natRules(), /SX-MASQ-/);
  });

  it('GC releases attachments that are not in cni.dev/valid-attachments', async () => {
    const keep = await node.newPod();
    const drop = await node.newPod();
    assert.ok((await rt.add(list, 'gc-keep', keep)).ok);
    assert.ok((await rt.add(list, 'gc-drop', drop)).ok);
    const [r] = await rt.gc(list, [{ containerID: 'gc-keep', ifname: 'eth0' }]);
    assert.equal(r!.code, 0, JSON.stringify(r!.doc));
    assert.equal(node.reservations('sxnet').length, 1);
    assert.equal((await node.links(drop)).some((l) => l.ifname === 'eth0'), false);
    assert.equal((await node.links(keep)).some((l) => l.ifname === 'eth0'), true);
    assert.equal((await node.natRules()).match(/^:SX-MASQ-/gm)?.length, 1);
    assert.ok((await rt.del(list, 'gc-keep', keep)).ok);
  });

  it('STATUS is 0 with the subnet file and 50 without it', async () => {
    const conf = { cniVersion: '1.1.0', name: 'sxnet', ...list.plugins[0] };
    assert.equal((await node.plugin('sextant', { CNI_COMMAND: 'STATUS' }, conf)).code, 0);
    const missing = await node.plugin('sextant', { CNI_COMMAND: 'STATUS' }, { ...conf, subnetFile: `${node.dir}/absent.env` });
    assert.equal(missing.doc?.code, 50);
  });

  it('ipam.type host-local is delegated to the binary on CNI_PATH, and both share one on-disk layout', async () => {
    const shared = { type: 'host-local', ranges: [[{ subnet: '10.77.0.0/24' }]], dataDir: node.dataDir };
    const delegated: ConfList = { cniVersion: '1.0.0', name: 'shared', plugins: [{ type: 'sextant', bridge: 'sx1', subnetFile: node.subnetFile, ipMasq: false, ipam: shared }] };
    const builtin: ConfList = { ...delegated, plugins: [{ ...delegated.plugins[0], ipam: { ...shared, type: undefined } }] };
    const p1 = await node.newPod();
    const p2 = await node.newPod();
    const a1 = await rt.add(delegated, 'hl-1', p1);
    assert.ok(a1.ok, JSON.stringify(a1));
    assert.equal((a1.result!.ips as { address: string }[])[0]!.address, '10.77.0.2/24');
    const a2 = await rt.add(builtin, 'sx-2', p2);
    assert.ok(a2.ok, JSON.stringify(a2));
    assert.equal((a2.result!.ips as { address: string }[])[0]!.address, '10.77.0.3/24', 'built-in IPAM continues after host-local');
    assert.deepEqual(node.reservations('shared').sort(), ['10.77.0.2', '10.77.0.3']);
    // host-local releases what the built-in IPAM reserved, and vice versa
    assert.ok((await rt.del(delegated, 'sx-2', p2)).ok);
    assert.ok((await rt.del(builtin, 'hl-1', p1)).ok);
    assert.deepEqual(node.reservations('shared'), []);
  });
});
