/**
 * A dry run against the shared claims of several API servers (etcd) only checks: it answers with
 * the ClusterIP / NodePort it would pick, refuses a value another server holds, and writes
 * nothing to the store — no claim made and rolled back. Proven on a real etcd by watching the
 * whole store prefix across the dry runs and comparing the store revision before and after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../../api/kinds.js';
import { runAdmission, type AdmissionOperation } from '../../server/admission.js';
import { etcdForTestFile } from '../../store/etcd/etcd-cluster.test-helper.js';
import type { Store, StoredObject, WatchEvent } from '../../store/store.js';
import { createServiceAllocationAdmission, type ServiceAllocationAdmission } from './admission.js';
import { storeClaims } from './store-claims.js';

const etcd = etcdForTestFile(1);

const user = { name: 'test', groups: [] };
const key = (name: string) => `/core/services/default/${name}`;
const svc = (name: string, spec: Record<string, unknown> = {}): StoredObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default', creationTimestamp: new Date().toISOString() },
  spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }], ...spec },
});
type Spec = { clusterIP?: string; ports: { nodePort?: number }[]; healthCheckNodePort?: number };
const specOf = (o: StoredObject) => o.spec as Spec;

/** What the registry does on a dry run: admit with dryRun, then roll back at once. */
async function dryRun(adm: ServiceAllocationAdmission, operation: AdmissionOperation, object?: StoredObject, oldObject?: StoredObject): Promise<void> {
  const name = String((object ?? oldObject)!.metadata!.name);
  const rollback = await runAdmission([adm.hook], {
    operation,
    kind: KINDS.Service,
    namespace: 'default',
    name,
    ...(object ? { object } : {}),
    ...(oldObject ? { oldObject } : {}),
    user,
    dryRun: true,
  });
  await rollback();
}

async function until(what: string, f: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!f()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What the registry does on a real create: admit, write, roll back when the write fails. */
async function create(adm: ServiceAllocationAdmission, store: Store, obj: StoredObject): Promise<StoredObject> {
  const name = String(obj.metadata!.name);
  const rollback = await runAdmission([adm.hook], { operation: 'CREATE', kind: KINDS.Service, namespace: 'default', name, object: obj, user });
  try {
    return await store.create(key(name), obj);
  } catch (err) {
    await rollback();
    throw err;
  }
}

test('HA dry runs (create, update, delete) report what they would allocate and write nothing to etcd', async () => {
  const store = await etcd.openStore('sxdry');
  const claims = storeClaims(store);
  const problems: string[] = [];
  const adm = createServiceAllocationAdmission({ store, claims, onRepairProblem: (m) => problems.push(m) });
  await adm.start();
  const events: WatchEvent[] = [];
  let watch: { stop(): void } | undefined;
  try {
    const a = await create(adm, store, svc('a'));
    // A ClusterIP another API server holds: its claim is in the store.
    assert.deepEqual(await claims.claim({ kind: 'clusterips', value: '10.96.0.50', owner: 'other/x' }), { ok: true });
    const claimsBefore = (await claims.list()).claims.map((c) => `${c.kind}/${c.value}=${c.owner}`).sort();

    const before = await store.currentRevision();
    watch = store.watch('/', { fromRevision: before, onEvent: (e) => events.push(e), onError: () => undefined });

    // Create: the answer carries the values it would get, distinct from a's.
    const b = svc('b', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
    await dryRun(adm, 'CREATE', b);
    assert.match(specOf(b).clusterIP ?? '', /^10\.9[6-9]\.|^10\.1[01]\d\./, 'a ClusterIP is reported');
    assert.notEqual(specOf(b).clusterIP, specOf(a).clusterIP);
    assert.ok(specOf(b).ports[0]!.nodePort, 'a NodePort is reported');
    assert.notEqual(specOf(b).ports[0]!.nodePort, specOf(a).ports[0]!.nodePort);
    assert.ok(specOf(b).healthCheckNodePort, 'a health-check node port is reported');

    // Asking for the value the other server holds is refused (422), still without a write.
    await assert.rejects(dryRun(adm, 'CREATE', svc('c', { type: 'ClusterIP', clusterIP: '10.96.0.50' })), (err: unknown) => (err as { http?: number }).http === 422);

    // Update to a type that needs a new node port, and one that drops a's node port; then delete.
    const toLb = structuredClone(a);
    toLb.spec = { ...(toLb.spec as object), type: 'LoadBalancer', externalTrafficPolicy: 'Local' };
    await dryRun(adm, 'UPDATE', toLb, a);
    assert.ok(specOf(toLb).healthCheckNodePort, 'the update reports its new health-check node port');
    const toClusterIP = structuredClone(a);
    toClusterIP.spec = { ...(toClusterIP.spec as object), type: 'ClusterIP' };
    await dryRun(adm, 'UPDATE', toClusterIP, a);
    await dryRun(adm, 'DELETE', undefined, a);

    // A real write after the dry runs: once the watch has it, every earlier event is in too.
    await store.create('/sxdry-marker', { kind: 'Marker', metadata: { name: 'marker' } });
    await until('the marker write to be watched', () => events.some((e) => e.object.kind === 'Marker'));
    assert.deepEqual(
      events.map((e) => `${e.type} ${String(e.object.kind)}`),
      ['ADDED Marker'],
      'the only write since the dry runs began is the marker',
    );
    assert.equal(await store.currentRevision(), before + 1);
    assert.deepEqual((await claims.list()).claims.map((c) => `${c.kind}/${c.value}=${c.owner}`).sort(), claimsBefore);

    // The dry runs left nothing taken in memory either: a's values are a's, nothing else is.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual([...adm.allocator.ips.allocated()].sort(), [[specOf(a).clusterIP!, 'default/a'], ['10.96.0.50', 'other/x']].sort());
    assert.deepEqual([...adm.allocator.ports.allocated()], [[specOf(a).ports[0]!.nodePort!, 'default/a']]);
    assert.deepEqual(problems, []);
  } finally {
    watch?.stop();
    adm.stop();
  }
});
