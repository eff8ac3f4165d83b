import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from '../../api/index.js';
import { NodeCidrAllocator } from './node-cidr-allocator.js';

const node = (name: string, podCIDR?: string, created = '2025-01-01T00:00:00Z'): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, creationTimestamp: created },
  spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
});

test('node IPAM: each node gets its own /24, stable for the same node', () => {
  const a = new NodeCidrAllocator();
  const cases = [
    ['n1', '10.244.0.0/24'],
    ['n2', '10.244.1.0/24'],
    ['n1', '10.244.0.0/24'],
    ['n3', '10.244.2.0/24'],
  ] as const;
  for (const [n, want] of cases) assert.equal(a.allocate(n), want, n);
  a.release('n2');
  assert.equal(a.holderOf('10.244.1.0/24'), undefined);
});

test('node IPAM: rebuild after a restart never hands out a held CIDR and reports duplicates', () => {
  const a = new NodeCidrAllocator('10.244.0.0/22', 24);
  const conflicts = a.rebuild([node('old', '10.244.1.0/24'), node('dup', '10.244.1.0/24', '2025-02-01T00:00:00Z'), node('x', '192.168.0.0/24'), node('new')]);
  assert.deepEqual(conflicts, [{ node: 'dup', cidr: '10.244.1.0/24', holder: 'old' }]);
  const got = ['a', 'b', 'c'].map((n) => a.allocate(n));
  assert.deepEqual(got.sort(), ['10.244.0.0/24', '10.244.2.0/24', '10.244.3.0/24']);
  assert.throws(() => a.allocate('d'), /no free \/24 left in 10\.244\.0\.0\/22/);
});

test('node IPAM: bad flags name the problem', () => {
  assert.throws(() => new NodeCidrAllocator('10.244.0.0/16', 8), /mask size/);
  assert.throws(() => new NodeCidrAllocator('nope', 24), /cluster CIDR/);
});
