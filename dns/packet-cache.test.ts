import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage } from './codec.js';
import { PacketCache, keyName, parseQueryKey } from './packet-cache.js';

const query = (name: string, type = 1, edns?: number, id = 9): Buffer => encodeMessage({
  id, response: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, ad: false, cd: false, rcode: 0,
  questions: [{ name, type, class: 1 }], answers: [], authorities: [], additionals: [],
  ...(edns ? { edns: { udpSize: edns, version: 0, dnssecOk: false } } : {}),
});

/** A response to `q` (its question section as asked) with `marker` appended, to tell entries apart. */
const answer = (q: Buffer, marker = 'answer'): Buffer => {
  const r = Buffer.concat([q, Buffer.from(marker)]);
  r[2] = r[2]! | 0x80;
  return r;
};

const cases: { name: string; stored: Buffer; asked: Buffer; hit: boolean }[] = [
  { name: 'same question, other ID', stored: query('web.ns1.svc.cluster.local'), asked: query('web.ns1.svc.cluster.local', 1, undefined, 77), hit: true },
  { name: 'other letter case', stored: query('web.ns1.svc.cluster.local'), asked: query('WeB.NS1.svc.Cluster.local'), hit: true },
  { name: 'other EDNS size, both with EDNS', stored: query('web.ns1.svc.cluster.local', 1, 1232), asked: query('web.ns1.svc.cluster.local', 1, 4096), hit: true },
  { name: 'other type', stored: query('web.ns1.svc.cluster.local', 1), asked: query('web.ns1.svc.cluster.local', 28), hit: false },
  { name: 'EDNS against none', stored: query('web.ns1.svc.cluster.local', 1), asked: query('web.ns1.svc.cluster.local', 1, 1232), hit: false },
  { name: 'label boundaries differ', stored: query('ab.c.cluster.local'), asked: query('a.bc.cluster.local'), hit: false },
];

for (const c of cases) {
  test(`packet cache: ${c.name} → ${c.hit ? 'hit' : 'miss'}`, () => {
    const cache = new PacketCache(10);
    cache.set(c.stored, parseQueryKey(c.stored)!, answer(c.stored), 0);
    const got = cache.get(c.asked, parseQueryKey(c.asked)!);
    assert.equal(got !== undefined, c.hit);
  });
}

test('packet cache: 30,000 names each find their own entry; capacity bounds the size', () => {
  const cache = new PacketCache(40_000);
  const q = (i: number) => query(`svc-${i}.bench.svc.cluster.local`, i % 2 ? 1 : 28);
  const marker = (b: Buffer | undefined) => b?.subarray(b.length - 5).toString();
  for (let i = 0; i < 30_000; i++) cache.set(q(i), parseQueryKey(q(i))!, answer(q(i), String(i).padStart(5, '0')), 0);
  for (let i = 0; i < 30_000; i += 7) assert.equal(marker(cache.get(q(i), parseQueryKey(q(i))!)?.full), String(i).padStart(5, '0'));
  const small = new PacketCache(100);
  for (let i = 0; i < 1000; i++) small.set(q(i), parseQueryKey(q(i))!, answer(q(i), String(i)), 0);
  assert.ok(small.size <= 100);
  assert.equal(small.get(q(999), parseQueryKey(q(999))!)?.full.subarray(q(999).length).toString(), '999');
});

test('packet cache: the fast parser refuses what the full path must see, and spells names', () => {
  const withDo = query('a.example', 1, 1232);
  withDo[withDo.length - 4] = 0x80; // DO bit in the OPT TTL
  const response = query('a.example');
  response[2] = response[2]! | 0x80;
  for (const b of [withDo, response, Buffer.from('short')]) assert.equal(parseQueryKey(b), undefined);
  const q = query('Web.NS1.svc.cluster.local');
  assert.equal(keyName(q, parseQueryKey(q)!), 'Web.NS1.svc.cluster.local');
});

test('packet cache: the entry\'s question is its response\'s question section', () => {
  const cache = new PacketCache(10);
  const q = query('Web.ns1.svc.cluster.local', 1);
  // Type 65 (HTTPS) and 97 differ only in the bit that lower-casing a letter sets: types compare exactly.
  const t65 = query('web.ns1.svc.cluster.local', 65);
  const t97 = query('web.ns1.svc.cluster.local', 97);
  cache.set(t65, parseQueryKey(t65)!, answer(t65), 0);
  const k97 = parseQueryKey(t97)!;
  assert.equal(cache.get(t97, { ...k97, hash: parseQueryKey(t65)!.hash }), undefined, 'same bucket, other type: no hit');
  // A response for another name is not stored under this question (it could never be found).
  cache.set(q, parseQueryKey(q)!, answer(query('other.ns1.svc.cluster.local')), 0);
  assert.equal(cache.size, 1);
  cache.set(q, parseQueryKey(q)!, answer(q), 0);
  assert.equal(cache.size, 2);
  assert.ok(cache.get(query('WEB.NS1.SVC.CLUSTER.LOCAL', 1), parseQueryKey(query('WEB.NS1.SVC.CLUSTER.LOCAL', 1))!));
});
