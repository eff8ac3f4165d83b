import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shuffleAddresses } from './handler.js';
import type { ResourceRecord } from '../../message.js';

const a = (ip: string): ResourceRecord => ({ name: 'x', type: 'A', ttl: 5, data: ip });
const cname: ResourceRecord = { name: 'x', type: 'CNAME', ttl: 5, data: 'y' };

test('loadbalance: shuffles only A/AAAA, keeps the CNAME first and the same set', () => {
  const input = [cname, a('10.0.0.1'), a('10.0.0.2'), a('10.0.0.3')];
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const out = shuffleAddresses(input);
    assert.equal(out[0], cname);
    assert.deepEqual(out.slice(1).map((r) => r.data).sort(), ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    seen.add(out.map((r) => r.data).join());
  }
  assert.ok(seen.size > 1, 'order varies');
  const single = [a('10.0.0.9')];
  assert.equal(shuffleAddresses(single), single);
});
