import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createLogger } from '../daemon/logger.js';
import { HealthCheckServers } from './health-check-servers.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

test('health-check node ports answer 200 with local endpoints, 503 without, and close when gone', async () => {
  const hc = new HealthCheckServers(createLogger('proxy-test', { silent: true }), '127.0.0.1');
  const [a, b] = [await freePort(), await freePort()];
  try {
    hc.sync([
      { namespace: 'ns', name: 'has', port: a, localEndpoints: 2 },
      { namespace: 'ns', name: 'none', port: b, localEndpoints: 0 },
    ]);
    await new Promise((r) => setTimeout(r, 50));
    const ra = await fetch(`http://127.0.0.1:${a}/`);
    assert.equal(ra.status, 200);
    assert.deepEqual(await ra.json(), { service: { namespace: 'ns', name: 'has' }, localEndpoints: 2, serviceProxyHealthy: true });
    const rb = await fetch(`http://127.0.0.1:${b}/`);
    assert.equal(rb.status, 503);
    assert.equal(((await rb.json()) as { localEndpoints: number }).localEndpoints, 0);
    hc.sync([{ namespace: 'ns', name: 'none', port: b, localEndpoints: 1 }]);
    assert.equal((await fetch(`http://127.0.0.1:${b}/`)).status, 200);
    await new Promise((r) => setTimeout(r, 50));
    await assert.rejects(fetch(`http://127.0.0.1:${a}/`));
  } finally {
    hc.close();
  }
});
