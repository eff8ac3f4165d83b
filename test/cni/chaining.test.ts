import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { buildOnce } from './build-once.js';
import { must, Runtime, TestNode, type ConfList } from './harness.js';

/** sextant first in a conflist, followed by the reference portmap, tuning and bandwidth. */
describe('sextant CNI chained with reference plugins', () => {
  let node: TestNode;
  let rt: Runtime;
  let client: string;
  before(async () => {
    buildOnce();
    node = await TestNode.create();
    rt = new Runtime(node);
    client = await node.addNamespace(`sx-cc-${node.id}`);
    const c = client.split('/').pop()!;
    await must('ip', ['netns', 'exec', node.nodeNs, 'ip', 'link', 'add', 'uplink', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', client]);
    await must('ip', ['netns', 'exec', node.nodeNs, 'ip', 'addr', 'add', '192.168.77.1/30', 'dev', 'uplink']);
    await must('ip', ['netns', 'exec', node.nodeNs, 'ip', 'link', 'set', 'uplink', 'up']);
    await must('ip', ['netns', 'exec', c, 'ip', 'addr', 'add', '192.168.77.2/30', 'dev', 'eth0']);
    await must('ip', ['netns', 'exec', c, 'ip', 'link', 'set', 'eth0', 'up']);
  });
  after(async () => node?.destroy());

  it('prevResult flows through, hostPort works from another namespace, DEL in reverse cleans up', async () => {
    const list: ConfList = {
      cniVersion: '1.0.0',
      name: 'chain',
      plugins: [
        { type: 'sextant', subnetFile: node.subnetFile, ipam: { dataDir: node.dataDir } },
        { type: 'portmap', capabilities: { portMappings: true } },
        { type: 'tuning', sysctl: { 'net.core.somaxconn': '511' } },
        { type: 'bandwidth', capabilities: { bandwidth: true } },
      ],
    };
    const pod = await node.newPod();
    const runtimeConfig = {
      portMappings: [{ hostPort: 30080, containerPort: 8080, protocol: 'tcp' }],
      bandwidth: { ingressRate: 100_000_000, ingressBurst: 1_000_000, egressRate: 100_000_000, egressBurst: 1_000_000 },
    };
    const a = await rt.add(list, 'chained-1', pod, 'eth0', runtimeConfig);
    assert.ok(a.ok, JSON.stringify(a));
    const result = a.result!;
    const names = (result.interfaces as { name: string }[]).map((i) => i.name);
    assert.equal(names[0], 'sx0', 'our interfaces survive the chain');
    assert.ok(names.includes('eth0'));
    assert.equal((result.ips as unknown[]).length, 1);
    assert.equal((await node.exec(pod, 'sysctl', ['-n', 'net.core.somaxconn'])).stdout.trim(), '511', 'tuning ran in the pod');
    const hostVeth = names[1]!;
    assert.match((await node.exec(node.nodeNs, 'tc', ['qdisc', 'show', 'dev', hostVeth])).stdout, /tbf/, 'bandwidth shaped the host veth');

    const server = node.spawnIn(pod, process.execPath, ['-e', "require('http').createServer((q,s)=>s.end('via-hostport')).listen(8080,()=>console.log('up'))"]);
    await new Promise<void>((res) => server.stdout!.once('data', () => res()));
    const got = await node.exec(client, 'curl', ['-s', '--max-time', '5', 'http://192.168.77.1:30080/']);
    assert.equal(got.stdout, 'via-hostport', got.stderr);
    const chk = await rt.check(list, 'chained-1', pod, 'eth0', ['portmap']);
    assert.equal(chk.ok, true, JSON.stringify(chk));

    const nat = await node.natRules();
    assert.match(nat, /CNI-HOSTPORT-DNAT/);
    assert.match(nat, /SX-MASQ-/);
    const d = await rt.del(list, 'chained-1', pod);
    assert.ok(d.ok, JSON.stringify(d.errors));
    const after = await node.natRules();
    assert.doesNotMatch(after, /chained-1/, 'no rule mentions the container any more');
    assert.doesNotMatch(after, /SX-MASQ-/);
    assert.doesNotMatch(after, /^-A CNI-HOSTPORT-DNAT .*CNI-DN-/m);
    assert.deepEqual(node.reservations('chain'), []);
    assert.deepEqual((await node.links()).filter((l) => l.ifname.startsWith('sxv') || l.ifname.startsWith('bwp')), []);
    assert.equal(rt.cached(list, 'chained-1'), undefined, 'result cache entry removed');
  });
});
