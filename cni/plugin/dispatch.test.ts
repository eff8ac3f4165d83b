import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeMasqChains } from '../../kernel/ipmasq.js';
import { FakeKernel } from '../../kernel/netlink/fake.js';
import { FakeSysctl } from '../../kernel/sysctl.js';
import type { NodeSubnet } from '../subnet-file.js';
import type { Deps } from './context.js';
import { dispatch } from './dispatch.js';
import { CniCode, CniError } from './errors.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A fake node: kernel, sysctl, masq chains and a temp IPAM dir, plus one pod namespace. */
function world(subnet: NodeSubnet | null = { network: '10.244.0.0/16', subnet: '10.244.1.1/24', mtu: 1450, ipMasq: true }) {
  const kernel = new FakeKernel();
  kernel.addNamespace('/run/netns/pod1');
  const dataDir = mkdtempSync(join(tmpdir(), 'sx-cni-ut-'));
  dirs.push(dataDir);
  const masq = new FakeMasqChains();
  const sysctl = new FakeSysctl();
  let kernelProblem: string | undefined;
  const subnetReads: string[] = [];
  const deps: Deps = {
    kernelAccess: () => {
      if (kernelProblem) throw new CniError(CniCode.Kernel, 'the plugin cannot reach the kernel: its native helper did not load', kernelProblem);
    },
    openNetlink: (p) => kernel.open(p),
    configureNetns: async (p, ops, settings) => {
      const nl = kernel.open(p);
      // As the real one-process pod side: the sysctls need the interface to exist there.
      for (const key of Object.keys(settings)) {
        const ifName = /^net\/ipv4\/conf\/([^/]+)\//.exec(key)?.[1];
        if (ifName && !(await nl.getLink(ifName))) throw new Error(`sysctl ${key}: No such file or directory`);
      }
      await sysctl.set(p, settings);
      await nl.apply(ops);
    },
    sysctl,
    netns: { exists: (p) => kernel.namespaces.has(p), isOwn: (p) => p === '/proc/self/ns/net' },
    masq,
    execPlugin: async () => ({ code: 1, stdout: '', stderr: 'no delegates in unit tests' }),
    isExecutable: () => false,
    readSubnetFile: (path) => {
      subnetReads.push(path);
      if (!subnet) throw new Error('ENOENT');
      return subnet;
    },
    environ: {},
  };
  const run = async (env: Record<string, string | undefined>, conf: unknown) => {
    let out = '';
    const code = await dispatch({ env, stdin: typeof conf === 'string' ? conf : JSON.stringify(conf), stdout: (t) => (out += t) }, () => deps);
    return { code, doc: JSON.parse(out || 'null') as Record<string, unknown> | null };
  };
  const conf = (extra: Record<string, unknown> = {}) => ({ cniVersion: '1.1.0', name: 'sxnet', type: 'sextant', ipam: { dataDir }, ...extra });
  const reserved = () => {
    try {
      return readdirSync(join(dataDir, 'sxnet')).filter((f) => /^\d/.test(f));
    } catch {
      return [];
    }
  };
  const breakKernel = (why: string) => (kernelProblem = why);
  return { kernel, masq, sysctl, run, conf, reserved, dataDir, breakKernel, subnetReads };
}

const addEnv = (over: Record<string, string | undefined> = {}) => ({
  CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'c1', CNI_NETNS: '/run/netns/pod1', CNI_IFNAME: 'eth0', CNI_PATH: '/nonexistent', ...over,
});

