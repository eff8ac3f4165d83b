import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ask } from '../../testing.js';
import { RecordIndex } from '../kubernetes/record-index.js';
import { fixtureServices } from '../kubernetes/fixture.js';
import { setupExternal } from './setup.js';

const index = new RecordIndex({ zone: 'cluster.local', ttl: 5 });
fixtureServices.forEach((s) => index.upsertService(s));
const plugins = [setupExternal({ zone: 'example.org', ttl: 5 }, index)];
const SOA = 'example.org 5 SOA ns.dns.example.org hostmaster.example.org 5';

const cases = [
  { q: 'lb.ns2.example.org', t: 'A', rcode: 'NOERROR', answer: ['lb.ns2.example.org 5 A 192.0.2.7', 'lb.ns2.example.org 5 A 198.51.100.9'], authority: [] as string[] },
  { q: 'LB.ns2.example.org', t: 'A', rcode: 'NOERROR', answer: ['LB.ns2.example.org 5 A 192.0.2.7', 'LB.ns2.example.org 5 A 198.51.100.9'], authority: [] },
  { q: 'lb.ns2.example.org', t: 'AAAA', rcode: 'NOERROR', answer: [], authority: [SOA] },
  { q: 'web.ns1.example.org', t: 'A', rcode: 'NXDOMAIN', answer: [], authority: [SOA] },
  { q: 'example.org', t: 'A', rcode: 'NOERROR', answer: [], authority: [SOA] },
];
for (const c of cases) {
  test(`external: ${c.q} ${c.t} → ${c.rcode}`, async () => {
    const got = await ask(plugins, c.q, c.t);
    assert.deepEqual({ rcode: got.rcode, answer: got.answer, authority: got.authority }, { rcode: c.rcode, answer: c.answer, authority: c.authority });
  });
}
