/**
 * Allocation exactness across API servers: two admissions (as two `sextant server` processes
 * would hold), each with its own etcd client, allocate for 100 parallel Service creates each
 * against one real etcd → 200 distinct ClusterIPs and NodePorts, one claim per value; deletes
 * drop the claims; a restarted server rebuilds its view from the stored Services and claims.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { KINDS } from '../../controller/api/kinds.js';
import { runAdmission } from '../../controller/server/admission.js';
import { createServiceAllocationAdmission, type ServiceAllocationAdmission } from '../../controller/controllers/allocators/admission.js';
import { storeClaims } from '../../controller/controllers/allocators/store-claims.js';
import { openEtcdStore } from '../../controller/store/etcd/index.js';
import type { Store, StoredObject } from '../../controller/store/store.js';
import { startEtcdCluster, type EtcdCluster } from '../../controller/store/etcd/etcd-cluster.test-helper.js';

let cluster: EtcdCluster | undefined;
before(async () => {
  cluster = await startEtcdCluster(1);
});
after(async () => {
  await cluster?.destroy();
});

const user = { name: 'test', groups: [] };
const key = (name: string) => `/core/services/default/${name}`;
const svc = (name: string): StoredObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', creationTimestamp: new Date().toISOString() },
  spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }] },
});

interface Server {
  store: Store;
  adm: ServiceAllocationAdmission;
}

async function server(prefix: string, problems: string[]): Promise<Server> {
  const store = await openEtcdStore({ endpoints: cluster!.endpoints, prefix });
  const adm = createServiceAllocationAdmission({ store, claims: storeClaims(store), onRepairProblem: (m) => problems.push(m) });
  await adm.start();
  return { store, adm };
}

/** What the API server's registry does: admit, write, roll back when the write fails. */
async function create(s: Server, obj: StoredObject): Promise<StoredObject> {
  const name = String(obj.metadata!.name);
  const rollback = await runAdmission([s.adm.hook], { operation: 'CREATE', kind: KINDS.Service, namespace: 'default', name, object: obj, user });
  try {
    return await s.store.create(key(name), obj);
  } catch (err) {
    await rollback();
    throw err;
  }
}

async function remove(s: Server, name: string): Promise<void> {
  const current = (await s.store.get(key(name)))!;
  const rollback = await runAdmission([s.adm.hook], { operation: 'DELETE', kind: KINDS.Service, namespace: 'default', name, oldObject: current, user });
  try {
    await s.store.delete(key(name));
  } catch (err) {
    await rollback();
    throw err;
  }
}

const until = async (cond: () => Promise<boolean>, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

test('2 servers x 100 parallel Service creates on one etcd: 200 distinct ClusterIPs and NodePorts', async () => {
  const prefix = `/sxha-${randomBytes(4).toString('hex')}`;
  const problems: string[] = [];
  const a = await server(prefix, problems);
  const b = await server(prefix, problems);
  try {
    const stored = await Promise.all([
      ...Array.from({ length: 100 }, (_, i) => create(a, svc(`a${i}`))),
      ...Array.from({ length: 100 }, (_, i) => create(b, svc(`b${i}`))),
    ]);
    const specs = stored.map((o) => o.spec as { clusterIP: string; ports: { nodePort: number }[] });
    assert.equal(new Set(specs.map((s) => s.clusterIP)).size, 200, 'distinct ClusterIPs');
    assert.equal(new Set(specs.map((s) => s.ports[0]!.nodePort)).size, 200, 'distinct NodePorts');
    const claims = await storeClaims(a.store).list();
    assert.equal(claims.claims.filter((c) => c.kind === 'clusterips').length, 200);
    assert.equal(claims.claims.filter((c) => c.kind === 'nodeports').length, 200);
    for (const c of claims.claims) {
      const owner = stored.find((o) => {
        const s = o.spec as { clusterIP: string; ports: { nodePort: number }[] };
        return c.kind === 'clusterips' ? s.clusterIP === c.value : String(s.ports[0]!.nodePort) === c.value;
      });
      assert.equal(`default/${String(owner?.metadata?.name)}`, c.owner, `claim ${c.kind}/${c.value} names its Service`);
    }

    // Deletes on one server release the claims; the other server can then reuse the values.
    const freed = (stored[0]!.spec as { clusterIP: string }).clusterIP;
    await remove(b, 'a0');
    await until(async () => !(await storeClaims(a.store).list()).claims.some((c) => c.value === freed), 'the claim of a0 to go');
    await until(async () => a.adm.allocator.ips.ownerOf(freed) === undefined && b.adm.allocator.ips.ownerOf(freed) === undefined, 'both bitmaps to free it');
    const again = await create(a, { ...svc('c0'), spec: { type: 'ClusterIP', clusterIP: freed, ports: [{ port: 80, protocol: 'TCP' }] } });
    assert.equal((again.spec as { clusterIP: string }).clusterIP, freed);

    // A value claimed on the other server is refused with 422, even when requested explicitly.
    const taken = (stored[150]!.spec as { clusterIP: string }).clusterIP;
    await assert.rejects(
      create(a, { ...svc('dup'), spec: { type: 'ClusterIP', clusterIP: taken, ports: [{ port: 80, protocol: 'TCP' }] } }),
      (err: unknown) => (err as { http?: number }).http === 422,
    );

    // A server started later rebuilds from the stored Services and claims: no duplicates.
    const c = await server(prefix, problems);
    try {
      const more = await Promise.all(Array.from({ length: 20 }, (_, i) => create(c, svc(`late${i}`))));
      const all = (await c.store.list('/core/services/default/')).items.map((o) => (o.spec as { clusterIP: string }).clusterIP);
      assert.equal(new Set(all).size, all.length, 'all stored ClusterIPs distinct');
      assert.equal(more.length, 20);
    } finally {
      c.adm.stop();
      await c.store.close();
    }
    assert.deepEqual(problems, []);
  } finally {
    for (const s of [a, b]) {
      s.adm.stop();
      await s.store.close();
    }
  }
});
