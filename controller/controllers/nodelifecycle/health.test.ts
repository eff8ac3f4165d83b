import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease, Node } from '../../api/index.js';
import { FakeClock } from '../runtime/clock.js';
import { nodeHealth, unknownConditions } from './health.js';

const t0 = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const node = (ready: string, heartbeat?: number): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'n1' },
  status: { conditions: [{ type: 'Ready', status: ready, ...(heartbeat !== undefined ? { lastHeartbeatTime: iso(heartbeat) } : {}) }] },
});
const lease = (renew: number): Lease => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { renewTime: iso(renew) } });

test('node health: lease renewals keep a node Ready; silence past the grace marks it Unknown', () => {
  const clock = new FakeClock(t0);
  const grace = 40_000;
  const cases: { name: string; node: Node; lease?: Lease; advance: number; unknown: boolean; recheck?: number }[] = [
    { name: 'fresh node, no lease yet', node: node('True'), advance: 39_000, unknown: false, recheck: 1000 },
    { name: 'never heard from', node: node('True'), advance: 40_000, unknown: true },
    { name: 'lease renewed recently', node: node('True'), lease: lease(t0 + 30_000), advance: 60_000, unknown: false, recheck: 10_000 },
    { name: 'lease stale', node: node('True'), lease: lease(t0 + 1000), advance: 41_001, unknown: true },
    { name: 'heartbeat counts too', node: node('True', t0 + 50_000), advance: 80_000, unknown: false, recheck: 10_000 },
    { name: 'already unknown', node: node('Unknown'), advance: 100_000, unknown: false },
  ];
  for (const c of cases) {
    const h = nodeHealth(c.node, c.lease, clock.now(), clock.now() + c.advance, grace);
    assert.equal(h.markUnknown, c.unknown, c.name);
    assert.equal(h.recheckInMs, c.recheck, c.name);
  }
  const conds = unknownConditions(node('True'), iso(t0));
  assert.equal(conds[0]?.status, 'Unknown');
  assert.equal(conds[0]?.reason, 'NodeStatusUnknown');
});