describe('cni protocol: bad input fails with the spec code and changes nothing', () => {
  const cases: { name: string; env?: Record<string, string | undefined>; conf?: unknown; code: number; msg: RegExp }[] = [
    { name: 'missing CNI_COMMAND', env: addEnv({ CNI_COMMAND: undefined }), code: 4, msg: /CNI_COMMAND: is required/ },
    { name: 'unknown command', env: addEnv({ CNI_COMMAND: 'FROB' }), code: 4, msg: /unknown command/ },
    { name: 'container id with a leading dash', env: addEnv({ CNI_CONTAINERID: '-abc' }), code: 4, msg: /CNI_CONTAINERID/ },
    { name: 'container id with a slash', env: addEnv({ CNI_CONTAINERID: 'a/b' }), code: 4, msg: /CNI_CONTAINERID/ },
    { name: 'missing CNI_NETNS on ADD', env: addEnv({ CNI_NETNS: undefined }), code: 4, msg: /CNI_NETNS: is required for ADD/ },
    { name: 'relative CNI_NETNS', env: addEnv({ CNI_NETNS: 'run/netns/x' }), code: 4, msg: /CNI_NETNS: must be an absolute path/ },
    { name: 'ifname of 16 characters', env: addEnv({ CNI_IFNAME: 'abcdefghijklmnop' }), code: 4, msg: /CNI_IFNAME: must be at most 15/ },
    { name: 'ifname ".."', env: addEnv({ CNI_IFNAME: '..' }), code: 4, msg: /CNI_IFNAME/ },
    { name: 'ifname with a colon', env: addEnv({ CNI_IFNAME: 'eth0:1' }), code: 4, msg: /CNI_IFNAME/ },
    { name: 'ifname with a space', env: addEnv({ CNI_IFNAME: 'eth 0' }), code: 4, msg: /CNI_IFNAME/ },
    { name: 'unknown CNI_ARGS key', env: addEnv({ CNI_ARGS: 'FOO=bar' }), code: 4, msg: /CNI_ARGS: unknown args FOO/ },
    { name: 'CNI_ARGS without =', env: addEnv({ CNI_ARGS: 'K8S_POD_NAME' }), code: 4, msg: /CNI_ARGS/ },
    { name: 'stdin not JSON', conf: '{nope', code: 6, msg: /not valid JSON/ },
    { name: 'empty stdin', conf: '', code: 6, msg: /no network configuration/ },
    { name: 'unsupported version', conf: { cniVersion: '0.2.0', name: 'n', type: 'sextant' }, code: 1, msg: /incompatible CNI version 0.2.0/ },
    { name: 'no name', conf: { cniVersion: '1.0.0', type: 'sextant' }, code: 7, msg: /name:/ },
    { name: 'mtu out of range', conf: { cniVersion: '1.0.0', name: 'n', type: 'sextant', mtu: 10 }, code: 7, msg: /mtu: must be 576-65535/ },
    { name: 'bad range subnet', conf: { cniVersion: '1.0.0', name: 'n', type: 'sextant', ipam: { ranges: [[{ subnet: '10.1.0.0' }]] } }, code: 7, msg: /ipam\.ranges\[0\]\[0\]\.subnet: must be an IPv4 CIDR/ },
    { name: 'hairpin and promisc', conf: { cniVersion: '1.0.0', name: 'n', type: 'sextant', hairpinMode: true, promiscMode: true }, code: 7, msg: /hairpinMode and promiscMode/ },
    { name: 'a /32 range', conf: { cniVersion: '1.0.0', name: 'n', type: 'sextant', ipam: { ranges: [[{ subnet: '10.1.0.0/32' }]] } }, code: 7, msg: /too small/ },
    { name: 'CHECK below 0.4.0', env: addEnv({ CNI_COMMAND: 'CHECK' }), conf: { cniVersion: '0.3.1', name: 'n', type: 'sextant' }, code: 1, msg: /CHECK needs cniVersion >= 0.4.0/ },
    { name: 'STATUS below 1.1.0', env: { CNI_COMMAND: 'STATUS' }, conf: { cniVersion: '1.0.0', name: 'n', type: 'sextant' }, code: 1, msg: /STATUS needs/ },
    { name: 'GC below 1.1.0', env: { CNI_COMMAND: 'GC' }, conf: { cniVersion: '1.0.0', name: 'n', type: 'sextant' }, code: 1, msg: /GC needs/ },
    { name: 'netns that does not exist', env: addEnv({ CNI_NETNS: '/run/netns/gone' }), code: 3, msg: /does not exist/ },
    { name: 'the plugin\'s own netns', env: addEnv({ CNI_NETNS: '/proc/self/ns/net' }), code: 8, msg: /own network namespace/ },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const w = world();
      if (c.env?.CNI_NETNS === '/proc/self/ns/net') w.kernel.addNamespace('/proc/self/ns/net');
      const r = await w.run(c.env ?? addEnv(), c.conf ?? w.conf());
      assert.equal(r.code, 1);
      assert.equal(r.doc?.code, c.code, JSON.stringify(r.doc));
      assert.match(String(r.doc?.msg), c.msg);
      assert.equal(typeof r.doc?.cniVersion, 'string');
      assert.deepEqual([...w.kernel.ns(undefined).links.keys()], ['lo'], 'no link created');
      assert.deepEqual(w.reserved(), [], 'no address reserved');
      assert.equal(w.masq.chains.size, 0);
    });
});

