import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage } from './codec.js';
import type { DnsMessage, ResourceRecord } from './message.js';
import { encodeWithin, tryEncode } from './truncate.js';

const a = (i: number): ResourceRecord => ({ name: 'big.ns1.svc.cluster.local', type: 'A', ttl: 5, data: `10.245.0.${i + 1}` });
const srv = (i: number): ResourceRecord => ({ name: '_http._tcp.big.ns1.svc.cluster.local', type: 'SRV', ttl: 5, data: { priority: 0, weight: 1, port: 80, target: `host-${i}.big.ns1.svc.cluster.local` } });
const soa: ResourceRecord = { name: 'cluster.local', type: 'SOA', ttl: 5, data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } };

function message(answers: ResourceRecord[], authorities: ResourceRecord[] = [], additionals: ResourceRecord[] = [], edns = false): DnsMessage {
  return {
    id: 7, response: true, opcode: 0, aa: true, tc: false, rd: true, ra: true, ad: false, cd: false, rcode: 0,
    questions: [{ name: answers[0]?.name ?? 'x.cluster.local', type: 1, class: 1 }], answers, authorities, additionals,
    ...(edns ? { edns: { udpSize: 1232, version: 0, dnssecOk: false } } : {}),
  };
}

const cases: { name: string; msg: DnsMessage; limit: number; tc: boolean; check: (m: DnsMessage, bytes: Buffer) => void }[] = [
  {
    name: 'fits: returned whole, no TC', msg: message(Array.from({ length: 5 }, (_, i) => a(i))), limit: 512, tc: false,
    check: (m) => assert.equal(m.answers.length, 5),
  },
  {
    name: '100 A records in 512 bytes: the first ones that fit, in order', msg: message(Array.from({ length: 100 }, (_, i) => a(i))), limit: 512, tc: true,
    check: (m) => {
      assert.ok(m.answers.length > 20 && m.answers.length < 100, `${m.answers.length} answers`);
      m.answers.forEach((rr, i) => assert.equal(rr.data, `10.245.0.${i + 1}`));
    },
  },
  {
    name: 'EDNS 1232: more records kept than in 512, and the OPT record stays', msg: message(Array.from({ length: 100 }, (_, i) => a(i)), [], [], true), limit: 1232, tc: true,
    check: (m) => {
      assert.ok(m.answers.length > 60 && m.answers.length < 100, `${m.answers.length} answers`);
      assert.equal(m.edns?.udpSize, 1232);
    },
  },
  {
    name: 'answers all fit, additionals do not: answers kept, as many additionals as fit, TC', msg: message(Array.from({ length: 8 }, (_, i) => srv(i)), [], Array.from({ length: 40 }, (_, i) => ({ ...a(i), name: `host-${i}.big.ns1.svc.cluster.local` }))), limit: 512, tc: true,
    check: (m) => {
      assert.equal(m.answers.length, 8);
      assert.ok(m.additionals.length > 0 && m.additionals.length < 40, `${m.additionals.length} additionals`);
    },
  },
  {
    name: 'answers do not all fit: authority and additional sections dropped', msg: message(Array.from({ length: 100 }, (_, i) => a(i)), [soa], [a(1)]), limit: 512, tc: true,
    check: (m) => {
      assert.ok(m.answers.length < 100);
      assert.equal(m.authorities.length, 0);
      assert.equal(m.additionals.length, 0);
    },
  },
  {
    name: 'over TCP, an answer past 64 KB keeps what fits in 65,535 bytes', msg: message(Array.from({ length: 3000 }, (_, i): ResourceRecord => ({ name: '_http._tcp.big.ns1.svc.cluster.local', type: 'SRV', ttl: 5, data: { priority: 0, weight: 1, port: 80, target: `endpoint-with-a-long-name-${i}.big.ns1.svc.cluster.local` } }))), limit: 65535, tc: true,
    check: (m, bytes) => {
      assert.ok(m.answers.length > 500 && m.answers.length < 3000, `${m.answers.length} answers`);
      assert.ok(bytes.length > 60_000, `${bytes.length} bytes`);
    },
  },
  {
    name: 'not even one record fits: header and question only', msg: message([{ name: 'x.cluster.local', type: 'TXT', ttl: 5, data: ['y'.repeat(255), 'z'.repeat(255)] }]), limit: 512, tc: true,
    check: (m) => assert.equal(m.answers.length, 0),
  },
];

for (const c of cases) {
  test(`truncate: ${c.name}`, () => {
    const bytes = encodeWithin(c.msg, c.limit);
    assert.ok(bytes.length <= c.limit, `${bytes.length} > ${c.limit}`);
    const m = decodeMessage(bytes);
    assert.equal(m.tc, c.tc);
    assert.equal(m.questions[0]?.name, c.msg.questions[0]?.name);
    if (c.tc) {
      const total = m.answers.length + m.authorities.length + m.additionals.length;
      const next = tryEncode({ ...c.msg, tc: true, answers: c.msg.answers.slice(0, m.answers.length + (m.answers.length < c.msg.answers.length ? 1 : 0)), authorities: m.authorities, additionals: c.msg.additionals.slice(0, m.additionals.length + (m.answers.length === c.msg.answers.length && m.authorities.length === c.msg.authorities.length ? 1 : 0)) });
      assert.ok(total === 0 || next === undefined || next.length > c.limit, 'the next record would not have fit');
    }
    c.check(m, bytes);
  });
}
