import { after, before } from 'node:test';
import { randomBytes } from 'node:crypto';
import { runStoreConformance } from '../conformance.js';
import { startEtcdCluster, type EtcdCluster } from './etcd-cluster.test-helper.js';
import { openEtcdStore } from './index.js';

// One real single-member etcd for the file; every test gets its own key prefix (the suite
// asserts only relative revisions, and runs its tests one after another).
let cluster: EtcdCluster | undefined;
before(async () => {
  cluster = await startEtcdCluster(1);
});
after(async () => {
  await cluster?.destroy();
});

runStoreConformance('etcd', async ({ historyRevisions }) => {
  const store = await openEtcdStore({
    endpoints: cluster!.endpoints,
    prefix: `/sxtest-${randomBytes(4).toString('hex')}`,
    history: { revisions: historyRevisions, ageMs: 0, intervalMs: 0 },
  });
  return { store, cleanup: () => store.close() };
});

// The same suite with one etcd watch per Store watch (no sharing), the path old watches take.
runStoreConformance('etcd (one etcd watch per watch)', async ({ historyRevisions }) => {
  const store = await openEtcdStore({
    endpoints: cluster!.endpoints,
    prefix: `/sxtest-${randomBytes(4).toString('hex')}`,
    history: { revisions: historyRevisions, ageMs: 0, intervalMs: 0 },
    shareWatches: false,
  });
  return { store, cleanup: () => store.close() };
});