describe('cni ADD reads the node subnet file once', () => {
  it('MTU and IPAM ranges both come from the subnet file, read a single time', async () => {
    const w = world();
    const r = await w.run(addEnv(), w.conf());
    assert.equal(r.code, 0, JSON.stringify(r.doc));
    assert.equal(w.kernel.ns('/run/netns/pod1').links.get('eth0')?.mtu, 1450, 'MTU from the subnet file');
    assert.match(JSON.stringify(r.doc?.ips), /10\.244\.1\./, 'address from the subnet file range');
    assert.deepEqual(w.subnetReads, ['/run/sextant/subnet.env']);
  });
});

describe('cni protocol: versions', () => {
  for (const v of ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'])
    it(`ADD answers in ${v}`, async () => {
      const w = world();
      const r = await w.run(addEnv(), w.conf({ cniVersion: v }));
      assert.equal(r.code, 0, JSON.stringify(r.doc));
      assert.equal(r.doc?.cniVersion, v);
      const ips = r.doc?.ips as { version?: string; address: string; interface: number; gateway: string }[];
      assert.equal(ips[0]!.version, v.startsWith('0.') ? '4' : undefined);
      assert.equal(ips[0]!.interface, 2);
      assert.equal(ips[0]!.gateway, '10.244.1.1');
    });
  it('VERSION lists every supported version in the request version', async () => {
    const w = world();
    const r = await w.run({ CNI_COMMAND: 'VERSION' }, { cniVersion: '0.4.0' });
    assert.deepEqual(r.doc, { cniVersion: '0.4.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
  });
  it('cniVersions picks the highest supported', async () => {
    const w = world();
    const conf = w.conf();
    delete (conf as { cniVersion?: string }).cniVersion;
    const r = await w.run(addEnv(), { ...conf, cniVersions: ['0.4.0', '1.0.0', '9.9.9'] });
    assert.equal(r.doc?.cniVersion, '1.0.0');
  });
});

describe('cni commands on the fake kernel', () => {
  it('ADD builds bridge, veth, pod side, masq chain and sysctls', async () => {
    const w = world();
    const r = await w.run(addEnv({ CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAME=p;FOO=1' }), w.conf());
    assert.equal(r.code, 0, JSON.stringify(r.doc));
    const ifs = r.doc?.interfaces as { name: string; mac: string; sandbox?: string }[];
    assert.equal(ifs[0]!.name, 'sx0');
    assert.equal(ifs[2]!.sandbox, '/run/netns/pod1');
    const root = w.kernel.ns(undefined);
    const pod = w.kernel.ns('/run/netns/pod1');
    assert.equal(root.links.get(ifs[1]!.name)?.master, 'sx0');
    assert.equal(root.links.get(ifs[1]!.name)?.mtu, 1450);
    assert.deepEqual(root.addresses, [{ link: 'sx0', cidr: '10.244.1.1/24' }]);
    assert.equal(pod.links.get('eth0')?.mac, ifs[2]!.mac);
    assert.equal(pod.links.get('eth0')?.up, true);
    assert.equal(pod.links.get('lo')?.up, true);
    assert.deepEqual(pod.routes.map((x) => [x.dst, x.gw]), [['0.0.0.0/0', '10.244.1.1']]);
    assert.equal(w.masq.chains.size, 1);
    assert.equal(await w.sysctl.get('/run/netns/pod1', 'net.ipv4.conf.eth0.arp_notify'), '1');
    assert.equal(w.reserved().length, 1);
  });
  it('a second ADD for the same container and ifname fails as a duplicate and keeps the first', async () => {
    const w = world();
    assert.equal((await w.run(addEnv(), w.conf())).code, 0);
    const r = await w.run(addEnv(), w.conf());
    assert.equal(r.doc?.code, 104);
    assert.equal(w.reserved().length, 1);
    assert.equal(w.kernel.ns('/run/netns/pod1').links.has('eth0'), true);
  });
  it('a failing pod side rolls back veth, address and chain', async () => {
    const w = world();
    await w.kernel.open('/run/netns/pod1').apply([{ op: 'link.add', link: { kind: 'bridge', name: 'eth0' } }]);
    const r = await w.run(addEnv(), w.conf());
    assert.equal(r.code, 1);
    assert.equal(r.doc?.code, 100, JSON.stringify(r.doc));
    assert.deepEqual(w.reserved(), []);
    assert.deepEqual([...w.kernel.ns(undefined).links.keys()].filter((n) => n.startsWith('sxv')), []);
    assert.equal(w.masq.chains.size, 0);
  });
  it('DEL is idempotent: twice, without netns, after the netns is gone', async () => {
    const w = world();
    assert.equal((await w.run(addEnv(), w.conf())).code, 0);
    w.kernel.deleteNamespace('/run/netns/pod1');
    for (const env of [addEnv({ CNI_COMMAND: 'DEL' }), addEnv({ CNI_COMMAND: 'DEL', CNI_NETNS: undefined }), addEnv({ CNI_COMMAND: 'DEL', CNI_NETNS: '' })]) {
      const r = await w.run(env, w.conf());
      assert.equal(r.code, 0, JSON.stringify(r.doc));
    }
    assert.deepEqual(w.reserved(), []);
    assert.equal(w.masq.chains.size, 0);
  });
  it('CHECK passes on a fresh attachment and names what was removed', async () => {
    const w = world();
    const add = await w.run(addEnv(), w.conf());
    const ok = await w.run(addEnv({ CNI_COMMAND: 'CHECK' }), w.conf({ prevResult: add.doc }));
    assert.equal(ok.code, 0, JSON.stringify(ok.doc));
    await w.kernel.open('/run/netns/pod1').apply([{ op: 'route.del', route: { dst: '0.0.0.0/0' } }]);
    const bad = await w.run(addEnv({ CNI_COMMAND: 'CHECK' }), w.conf({ prevResult: add.doc }));
    assert.equal(bad.doc?.code, 103);
    assert.match(String(bad.doc?.msg), /route 0\.0\.0\.0\/0 via 10\.244\.1\.1 is missing/);
  });
  it('GC keeps valid attachments and releases the rest', async () => {
    const w = world();
    w.kernel.addNamespace('/run/netns/pod2');
    await w.run(addEnv(), w.conf());
    await w.run(addEnv({ CNI_CONTAINERID: 'c2', CNI_NETNS: '/run/netns/pod2' }), w.conf());
    const r = await w.run({ CNI_COMMAND: 'GC' }, w.conf({ 'cni.dev/valid-attachments': [{ containerID: 'c1', ifname: 'eth0' }] }));
    assert.equal(r.code, 0, JSON.stringify(r.doc));
    assert.equal(w.reserved().length, 1);
    assert.equal(w.masq.chains.size, 1);
    assert.equal(w.kernel.ns('/run/netns/pod2').links.has('eth0'), false);
    assert.equal(w.kernel.ns('/run/netns/pod1').links.has('eth0'), true);
  });
  it('ADD without ranges and without a subnet file asks to try again later (11); STATUS says 50', async () => {
    const w = world(null);
    assert.equal((await w.run(addEnv(), w.conf())).doc?.code, 11);
    assert.equal((await w.run({ CNI_COMMAND: 'STATUS' }, w.conf())).doc?.code, 50);
  });
  it('STATUS says 50, naming the reason, when the plugin cannot reach the kernel', async () => {
    const w = world();
    const conf = w.conf({ ipam: { dataDir: w.dataDir, ranges: [[{ subnet: '10.9.0.0/30' }]] } });
    assert.equal((await w.run({ CNI_COMMAND: 'STATUS' }, conf)).code, 0);
    w.breakKernel('no exec-capable directory for the helper');
    const st = await w.run({ CNI_COMMAND: 'STATUS' }, conf);
    assert.equal(st.doc?.code, 50);
    assert.match(String(st.doc?.msg), /native helper did not load/);
    assert.equal(st.doc?.details, 'no exec-capable directory for the helper');
  });
  it('STATUS is 0 with a usable range and 50 once it is full', async () => {
    const w = world();
    const conf = w.conf({ ipam: { dataDir: w.dataDir, ranges: [[{ subnet: '10.9.0.0/30' }]] } });
    assert.equal((await w.run({ CNI_COMMAND: 'STATUS' }, conf)).code, 0);
    assert.equal((await w.run(addEnv(), conf)).code, 0);
    const st = await w.run({ CNI_COMMAND: 'STATUS' }, conf);
    assert.equal(st.doc?.code, 50);
    w.kernel.addNamespace('/run/netns/pod2');
    const full = await w.run(addEnv({ CNI_CONTAINERID: 'c2', CNI_NETNS: '/run/netns/pod2' }), conf);
    assert.equal(full.doc?.code, 101);
    assert.match(String(full.doc?.msg), /no addresses available/);
  });
});
