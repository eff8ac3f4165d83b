import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Container, Probe } from '../controller/api/index.js';
import { runProbe } from './probes.js';

const container: Container = { name: 'c', ports: [{ name: 'web', containerPort: 0 }] };
const target = (port: number) => ({ podIp: '127.0.0.1', netns: 'unused', container: { ...container, ports: [{ name: 'web', containerPort: port }] } });

describe('probes against real loopback sockets', () => {
  let greeter: net.Server;
  let greeterPort = 0;
  const serverErrors: string[] = [];
  let accepted = 0;
  let web: http.Server;
  let webPort = 0;
  let closedPort = 0;

  before(async () => {
    // Greets on accept and has no tolerance for resets: it records every socket error, as a server
    // without an 'error' handler would die of it (the two-node test's refused pod).
    greeter = net.createServer((s) => {
      accepted++;
      s.on('error', (e: NodeJS.ErrnoException) => serverErrors.push(e.code ?? e.message));
      s.end('hello from the pod\n');
    });
    await new Promise<void>((r) => greeter.listen(0, '127.0.0.1', r));
    greeterPort = (greeter.address() as net.AddressInfo).port;
    web = http.createServer((req, res) => {
      res.statusCode = req.url === '/ok' ? 200 : req.url === '/redirect' ? 302 : 503;
      res.end();
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webPort = (web.address() as net.AddressInfo).port;
    const tmp = net.createServer();
    await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
    closedPort = (tmp.address() as net.AddressInfo).port;
    await new Promise((r) => tmp.close(r));
  });
  after(() => {
    greeter.close();
    web.close();
  });

  const cases: { name: string; probe: () => Probe; port: () => number; ok: boolean; reason?: RegExp }[] = [
    { name: 'tcpSocket to a listener succeeds', probe: () => ({ tcpSocket: { port: greeterPort } }), port: () => greeterPort, ok: true },
    { name: 'tcpSocket by port name', probe: () => ({ tcpSocket: { port: 'web' } }), port: () => greeterPort, ok: true },
    { name: 'tcpSocket to a closed port fails with the dial error', probe: () => ({ tcpSocket: { port: closedPort } }), port: () => closedPort, ok: false, reason: /ECONNREFUSED/ },
    { name: 'tcpSocket with an unknown port name fails', probe: () => ({ tcpSocket: { port: 'nope' } }), port: () => 1, ok: false, reason: /unknown port nope/ },
    { name: 'httpGet 200 succeeds', probe: () => ({ httpGet: { port: webPort, path: '/ok' } }), port: () => webPort, ok: true },
    { name: 'httpGet 3xx succeeds', probe: () => ({ httpGet: { port: webPort, path: '/redirect' } }), port: () => webPort, ok: true },
    { name: 'httpGet 503 fails with the status code', probe: () => ({ httpGet: { port: webPort, path: '/bad' } }), port: () => webPort, ok: false, reason: /statuscode: 503/ },
    { name: 'no handler fails', probe: () => ({}), port: () => 1, ok: false, reason: /no handler/ },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const r = await runProbe(c.probe(), target(c.port()));
      if (c.ok) assert.equal(r, null);
      else assert.match(r ?? 'succeeded', c.reason!);
    });

  it('tcpSocket probes close in order: a server that greets on accept never sees a reset', async () => {
    serverErrors.length = 0;
    const before = accepted;
    for (let i = 0; i < 30; i++) assert.equal(await runProbe({ tcpSocket: { port: greeterPort } }, target(greeterPort)), null);
    // the server side of the last probes may still be closing: wait until all 30 were accepted and settled
    const until = Date.now() + 10_000;
    while (accepted - before < 30 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(accepted - before, 30);
    assert.deepEqual(serverErrors, [], 'server sockets saw errors (resets) from the probe');
  });
});
