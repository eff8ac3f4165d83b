/**
 * Start-up repair: a server restarted with another service range reports the stored ClusterIP
 * outside it as a ClusterIPOutOfRange event on the Service, and allocates new ones from the new
 * range.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient } from '../../controller/api/client.js';
import { KINDS, type Event, type Service } from '../../controller/api/index.js';
import { startApiServer } from '../../controller/server/api-server.js';
import { createMemoryStore } from '../../controller/store/memory/index.js';
import { attachControllers } from '../../controller/controllers/start.js';
import { createLogger } from '../../daemon/logger.js';
import { eventually, startInProcessPlane } from './in-process.js';

const svc = (name: string): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80 }] } });

test('repair after a range change: out-of-range event, new IPs from the new range', async () => {
  const store = createMemoryStore();
  const first = await startInProcessPlane({ store, controllers: 'service-allocation' });
  const old = await first.client.create(KINDS.Service, svc('old'));
  assert.match(old.spec.clusterIP ?? '', /^10\.(9[6-9]|1[01][0-9])\./);
  await first.close();

  const log = createLogger('test', { silent: true });
  const attached = await attachControllers(
    store,
    { controllers: 'service-allocation', serviceClusterIpRange: '10.200.0.0/16', serviceNodePortRange: '30000-32767', clusterCidr: '10.244.0.0/16', nodeCidrMaskSize: 24, nodeMonitorGracePeriod: 40_000 },
    log,
  );
  const server = await startApiServer({ store, log, listen: '127.0.0.1:0', admission: attached.admission });
  const client = new ApiClient({ server: server.url });
  try {
    await attached.start(server.url, `127.0.0.1:${server.address.port}`);
    const ev = await eventually('ClusterIPOutOfRange', async () => {
      const l = await client.list<Event>(KINDS.Event, { namespace: 'default' });
      return l.items.find((e) => e.reason === 'ClusterIPOutOfRange' && e.involvedObject.name === 'old');
    });
    assert.match(ev.message ?? '', new RegExp(`Cluster IP ${old.spec.clusterIP!.replace(/\./g, '\\.')} is not within the configured range`));
    const fresh = await client.create(KINDS.Service, svc('new'));
    assert.match(fresh.spec.clusterIP ?? '', /^10\.200\./);
  } finally {
    await attached.stop();
    client.close();
    await server.close();
    await store.close();
  }
});
