import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { startDnsServer, type DnsServer } from './server.js';
import { PacketCache } from './packet-cache.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { createLogger } from '../daemon/logger.js';
import { kubernetesPlugin } from './plugins/kubernetes/handler.js';
import { errorsPlugin } from './plugins/errors/handler.js';
import { fixtureIndex } from './plugins/kubernetes/fixture.js';
import { TypeCode, type DnsMessage } from './message.js';

let server: DnsServer;
const log = createLogger('dns-test', { silent: true });
before(async () => {
  const index = fixtureIndex();
  const cache = new PacketCache(100);
  index.onChange(() => cache.clear());
  server = await startDnsServer({
    host: '127.0.0.1', port: 0, log, packetCache: cache,
    plugins: [errorsPlugin(log), kubernetesPlugin({ index, reverseZones: [], fallthrough: [], pods: 'disabled', synced: () => true })],
  });
});
after(() => server.close());

const query = (name: string, type = TypeCode.A!, id = 7, edns?: number): Buffer => encodeMessage({
  id, response: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0,
  questions: [{ name, type, class: 1 }], answers: [], authorities: [], additionals: [],
  ...(edns ? { edns: { udpSize: edns, version: 0, dnssecOk: false } } : {}),
});

function udp(packets: Buffer[], want: number, timeoutMs = 2000): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    const finish = () => { s.close(); resolve(got); };
    const t = setTimeout(finish, timeoutMs);
    s.on('message', (m) => { got.push(m); if (got.length >= want) { clearTimeout(t); finish(); } });
    s.bind(0, '127.0.0.1', () => packets.forEach((p) => s.send(p, server.port, '127.0.0.1')));
  });
}

test('udp: the packet cache answers repeats with the asker\'s ID and letter case', async () => {
  const [a] = await udp([query('web.ns1.svc.cluster.local', TypeCode.A, 1)], 1);
  const [b] = await udp([query('WEB.NS1.svc.cluster.local', TypeCode.A, 2)], 1);
  const ma = decodeMessage(a!);
  const mb = decodeMessage(b!);
  assert.equal(mb.id, 2);
  assert.equal(mb.questions[0]!.name, 'WEB.NS1.svc.cluster.local');
  assert.equal(mb.answers[0]!.name, 'WEB.NS1.svc.cluster.local');
  assert.deepEqual(mb.answers.map((r) => r.data), ma.answers.map((r) => r.data));
  assert.ok(mb.aa);
});

test('malformed: a readable header gets FORMERR, garbage and short packets are dropped', async () => {
  const bad = Buffer.from(query('web.ns1.svc.cluster.local'));
  bad[12] = 70; // label length past the end
  const [r] = await udp([bad], 1);
  assert.equal(r!.readUInt16BE(0), 7);
  assert.equal(r!.readUInt16BE(2) & 0xf, 1);
  const none = await udp([Buffer.from([1, 2, 3])], 1, 300);
  assert.equal(none.length, 0);
});

test('fuzz: random and truncated packets never stop the server answering', async () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const good = query('db.ns1.svc.cluster.local', TypeCode.SRV, 9, 1232);
  const junk: Buffer[] = [];
  for (let i = 0; i < 400; i++) {
    if (i % 2 === 0) junk.push(good.subarray(0, Math.floor(rand() * good.length)));
    else {
      const b = Buffer.from(good);
      for (let k = 0; k < 1 + rand() * 6; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      junk.push(b);
    }
    if (i % 3 === 0) junk.push(Buffer.from(Array.from({ length: Math.floor(rand() * 600) }, () => Math.floor(rand() * 256))));
  }
  await udp(junk, junk.length, 1000);
  const [r] = await udp([query('web.ns1.svc.cluster.local', TypeCode.A, 77)], 1);
  assert.ok(r, 'still answering after the fuzz');
  assert.equal(decodeMessage(r!).answers.length, 1);
});

test('tcp: pipelined queries on one connection all get answers; split frames are reassembled', async () => {
  const names = ['web.ns1.svc.cluster.local', 'dual.ns1.svc.cluster.local', 'nope.ns1.svc.cluster.local'];
  const frames = Buffer.concat(names.map((n, i) => {
    const q = query(n, TypeCode.A, 100 + i);
    const f = Buffer.alloc(q.length + 2);
    f.writeUInt16BE(q.length, 0);
    q.copy(f, 2);
    return f;
  }));
  const replies = await new Promise<DnsMessage[]>((resolve, reject) => {
    const s = net.connect(server.port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const out: DnsMessage[] = [];
    s.on('connect', () => { s.write(frames.subarray(0, 5)); setTimeout(() => s.write(frames.subarray(5)), 20); });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === names.length) { s.destroy(); resolve(out); }
    });
    s.on('error', reject);
  });
  assert.deepEqual(replies.map((m) => m.id).sort(), [100, 101, 102]);
  assert.equal(replies.find((m) => m.id === 102)!.rcode, 3);
});
