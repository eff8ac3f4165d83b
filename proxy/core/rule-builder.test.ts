import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseDump, ruleTarget } from '../../kernel/iptables-dump.js';
import { createFakeIptables } from '../../kernel/iptables-fake.js';
import { isServiceChain } from './chain-names.js';
import { JUMP_RULES } from './jump-rules.js';
import { RuleCache, buildRules, probability } from './rule-builder.js';
import { CONFIG, SERVICES, SLICES, scenarioState } from './test-scenario.js';
import { slice } from './test-fixtures.js';

const GOLDEN = new URL('./testdata/full-sync.golden', import.meta.url);

function fullPlan() {
  const s = scenarioState();
  return buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: true, changedServices: s.changed, existingChains: new Set(), missingJumps: JUMP_RULES });
}

test('full sync payload matches the golden text', () => {
  const plan = fullPlan();
  if (process.env.SX_UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, plan.payload);
  assert.equal(plan.payload, readFileSync(GOLDEN, 'utf8'));
});

test('every jump target in the payload exists (chain declared in its table or an extension target)', () => {
  const text = fullPlan().payload.replace(/^-I (\S+) 1 /gm, '-A $1 ').replace(/^-N (\S+)$/gm, ':$1 - [0:0]');
  const dump = parseDump(text);
  const extensions = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'DNAT', 'MASQUERADE', 'MARK']);
  let jumps = 0;
  for (const t of dump.values()) {
    for (const c of t.chains.values()) {
      for (const r of c.rules) {
        const target = ruleTarget(r.args);
        if (!target) continue;
        jumps++;
        assert.ok(extensions.has(target.target) || t.chains.has(target.target), `${t.name}/${c.name}: ${target.target} missing`);
      }
    }
  }
  assert.ok(jumps > 40);
});

test('the fake kernel accepts the payload and every declared service chain is used', async () => {
  const ipt = createFakeIptables();
  const plan = fullPlan();
  await ipt.restore(plan.payload);
  const nat = ipt.tables.get('nat')!;
  const referenced = new Set<string>();
  for (const c of nat.chains.values()) for (const r of c.rules) referenced.add(ruleTarget(r.args)?.target ?? '');
  for (const c of plan.chains) assert.ok(referenced.has(c), `${c} declared but never jumped to`);
  assert.deepEqual([...nat.chains.keys()].filter(isServiceChain).sort(), [...plan.chains].sort());
});

test('statistic probabilities are 1/(n-i) with ten decimals', () => {
  assert.deepEqual([5, 4, 3, 2].map(probability), ['0.2000000000', '0.2500000000', '0.3333333333', '0.5000000000']);
});

test('partial sync rewrites only the changed service, keeps top-level chains, deletes stale chains', async () => {
  const ipt = createFakeIptables();
  const first = fullPlan();
  await ipt.restore(first.payload);
  const s = scenarioState(SERVICES, SLICES.map((x) => (x.metadata.name === 'web-a' ? slice('ns1', 'web', 'web-a', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.2' }]) : x)));
  const partial = buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: false, changedServices: new Set(['ns1/web']), existingChains: first.chains, missingJumps: [] });
  const declared = partial.payload.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]!);
  const declaredService = declared.filter(isServiceChain);
  // web now has one endpoint: its SVC chain and one SEP are written; the two removed SEPs are declared to be deleted.
  assert.equal(partial.deletedChains.length, 2);
  assert.equal(declaredService.length, 2 + 2);
  for (const top of ['SX-SERVICES', 'SX-NODEPORTS', 'SX-POSTROUTING', 'SX-MARK-MASQ']) assert.ok(declared.includes(top), top);
  for (const c of partial.deletedChains) assert.ok(partial.payload.includes(`-X ${c}\n`));
  assert.ok(!partial.payload.includes('*mangle'));
  await ipt.restore(partial.payload);
  const nat = ipt.tables.get('nat')!;
  for (const c of partial.deletedChains) assert.ok(!nat.chains.has(c));
  assert.equal(partial.chains.size, first.chains.size - 2);
});

