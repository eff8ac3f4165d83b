import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cachePlugin } from './handler.js';
import { makeRequest } from '../../testing.js';
import { Rcode, replyTo, type ResourceRecord } from '../../message.js';
import type { Reply } from '../../chain.js';

function upstream(answers: ResourceRecord[], rcode: number = Rcode.NOERROR, stable = false, transient = false): { calls: number; handle(req: ReturnType<typeof makeRequest>): Reply } {
  const p = { calls: 0, handle: (req: ReturnType<typeof makeRequest>): Reply => {
    p.calls++;
    const msg = replyTo(req.msg, rcode);
    msg.answers = answers;
    if (rcode === Rcode.NXDOMAIN) msg.authorities = [{ name: 'example', type: 'SOA', ttl: 900, data: { mname: 'a', rname: 'b', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 } }];
    return transient ? { msg, stable, transient } : { msg, stable };
  } };
  return p;
}

const cases = [
  { name: 'positive answer kept, TTL aged and capped at maxTtl', answers: [{ name: 'a.example', type: 'A', ttl: 7200, data: '192.0.2.1' }] as ResourceRecord[], rcode: Rcode.NOERROR, stable: false, advance: 10_000, wantCalls: 1, wantTtl: 3590 },
  { name: 'NXDOMAIN kept for the SOA minimum', answers: [], rcode: Rcode.NXDOMAIN, stable: false, advance: 30_000, wantCalls: 1, wantTtl: undefined },
  { name: 'NXDOMAIN expires after the SOA minimum', answers: [], rcode: Rcode.NXDOMAIN, stable: false, advance: 61_000, wantCalls: 2, wantTtl: undefined },
  { name: 'stable (cluster) answers are never kept', answers: [], rcode: Rcode.NXDOMAIN, stable: true, advance: 0, wantCalls: 2, wantTtl: undefined },
  { name: 'SERVFAIL kept for servfailTtl', answers: [], rcode: Rcode.SERVFAIL, stable: false, advance: 1000, wantCalls: 1, wantTtl: undefined },
  { name: 'transient SERVFAIL (cluster zone before sync) is never kept', answers: [], rcode: Rcode.SERVFAIL, stable: false, transient: true, advance: 0, wantCalls: 2, wantTtl: undefined },
];

for (const c of cases) {
  test(`cache: ${c.name}`, async () => {
    let now = 1_000_000;
    const cache = cachePlugin({ successCapacity: 10, denialCapacity: 10, maxTtl: 3600, maxDenialTtl: 1800, minTtl: 5, servfailTtl: 5, now: () => now });
    const up = upstream(c.answers, c.rcode, c.stable, 'transient' in c && c.transient === true);
    const next = (r: ReturnType<typeof makeRequest>) => up.handle(r);
    await cache.handle!(makeRequest('a.example', 'A'), next);
    now += c.advance;
    const second = await cache.handle!(makeRequest('A.example', 'A'), next);
    assert.equal(up.calls, c.wantCalls);
    if (c.wantTtl !== undefined) assert.equal(second.msg.answers[0]!.ttl, c.wantTtl);
  });
}

test('cache: bounded — the oldest entry is evicted', async () => {
  const cache = cachePlugin({ successCapacity: 2, denialCapacity: 2, maxTtl: 3600, maxDenialTtl: 1800, minTtl: 5, servfailTtl: 5 });
  const up = upstream([{ name: 'x', type: 'A', ttl: 60, data: '192.0.2.1' }]);
  for (const n of ['a', 'b', 'c']) await cache.handle!(makeRequest(`${n}.example`, 'A'), (r) => up.handle(r));
  assert.equal(cache.size(), 2);
});
