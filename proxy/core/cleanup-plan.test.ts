import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeIptables } from '../../kernel/iptables-fake.js';
import { cleanupPayload } from './cleanup-plan.js';
import { JUMP_RULES } from './jump-rules.js';
import { buildRules } from './rule-builder.js';
import { CONFIG, scenarioState } from './test-scenario.js';

test('cleanup removes our hooks and chains in every table and keeps foreign ones', async () => {
  const ipt = createFakeIptables();
  await ipt.restore('*nat\n:CNI-X - [0:0]\n-A POSTROUTING -j CNI-X\n-A CNI-X -j MASQUERADE\nCOMMIT\n');
  const s = scenarioState();
  await ipt.restore(buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: true, changedServices: s.changed, existingChains: new Set(), missingJumps: JUMP_RULES }).payload);
  const saves: Record<string, string> = {};
  for (const t of ['filter', 'nat', 'mangle']) saves[t] = await ipt.save(t);
  await ipt.restore(cleanupPayload(saves));
  const after = await ipt.save();
  assert.doesNotMatch(after, /SX-/);
  assert.match(after, /-A POSTROUTING -j CNI-X/);
  assert.match(after, /-A CNI-X -j MASQUERADE/);
  for (const t of ['filter', 'nat', 'mangle']) saves[t] = await ipt.save(t);
  assert.equal(cleanupPayload(saves), '');
});