test('a warm cache (only changed ports examined) plans the same partial sync as a cold one', () => {
  const cache = new RuleCache();
  const s0 = scenarioState();
  const first = buildRules(CONFIG, { services: s0.services, endpoints: s0.endpoints, full: true, changedServices: s0.changed, existingChains: new Set(), missingJumps: JUMP_RULES }, cache);
  // web loses two endpoints; a whole service port disappears
  const slices = SLICES.map((x) => (x.metadata.name === 'web-a' ? slice('ns1', 'web', 'web-a', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.2' }]) : x));
  const s = scenarioState(SERVICES.slice(1), slices);
  const changed = new Set(['ns1/web', `${SERVICES[0]!.metadata.namespace}/${SERVICES[0]!.metadata.name}`]);
  const input = { services: s.services, endpoints: s.endpoints, full: false, changedServices: changed, existingChains: first.chains, missingJumps: [] };
  const warm = buildRules(CONFIG, input, cache);
  const cold = buildRules(CONFIG, input);
  assert.ok(warm.deletedChains.length > 2);
  assert.deepEqual(warm.deletedChains, cold.deletedChains);
  assert.deepEqual([...warm.chains].sort(), [...cold.chains].sort());
  assert.equal(warm.payload, cold.payload);
});

test('partial sync writes chains of unchanged services that the kernel lacks', () => {
  const s = scenarioState();
  const full = buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: true, changedServices: new Set(), existingChains: new Set(), missingJumps: [] });
  const missing = [...full.chains].filter((c) => c.startsWith('SX-SVC-')).slice(0, 1);
  const existing = new Set([...full.chains].filter((c) => !missing.includes(c)));
  const partial = buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: false, changedServices: new Set(), existingChains: existing, missingJumps: [] });
  assert.ok(partial.payload.includes(`-N ${missing[0]}\n`));
  assert.ok(partial.writtenChains > 0 && partial.writtenChains < full.writtenChains);
});

test('NodePort CIDR restriction replaces the any-local-address rule', () => {
  const s = scenarioState();
  const plan = buildRules({ ...CONFIG, nodePortCIDRs: ['192.168.50.0/24'] }, { services: s.services, endpoints: s.endpoints, full: false, changedServices: new Set(), existingChains: new Set(), missingJumps: [] });
  assert.match(plan.payload, /-A SX-SERVICES -d 192\.168\.50\.0\/24 -m comment --comment "[^"]+" -m addrtype --dst-type LOCAL -j SX-NODEPORTS/);
  assert.doesNotMatch(plan.payload, /! -d 127\.0\.0\.0\/8/);
});

test('partial sync with appliedTopLevel leaves unchanged top-level chains out, and writes them when they change', () => {
  const s = scenarioState();
  const full = buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: true, changedServices: s.changed, existingChains: new Set(), missingJumps: [] });
  // web keeps a ready endpoint: SX-SERVICES text is unchanged, only its chains are written.
  const s2 = scenarioState(SERVICES, SLICES.map((x) => (x.metadata.name === 'web-a' ? slice('ns1', 'web', 'web-a', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.2' }]) : x)));
  const quiet = buildRules(CONFIG, { services: s2.services, endpoints: s2.endpoints, full: false, changedServices: new Set(['ns1/web']), existingChains: full.chains, missingJumps: [], appliedTopLevel: full.topLevel });
  assert.doesNotMatch(quiet.payload, /^:SX-SERVICES /m);
  assert.doesNotMatch(quiet.payload, /^\*filter/m);
  assert.match(quiet.payload, /^:SX-SVC-/m);
  assert.equal(quiet.topLevelRules.nat, full.topLevelRules.nat);
  // empty gets an endpoint: its REJECT goes away and SX-SERVICES gains a jump, so both tables are written.
  const s3 = scenarioState(SERVICES, SLICES.map((x) => (x.metadata.name === 'empty-a' ? slice('ns1', 'empty', 'empty-a', [{ port: 8080 }], [{ ip: '10.244.1.99' }]) : x)));
  const loud = buildRules(CONFIG, { services: s3.services, endpoints: s3.endpoints, full: false, changedServices: new Set(['ns1/empty']), existingChains: full.chains, missingJumps: [], appliedTopLevel: full.topLevel });
  assert.match(loud.payload, /^:SX-SERVICES /m);
  assert.match(loud.payload, /^\*filter/m);
});
