import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { startDnsServer, type DnsServer } from './server.js';
import { startDnsInstance } from './instance.js';
import { parseDnsConfig } from './config.js';
import { DnsError } from './errors.js';
import { PacketCache } from './packet-cache.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { createLogger } from '../daemon/logger.js';
import { kubernetesPlugin } from './plugins/kubernetes/handler.js';
import { fixtureIndex } from './plugins/kubernetes/fixture.js';
import { TypeCode, type DnsMessage } from './message.js';

// Listening on port 0: UDP gets a kernel-chosen port and TCP must then take the same number, which
// any process may already hold for TCP. The server's `beforeTcpListen` seam takes that TCP port
// here, so the collision happens every time instead of once in a while.
const log = createLogger('dns-test', { silent: true });
const HOST = '127.0.0.1';

function start(port: number, udpThreads: number, beforeTcpListen: (port: number) => Promise<void>): Promise<DnsServer> {
  const index = fixtureIndex();
  return startDnsServer({
    host: HOST, port, log, packetCache: new PacketCache(100), udpThreads, beforeTcpListen,
    plugins: [kubernetesPlugin({ index, reverseZones: [], fallthrough: [], pods: 'disabled', synced: () => true })],
  });
}

/** TCP listeners taking ports away from the server; a port already held elsewhere counts as taken. */
class TcpSquatter {
  readonly taken: number[] = [];
  private readonly servers: net.Server[] = [];
  async take(port: number): Promise<void> {
    this.taken.push(port);
    const s = net.createServer();
    await new Promise<void>((resolve, reject) => {
      s.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve() : reject(err)));
      s.listen({ host: HOST, port }, () => {
        this.servers.push(s);
        resolve();
      });
    });
  }
  release(): Promise<void> {
    return Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
  }
}

const query = (id: number): Buffer => encodeMessage({
  id, response: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0,
  questions: [{ name: 'web.ns1.svc.cluster.local', type: TypeCode.A!, class: 1 }], answers: [], authorities: [], additionals: [],
});

function askUdp(port: number, id: number): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { s.close(); reject(new Error(`no UDP answer on ${port}`)); }, 2000);
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(decodeMessage(m)); });
    s.bind(0, HOST, () => s.send(query(id), port, HOST));
  });
}

function askTcp(port: number, id: number): Promise<DnsMessage> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, HOST);
    let buf = Buffer.alloc(0);
    s.on('connect', () => {
      const q = query(id);
      const f = Buffer.alloc(2 + q.length);
      f.writeUInt16BE(q.length, 0);
      q.copy(f, 2);
      s.write(f);
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy();
        resolve(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
      }
    });
    s.on('error', reject);
  });
}

/** Resolves once UDP `port` could be bound (and is closed again): the server gave it back. */
function udpFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind({ address: HOST, port, exclusive: true }, () => s.close(() => resolve()));
  });
}

const modes = [
  { name: 'one UDP socket', udpThreads: 0 },
  { name: 'UDP threads', udpThreads: 2 },
];

for (const mode of modes) {
  test(`port 0, ${mode.name}: a port taken for TCP is given back and another one tried`, async () => {
    const squatter = new TcpSquatter();
    const offered: number[] = [];
    let server: DnsServer | undefined;
    try {
      server = await start(0, mode.udpThreads, async (port) => {
        offered.push(port);
        if (offered.length <= 3) await squatter.take(port);
      });
      assert.equal(offered.length, 4);
      assert.equal(server.port, offered[3]);
      assert.ok(!squatter.taken.includes(server.port));
      for (const port of squatter.taken) await udpFree(port);
      const [u, t] = await Promise.all([askUdp(server.port, 11), askTcp(server.port, 12)]);
      assert.deepEqual([u.id, u.rcode, u.answers.map((r) => r.data)], [11, 0, ['10.96.0.10']]);
      assert.deepEqual([t.id, t.rcode, t.answers.map((r) => r.data)], [12, 0, ['10.96.0.10']]);
    } finally {
      await server?.close();
      await squatter.release();
    }
  });
}

test('port 0: gives up after 20 ports taken for TCP, naming the address, with every UDP port given back', async () => {
  const squatter = new TcpSquatter();
  // Each failed listen must take its callbacks back: 20 left on one server would warn.
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    await assert.rejects(start(0, 0, (port) => squatter.take(port)), (err: Error) => {
      assert.match(err.message, /^no port on 127\.0\.0\.1 free for both UDP and TCP: the 20 ports .* taken for TCP/);
      return true;
    });
    assert.equal(squatter.taken.length, 20);
    for (const port of squatter.taken) await udpFree(port);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(warnings.filter((n) => n === 'MaxListenersExceededWarning'), []);
  } finally {
    process.off('warning', onWarning);
    await squatter.release();
  }
});

test('a fixed port taken for TCP fails at once with EADDRINUSE, without trying another', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen({ host: HOST, port: 0 }, resolve));
  const port = (holder.address() as net.AddressInfo).port;
  const offered: number[] = [];
  try {
    await assert.rejects(start(port, 0, async (p) => { offered.push(p); }), (err: NodeJS.ErrnoException) => {
      assert.equal(err.code, 'EADDRINUSE');
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    });
    assert.deepEqual(offered, [port]);
    await udpFree(port);
    const cfg = parseDnsConfig({ listen: `${HOST}:${port}`, workers: 1, kubernetes: {} });
    await assert.rejects(startDnsInstance(cfg, { log, source: 'manual' }), (err: DnsError) => {
      assert.equal(err.code, 'DNS_LISTEN_FAILED');
      assert.match(err.message, new RegExp(`^dns: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
      return true;
    });
  } finally {
    await new Promise<void>((resolve) => holder.close(() => resolve()));
  }
});
