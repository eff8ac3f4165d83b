import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStore } from '../../store/memory/index.js';
import { runAdmission } from '../../server/admission.js';
import { ApiServerError } from '../../server/errors.js';
import { KINDS } from '../../api/kinds.js';
import type { StoredObject } from '../../store/store.js';
import { createServiceAllocationAdmission } from './admission.js';

const user = { name: 'test', groups: [] };
const svcObj = (name: string, spec: Record<string, unknown> = {}): StoredObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }], ...spec },
});
const key = (name: string) => `/core/services/default/${name}`;
const settle = () => new Promise((r) => setTimeout(r, 20));

/** What the server's registry does on create: admit, write, roll back on failure. */
async function create(hooks: ReturnType<typeof createServiceAllocationAdmission>, store: ReturnType<typeof createMemoryStore>, obj: StoredObject) {
  const name = String(obj.metadata!.name);
  const rollback = await runAdmission([hooks.hook], { operation: 'CREATE', kind: KINDS.Service, namespace: 'default', name, object: obj, user });
  try {
    return await store.create(key(name), obj);
  } catch (err) {
    await rollback();
    throw err;
  }
}

async function remove(hooks: ReturnType<typeof createServiceAllocationAdmission>, store: ReturnType<typeof createMemoryStore>, current: StoredObject) {
  const name = String(current.metadata!.name);
  const rollback = await runAdmission([hooks.hook], { operation: 'DELETE', kind: KINDS.Service, namespace: 'default', name, oldObject: current, user });
  try {
    return await store.delete(key(name));
  } catch (err) {
    await rollback();
    throw err;
  }
}

test('admission: 200 parallel creates get 200 distinct IPs and node ports', async () => {
  const store = createMemoryStore();
  const adm = createServiceAllocationAdmission({ store });
  await adm.start();
  const stored = await Promise.all(Array.from({ length: 200 }, (_, i) => create(adm, store, svcObj(`s${i}`))));
  const specs = stored.map((s) => s.spec as { clusterIP: string; ports: { nodePort: number }[] });
  assert.equal(new Set(specs.map((s) => s.clusterIP)).size, 200);
  assert.equal(new Set(specs.map((s) => s.ports[0]!.nodePort)).size, 200);
  adm.stop();
  await store.close();
});

test('admission: a refused request is a 422 naming the field; a failed write rolls back', async () => {
  const store = createMemoryStore();
  const adm = createServiceAllocationAdmission({ store });
  await adm.start();
  await create(adm, store, svcObj('a', { ports: [{ port: 80, nodePort: 30500 }] }));
  await assert.rejects(create(adm, store, svcObj('b', { ports: [{ port: 80, nodePort: 30500 }] })), (err: unknown) => {
    assert.ok(err instanceof ApiServerError);
    assert.equal(err.http, 422);
    assert.equal(err.details?.causes?.[0]?.field, 'spec.ports[0].nodePort');
    assert.match(err.message, /provided port is already allocated/);
    return true;
  });
  // Same name again: the store refuses, and what admission took is given back.
  await assert.rejects(create(adm, store, svcObj('a', { clusterIP: '10.96.0.77' })));
  assert.equal(adm.allocator.ips.ownerOf('10.96.0.77'), undefined);
  adm.stop();
  await store.close();
});

test('admission: a delete releases only once the store has it; restart rebuilds from the store', async () => {
  const store = createMemoryStore();
  const adm = createServiceAllocationAdmission({ store });
  await adm.start();
  const a = await create(adm, store, svcObj('a'));
  const b = await create(adm, store, svcObj('b'));
  const ipA = (a.spec as { clusterIP: string }).clusterIP;
  await remove(adm, store, a);
  await settle();
  assert.equal(adm.allocator.ips.ownerOf(ipA), undefined, 'released after the delete was stored');

  // A failed delete (precondition) keeps the value.
  const rollback = await runAdmission([adm.hook], { operation: 'DELETE', kind: KINDS.Service, namespace: 'default', name: 'b', oldObject: b, user });
  await rollback();
  await settle();
  const ipB = (b.spec as { clusterIP: string }).clusterIP;
  assert.equal(adm.allocator.ips.ownerOf(ipB), 'default/b');
  adm.stop();

  // "Crash": a new admission over the same store knows b and not a.
  const again = createServiceAllocationAdmission({ store });
  const report = await again.start();
  assert.deepEqual(report, { duplicates: [], outOfRange: [] });
  assert.deepEqual([...again.allocator.ips.allocated()], [[ipB, 'default/b']]);
  assert.equal(again.allocator.ports.allocated().size, 1);
  again.stop();
  await store.close();
});
