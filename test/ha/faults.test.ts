/**
 * Fault tests of the HA control plane: a real 3-member etcd cluster and two real
 * `sextant server --store etcd` processes. Kill the leading server; stop one etcd member and
 * restart it; stop quorum and bring it back — writes acknowledged at any point must survive.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from '../../controller/api/client.js';
import { isApiError } from '../../controller/api/errors.js';
import { KINDS } from '../../controller/api/kinds.js';
import type { Lease } from '../../controller/api/lease.js';
import { openEtcdStore } from '../../controller/store/etcd/index.js';
import { startHaBed, type HaBed } from './ha-harness.js';

let bed: HaBed;
/** Names of every Pod whose create was acknowledged (must all exist at the end). */
const acknowledged: string[] = [];

before(async () => {
  // HTTPS with one shared CA (--ca-dir): the failover client's one credential is valid on both.
  bed = await startHaBed({ etcdMembers: 3, servers: 2 });
});
after(async () => {
  await bed?.destroy();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastErr ? ` (last error: ${String(lastErr)})` : ''}`);
    await sleep(200);
  }
}

const pod = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { role: 'ack' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

async function createAcked(client: ApiClient, name: string): Promise<void> {
  await client.create(KINDS.Pod, pod(name) as never);
  acknowledged.push(name);
}

const holder = async (c: ApiClient) => (await c.get<Lease>(KINDS.Lease, 'kube-system', 'sextant-controller-manager')).spec?.holderIdentity ?? '';
const leaderIndex = () => bed.servers.findIndex((s) => s !== undefined && /started leading/.test(s.log()) && !/stopped leading/.test(s.log()));

test('kill the leading server: another leads within 15 s, a Deployment scaled meanwhile converges, allocations stay distinct', async () => {
  const first = await until('a leader', async () => (leaderIndex() >= 0 ? leaderIndex() : undefined), 20_000);
  const other = first === 0 ? 1 : 0;
  const survivor = bed.servers[other]!.client;
  const oldHolder = await holder(survivor);
  await survivor.create(KINDS.Deployment, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  } as never);
  await until('1 pod of web', async () => ((await survivor.list(KINDS.Pod, { namespace: 'default', labelSelector: 'app=web' })).items.length === 1 ? true : undefined), 20_000);
  const svcA = await Promise.all(Array.from({ length: 10 }, (_, i) => bed.servers[first]!.client.create(KINDS.Service, { apiVersion: 'v1', kind: 'Service', metadata: { name: `a${i}`, namespace: 'default' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } } as never)));
  assert.equal(svcA.length, 10);

  const killedAt = Date.now();
  await bed.killServer(first);
  await survivor.patch(KINDS.Deployment, 'default', 'web', { spec: { replicas: 3 } }, 'merge');
  await createAcked(survivor, 'during-leader-outage');
  const newHolder = await until('a new lease holder', async () => {
    const h = await holder(survivor);
    return h && h !== oldHolder ? h : undefined;
  }, 15_000);
  assert.ok(Date.now() - killedAt <= 15_000 + 2000, 'takeover within the lease duration window');
  assert.notEqual(newHolder, oldHolder);
  await until('3 pods of web', async () => ((await survivor.list(KINDS.Pod, { namespace: 'default', labelSelector: 'app=web' })).items.length === 3 ? true : undefined), 30_000);

  // Restart the killed server; both allocate in parallel: no duplicate ClusterIP or NodePort.
  const back = await bed.startServer(first);
  await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? back.client : survivor).create(KINDS.Service, { apiVersion: 'v1', kind: 'Service', metadata: { name: `b${i}`, namespace: 'default' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } } as never)));
  const svcs = (await survivor.list<{ spec: { clusterIP?: string; ports?: { nodePort?: number }[] } }>(KINDS.Service, { namespace: 'default' })).items;
  const ips = svcs.map((s) => s.spec.clusterIP).filter(Boolean);
  const ports = svcs.flatMap((s) => (s.spec.ports ?? []).map((p) => p.nodePort)).filter(Boolean);
  assert.equal(new Set(ips).size, ips.length, 'distinct ClusterIPs');
  assert.equal(new Set(ports).size, ports.length, 'distinct NodePorts');
  assert.ok(ports.length >= 30);
});

test('a write on one server is seen by a watch on the other; concurrent updates lose nothing', async () => {
  const [a, b] = [bed.servers[0]!.client, bed.servers[1]!.client];
  const seen: string[] = [];
  const list = await b.list(KINDS.Pod, { namespace: 'default' });
  const w = await b.watch(KINDS.Pod, { namespace: 'default', resourceVersion: list.metadata?.resourceVersion ?? '0', onEvent: (e) => seen.push(`${e.type} ${(e.object as { metadata?: { name?: string } }).metadata?.name}`), onClose: () => undefined });
  await createAcked(a, 'cross-server');
  await until('the watch on the other server', async () => (seen.includes('ADDED cross-server') ? true : undefined), 10_000);
  w.stop();
  // 20 read-modify-write increments through both servers (retry on 409): none lost.
  await a.create(KINDS.Namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'counter', labels: { n: '0' } } } as never);
  await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    const c = i % 2 ? a : b;
    for (;;) {
      const ns = (await c.get(KINDS.Namespace, undefined, 'counter')) as { metadata: { labels: Record<string, string> } };
      ns.metadata.labels.n = String(Number(ns.metadata.labels.n) + 1);
      try {
        await c.update(KINDS.Namespace, ns as never);
        return;
      } catch (err) {
        if (!isApiError(err, 'Conflict')) throw err;
      }
    }
  }));
  const final = (await a.get(KINDS.Namespace, undefined, 'counter')) as { metadata: { labels: Record<string, string> } };
  assert.equal(final.metadata.labels.n, '20');
});

test('stop one of three etcd members: writes and watches continue; restarted, it catches up', async () => {
  const client = ApiClient.fromKubeconfig(bed.kubeconfigFor('one-member-down'));
  try {
    const seen = new Set<string>();
    const list = await client.list(KINDS.Pod, { namespace: 'default' });
    const w = await client.watch(KINDS.Pod, { namespace: 'default', resourceVersion: list.metadata?.resourceVersion ?? '0', onEvent: (e) => seen.add((e.object as { metadata?: { name?: string } }).metadata?.name ?? ''), onClose: () => undefined });
    await bed.etcd.stop(2);
    // When member 2 was the etcd leader, the followers forward proposals to it until they notice
    // it is gone (election timeout 500 ms here) and etcd drops those: a write in that window times
    // out (503, not acknowledged), as it would through kube-apiserver. Once a leader is elected,
    // writes continue: every one of the ten below must succeed at the first attempt.
    await until('a write with one member down', async () => (await createAcked(client, `one-down-probe-${Date.now()}`), true), 20_000);
    for (let i = 0; i < 10; i++) await createAcked(client, `one-down-${i}`);
    await until('watch events with a member down', async () => (seen.has('one-down-9') ? true : undefined), 15_000);
    w.stop();
    await bed.etcd.start(2);
    await bed.etcd.waitHealthy(2);
    const only = await openEtcdStore({ endpoints: [bed.etcd.members[2]!.clientUrl] });
    try {
      const names = await until('member 2 to catch up', async () => {
        const items = (await only.list('/core/pods/default/')).items.map((o) => String(o.metadata?.name));
        return items.includes('one-down-9') ? items : undefined;
      }, 20_000);
      for (let i = 0; i < 10; i++) assert.ok(names.includes(`one-down-${i}`));
    } finally {
      await only.close();
    }
  } finally {
    client.close();
  }
});

test('stop etcd quorum: the API answers 503/504 within the request timeout; quorum back: it converges without restarts', async () => {
  const client = bed.servers.find((s) => s !== undefined)!.client;
  await bed.etcd.stop(1);
  await bed.etcd.stop(2);
  const t0 = Date.now();
  await assert.rejects(createAcked(client, 'no-quorum'), (err: unknown) => isApiError(err) && (err.code === 503 || err.code === 504));
  const took = Date.now() - t0;
  assert.ok(took < 10_000, `answered in ${took} ms (request timeout 3 s)`);
  await assert.rejects(client.list(KINDS.Pod, { namespace: 'default' }), (err: unknown) => isApiError(err) && (err.code === 503 || err.code === 504));
  await bed.etcd.start(1);
  await bed.etcd.start(2);
  await bed.etcd.waitHealthy(1);
  await until('writes to succeed again', async () => {
    await createAcked(client, `after-quorum-${Date.now()}`);
    return true;
  }, 30_000);
  // Controllers converge again: scale the Deployment and see the pods follow.
  await client.patch(KINDS.Deployment, 'default', 'web', { spec: { replicas: 2 } }, 'merge');
  await until('2 pods of web', async () => ((await client.list(KINDS.Pod, { namespace: 'default', labelSelector: 'app=web' })).items.length === 2 ? true : undefined), 30_000);
});

test('every acknowledged write survived', async () => {
  const client = bed.servers.find((s) => s !== undefined)!.client;
  const names = new Set((await client.list(KINDS.Pod, { namespace: 'default' })).items.map((p) => (p as { metadata?: { name?: string } }).metadata?.name));
  assert.ok(acknowledged.length >= 13);
  for (const n of acknowledged) assert.ok(names.has(n), `acknowledged pod ${n} exists`);
});
