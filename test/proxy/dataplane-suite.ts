import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../daemon/logger.js';
import { createConntrack } from '../../kernel/conntrack.js';
import { parseDump } from '../../kernel/iptables-dump.js';
import { createIptables, type IptablesMode } from '../../kernel/iptables.js';
import { cleanupRules } from '../../proxy/command.js';
import { endpointChain, summarize, tracePacket } from '../../proxy/core/index.js';
import { slice, svc, type EpSpec } from '../../proxy/core/test-fixtures.js';
import { SyncEngine, type SyncResult } from '../../proxy/sync-engine.js';
import { NetnsLab, nsExec } from './netns-lab.js';

/**
 * The proxy's rules in a real kernel: a node namespace with four pods behind a bridge and an
 * outside client, real TCP/UDP traffic. p1 is "on this node"; p2 and p3 are labelled as being on
 * node-b so the Local policies have something to exclude.
 * Run once per xtables backend (proxy-dataplane-{nft,legacy}.test.ts).
 */
export function dataplaneSuite(mode: IptablesMode): void {
  const lab = new NetnsLab(4);
  const log = createLogger('proxy-test', { silent: true });
  let engine: SyncEngine;
  let initialSave = '';
  const synced: SyncResult[] = [];

  const ep = (pod: number, node = pod === 1 ? 'node-a' : 'node-b'): EpSpec => ({ ip: `10.244.1.${pod + 1}`, node });
  const web = [ep(1), ep(2), ep(3)];

  const save = (table?: string, counters = false) => nsExec(lab.node, `iptables-${mode}-save`, ...(table ? ['-t', table] : []), ...(counters ? ['-c'] : []));
  const strip = (s: string) => s.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/g, '')).join('\n');

  before(async () => {
    await lab.up();
    initialSave = save();
    const iptables = createIptables({ mode, netns: lab.node });
    engine = new SyncEngine({
      iptables,
      conntrack: createConntrack({ netns: lab.node }),
      config: { nodeName: 'node-a', clusterCIDRs: ['10.244.0.0/16'], nodePortCIDRs: [] },
      log,
      minSyncPeriodMs: 0,
      syncPeriodMs: 200,
      // The daemon e2e test covers kube-proxy's always-rewrite mode; this one the skipping mode.
      skipUnchangedTopLevel: true,
      // nft: several full-sync preludes even for this small table, so chunk boundaries meet the real kernel
      ...(mode === 'nft' ? { maxChainsPerRestore: 4 } : {}),
    });
    engine.onSynced = (r) => synced.push(r);
    const services = [
      svc('ns1', 'web', { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }] }),
      svc('ns1', 'web-local', { type: 'NodePort', clusterIP: '10.96.0.13', externalTrafficPolicy: 'Local', healthCheckNodePort: 32081, ports: [{ port: 80, nodePort: 30081 }] }),
      svc('ns1', 'hairpin', { clusterIP: '10.96.0.11', ports: [{ port: 80 }] }),
      svc('ns1', 'sticky', { clusterIP: '10.96.0.12', sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }),
      svc('ns1', 'dns', { clusterIP: '10.96.0.53', ports: [{ port: 53, protocol: 'UDP' }] }),
      svc('ns1', 'empty', { clusterIP: '10.96.0.99', ports: [{ port: 80 }] }),
    ];
    for (const s of services) engine.onServiceChange(undefined, s);
    engine.onSliceChange(slice('ns1', 'web', 'web-1', [{ port: 8080 }], web), false);
    engine.onSliceChange(slice('ns1', 'web-local', 'wl-1', [{ port: 8080 }], web), false);
    engine.onSliceChange(slice('ns1', 'hairpin', 'h-1', [{ port: 8080 }], [ep(1)]), false);
    engine.onSliceChange(slice('ns1', 'sticky', 's-1', [{ port: 8080 }], web), false);
    engine.onSliceChange(slice('ns1', 'dns', 'd-1', [{ port: 5353, protocol: 'UDP' }], [ep(1)]), false);
    const r = await engine.syncNow();
    assert.equal(r.ok, true);
    assert.equal(r.full, true);
  });

  after(async () => {
    await engine?.stop();
    lab.down();
  });

  const counts = (replies: string[]) => {
    const m = new Map<string, number>();
    for (const r of replies) m.set(r.split(' ')[0]!, (m.get(r.split(' ')[0]!) ?? 0) + 1);
    return m;
  };

  test('ClusterIP spreads 1,000 connections over every endpoint without gross skew', async () => {
    const r = await lab.client(lab.pods[3]!.ns, { mode: 'tcp', host: '10.96.0.10', port: 80, count: 1000 });
    assert.deepEqual(r.errors, {});
    const c = counts(r.replies);
    assert.deepEqual([...c.keys()].sort(), ['p1', 'p2', 'p3']);
    for (const [pod, n] of c) assert.ok(n > 200 && n < 470, `${pod} got ${n} of 1000`);
    // pod to service: the source is the client pod, not masqueraded
    assert.ok(r.replies.every((x) => x.endsWith(' 10.244.1.5')));
  });

  test('ClusterIP from the node itself (OUTPUT) reaches the endpoints', async () => {
    const r = await lab.client(lab.node, { mode: 'tcp', host: '10.96.0.10', port: 80, count: 30 });
    assert.equal(r.replies.length, 30);
  });

  test('NodePort from outside: Cluster policy masquerades, Local keeps the client address and uses only local endpoints', async () => {
    const cluster = await lab.client(lab.outside, { mode: 'tcp', host: '192.168.50.2', port: 30080, count: 30 });
    assert.equal(cluster.replies.length, 30);
    assert.ok(cluster.replies.every((x) => !x.endsWith(' 192.168.50.3')), cluster.replies.join(','));
    const local = await lab.client(lab.outside, { mode: 'tcp', host: '192.168.50.2', port: 30081, count: 30 });
    assert.deepEqual([...new Set(local.replies)], ['p1 192.168.50.3']);
  });

  test('the packet tracer reads the live, normalised iptables-save dump', () => {
    const dump = parseDump(save());
    const got = summarize(tracePacket(dump, { src: '192.168.50.3', proto: 'tcp', dst: '192.168.50.2', dport: 30081 }, { nodeAddresses: ['192.168.50.2', '10.244.1.1'] }));
    assert.deepEqual(got.map((g) => [g.verdict, g.destination, g.masqueraded]), [['endpoint', '10.244.1.2:8080', false]]);
    const spread = summarize(tracePacket(dump, { src: '10.244.1.5', proto: 'tcp', dst: '10.96.0.10', dport: 80 }, { nodeAddresses: ['192.168.50.2', '10.244.1.1'] }));
    assert.deepEqual(spread.map((g) => g.destination), ['10.244.1.2:8080', '10.244.1.3:8080', '10.244.1.4:8080']);
  });

  test('hairpin: a pod reaching itself through its service is masqueraded and answered', async () => {
    const r = await lab.client(lab.pods[0]!.ns, { mode: 'tcp', host: '10.96.0.11', port: 80, count: 5 });
    assert.deepEqual([...new Set(r.replies)], ['p1 10.244.1.1']);
  });

  test('session affinity pins a client to one endpoint', async () => {
    const r = await lab.client(lab.pods[3]!.ns, { mode: 'tcp', host: '10.96.0.12', port: 80, count: 40 });
    assert.equal(r.replies.length, 40);
    assert.equal(counts(r.replies).size, 1);
  });

  test('a service without endpoints refuses connections at once', async () => {
    const r = await lab.client(lab.pods[3]!.ns, { mode: 'tcp', host: '10.96.0.99', port: 80, count: 3 });
    assert.deepEqual(r.errors, { ECONNREFUSED: 3 });
  });

  test('UDP: after the endpoint changes, the stale conntrack entry is deleted and the same flow reaches the new endpoint', async () => {
    const first = await lab.client(lab.pods[3]!.ns, { mode: 'udp', host: '10.96.0.53', port: 53, count: 2, sport: 40053 });
    assert.deepEqual([...new Set(first.replies)], ['p1 10.244.1.5']);
    assert.match(nsExec(lab.node, 'conntrack', '-L', '-p', 'udp', '--orig-dst', '10.96.0.53'), /10\.244\.1\.2/);
    engine.onSliceChange(slice('ns1', 'dns', 'd-1', [{ port: 5353, protocol: 'UDP' }], [ep(2)]), false);
    const r = await engine.syncNow();
    assert.equal(r.full, false);
    const second = await lab.client(lab.pods[3]!.ns, { mode: 'udp', host: '10.96.0.53', port: 53, count: 2, sport: 40053 });
    assert.deepEqual([...new Set(second.replies)], ['p2 10.244.1.5']);
  });

  test("partial sync rewrites only the changed service: other services' rule counters survive", async () => {
    const sep = endpointChain('ns1/web', 'tcp', '10.244.1.2:8080');
    const countersOf = () => save('nat', true).split('\n').filter((l) => l.includes(`-A ${sep} `) && l.includes('DNAT'));
    const before = countersOf();
    assert.equal(before.length, 1);
    assert.doesNotMatch(before[0]!, /^\[0:0\]/);
    engine.onSliceChange(slice('ns1', 'empty', 'e-1', [{ port: 8080 }], [ep(3)]), false);
    const r = await engine.syncNow();
    assert.equal(r.full, false);
    assert.deepEqual(countersOf(), before);
    const ok = await lab.client(lab.pods[3]!.ns, { mode: 'tcp', host: '10.96.0.99', port: 80, count: 3 });
    assert.deepEqual([...new Set(ok.replies)], ['p3 10.244.1.5']);
  });

  test('an external flush of nat is detected by the canary and repaired', async () => {
    nsExec(lab.node, `iptables-${mode}`, '-t', 'nat', '-F');
    nsExec(lab.node, `iptables-${mode}`, '-t', 'nat', '-X');
    const broken = await lab.client(lab.pods[3]!.ns, { mode: 'tcp', host: '10.96.0.10', port: 80, count: 1 });
    assert.equal(broken.replies.length, 0);
    const seen = synced.length;
    engine.start();
    const deadline = Date.now() + 20_000;
    while (!synced.slice(seen).some((s) => s.full && s.ok) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await engine.stop();
    assert.ok(synced.slice(seen).some((s) => s.full && s.ok), 'no repairing full sync');
    const fixed = await lab.client(lab.pods[3]!.ns, { mode: 'tcp', host: '10.96.0.10', port: 80, count: 10 });
    assert.equal(fixed.replies.length, 10);
  });

  test('cleanup removes every rule and chain the proxy created and nothing else', async () => {
    nsExec(lab.node, `iptables-${mode}`, '-t', 'nat', '-A', 'POSTROUTING', '-s', '10.99.0.0/16', '-j', 'MASQUERADE');
    const foreign = strip(save());
    assert.match(foreign, /SX-/);
    await cleanupRules(createIptables({ mode, netns: lab.node }));
    const after = strip(save());
    assert.doesNotMatch(after, /SX-|sextant/);
    assert.match(after, /-A POSTROUTING -s 10\.99\.0\.0\/16 -j MASQUERADE/);
    nsExec(lab.node, `iptables-${mode}`, '-t', 'nat', '-D', 'POSTROUTING', '-s', '10.99.0.0/16', '-j', 'MASQUERADE');
    // nft keeps empty built-in chains once a table was used: compare rules and user chains only.
    const content = (text: string) => strip(text).split('\n').filter((l) => l.startsWith('-A ') || (/^:/.test(l) && / - $/.test(l))).sort();
    assert.deepEqual(content(save()), content(initialSave), 'rules or chains differ from before the proxy ran');
  });
}
