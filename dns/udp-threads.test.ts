import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { startDnsServer, type DnsServer } from './server.js';
import { PacketCache } from './packet-cache.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { createLogger } from '../daemon/logger.js';
import type { RecordIndex } from './plugins/kubernetes/record-index.js';
import { kubernetesPlugin } from './plugins/kubernetes/handler.js';
import { fixtureIndex } from './plugins/kubernetes/fixture.js';
import { TypeCode } from './message.js';
import type { Observation } from './chain.js';
import { answerMessage } from './udp-threads.js';

// The server with 3 UDP worker threads sharing one socket (udp-threads.ts), run from the same
// source text production evaluates (udpWorkerSource()).
let server: DnsServer;
let index: RecordIndex;
const seen: Observation[] = [];
const log = createLogger('dns-test', { silent: true });
before(async () => {
  index = fixtureIndex();
  const cache = new PacketCache(100);
  index.onChange(() => cache.clear());
  server = await startDnsServer({
    host: '127.0.0.1', port: 0, log, packetCache: cache, udpThreads: 3,
    plugins: [
      { name: 'recorder', observe: (o) => seen.push({ ...o }) },
      kubernetesPlugin({ index, reverseZones: [], fallthrough: [], pods: 'disabled', synced: () => true }),
    ],
  });
});
after(() => server.close());

const query = (name: string, type = TypeCode.A!, id = 7): Buffer => encodeMessage({
  id, response: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0,
  questions: [{ name, type, class: 1 }], answers: [], authorities: [], additionals: [],
});

/** Sends every packet from its own socket (so the kernel spreads them over the threads' wakeups). */
async function ask(packets: Buffer[], timeoutMs = 3000): Promise<(Buffer | undefined)[]> {
  return Promise.all(packets.map((p) => new Promise<Buffer | undefined>((resolve) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => { s.close(); resolve(undefined); }, timeoutMs);
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(m); });
    s.bind(0, '127.0.0.1', () => s.send(p, server.port, '127.0.0.1'));
  })));
}

test('threads: repeated questions answered with the asker\'s ID and case, from every thread\'s cache', async () => {
  const replies = await ask(Array.from({ length: 60 }, (_, i) => query(i % 2 ? 'WEB.ns1.svc.cluster.local' : 'web.ns1.svc.cluster.local', TypeCode.A, 1000 + i)));
  replies.forEach((r, i) => {
    assert.ok(r, `reply ${i}`);
    const m = decodeMessage(r);
    assert.equal(m.id, 1000 + i);
    assert.equal(m.questions[0]!.name, i % 2 ? 'WEB.ns1.svc.cluster.local' : 'web.ns1.svc.cluster.local');
    assert.deepEqual(m.answers.map((a) => a.data), ['10.96.0.10']);
  });
  const fast = seen.filter((o) => o.fast).length;
  assert.ok(fast > 0, 'some answers came from a packet cache');
});

test('threads: an index change reaches every thread (no stale cached NXDOMAIN or address)', async () => {
  const before = await ask(Array.from({ length: 30 }, (_, i) => query('late.ns1.svc.cluster.local', TypeCode.A, i)));
  assert.ok(before.every((r) => r && decodeMessage(r).rcode === 3), 'NXDOMAIN before the Service exists');
  index.upsertService({ metadata: { namespace: 'ns1', name: 'late' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.99' } });
  const created = await ask(Array.from({ length: 30 }, (_, i) => query('late.ns1.svc.cluster.local', TypeCode.A, i)));
  assert.deepEqual(created.map((r) => r && decodeMessage(r).answers.map((a) => a.data).join()), Array(30).fill('10.96.0.99'));
  index.upsertService({ metadata: { namespace: 'ns1', name: 'late' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.98' } });
  const changed = await ask(Array.from({ length: 30 }, (_, i) => query('late.ns1.svc.cluster.local', TypeCode.A, i)));
  assert.deepEqual(changed.map((r) => r && decodeMessage(r).answers.map((a) => a.data).join()), Array(30).fill('10.96.0.98'));
});

test('threads: every answer is observed once (fast-path ones after a flush), malformed packets do not stop them', async () => {
  const junk = [Buffer.from([1, 2, 3]), Buffer.alloc(40, 0xff), query('web.ns1.svc.cluster.local').subarray(0, 20)];
  for (const j of junk) await ask([j], 200);
  seen.length = 0;
  const N = 50;
  const replies = await ask(Array.from({ length: N }, (_, i) => query('dual.ns1.svc.cluster.local', TypeCode.AAAA, i)));
  assert.ok(replies.every((r) => r && decodeMessage(r).answers[0]?.data === 'fd00:10:96::11'));
  await server.flushObservations();
  const obs = seen.filter((o) => o.qtype === TypeCode.AAAA);
  assert.equal(obs.length, N);
  assert.ok(obs.every((o) => o.rcode === 0 && o.proto === 'udp' && o.answerCount === 1));
});

test('threads: an answer posted to a worker carries only its own bytes, not the Buffer pool it was sliced from', () => {
  const query = new Uint8Array([1, 2, 3]);
  const answer = Buffer.from('an answer in the pool');
  assert.ok(answer.buffer.byteLength > answer.length, 'the input is a pool slice');
  const same = answerMessage(query, '127.0.0.1', 53, answer, { full: answer, rcode: 0 });
  const m = same.message as Extract<typeof same.message, { t: 'a' }>;
  assert.equal(m.bytes!.buffer.byteLength, answer.length);
  assert.deepEqual(Buffer.from(m.bytes!), answer);
  assert.equal(m.full, m.bytes, 'one copy when the bytes sent are the answer to cache');
  assert.deepEqual(same.transfer, [m.bytes!.buffer]);
  assert.equal(m.query, query, 'the query is cloned on posting, not moved: the caller still reads it');

  const truncated = Buffer.from('short');
  const both = answerMessage(query, '127.0.0.1', 53, truncated, { full: answer, rcode: 3 });
  const b = both.message as Extract<typeof both.message, { t: 'a' }>;
  assert.deepEqual([Buffer.from(b.bytes!).toString(), Buffer.from(b.full!).toString(), b.rcode], ['short', 'an answer in the pool', 3]);
  assert.deepEqual([b.bytes!.buffer.byteLength, b.full!.buffer.byteLength], [5, answer.length]);
  assert.equal(both.transfer.length, 2);

  const dropped = answerMessage(query, '127.0.0.1', 53, undefined, { full: answer, rcode: 0 });
  const d = dropped.message as Extract<typeof dropped.message, { t: 'a' }>;
  assert.equal(d.bytes, undefined);
  assert.equal(d.full!.buffer.byteLength, answer.length);
  assert.deepEqual(answerMessage(query, '127.0.0.1', 53, truncated, undefined).message, { t: 'a', query, address: '127.0.0.1', port: 53, bytes: new Uint8Array(Buffer.from('short')) });
});
