import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createFakeIptables } from '../../kernel/iptables-fake.js';
import { createIptables, IptablesError, type Iptables } from '../../kernel/iptables.js';
import { JUMP_RULES, buildRules, missingJumps, ownedChainsFromSave } from '../../proxy/core/index.js';
import { CONFIG, scenarioState } from '../../proxy/core/test-scenario.js';

/** The real Iptables in a scratch namespace, and the fake held to the same rules. */
const ns = `sx-pxk-${randomBytes(3).toString('hex')}`;
before(() => execFileSync('ip', ['netns', 'add', ns]));
after(() => execFileSync('ip', ['netns', 'del', ns]));

const refused: { name: string; payload: string }[] = [
  { name: 'jump to a missing chain', payload: '*nat\n:SX-A - [0:0]\n-A SX-A -j SX-MISSING\nCOMMIT\n' },
  { name: 'deleting a chain another chain jumps to', payload: '*nat\n:SX-B - [0:0]\n:SX-C - [0:0]\n-A SX-B -j SX-C\nCOMMIT\n*nat\n-X SX-C\nCOMMIT\n' },
  { name: 'rule for an undeclared chain', payload: '*filter\n-A SX-NOPE -j ACCEPT\nCOMMIT\n' },
];

for (const impl of ['real', 'fake'] as const) {
  const make = (): Iptables => (impl === 'real' ? createIptables({ netns: ns }) : createFakeIptables());
  for (const c of refused) {
    test(`${impl}: refuses ${c.name} and applies nothing of the failing table block`, async () => {
      const ipt = make();
      await assert.rejects(ipt.restore(c.payload), IptablesError);
      const all = await ipt.save();
      assert.doesNotMatch(all, /SX-A|SX-MISSING|SX-NOPE/);
      // Earlier blocks were committed on their own, as iptables-restore does: SX-C survives.
      if (c.payload.includes('-X SX-C')) assert.match(all, /:SX-C /);
    });
  }
  test(`${impl}: listChain tells a missing chain from an empty one`, async () => {
    const ipt = make();
    await ipt.restore('*mangle\n:SX-PROXY-CANARY - [0:0]\nCOMMIT\n');
    assert.deepEqual(await ipt.listChain('mangle', 'SX-PROXY-CANARY'), ['-N SX-PROXY-CANARY']);
    assert.equal(await ipt.listChain('mangle', 'SX-NOT-THERE'), null);
  });
}

test('real: after a full sync, iptables-save (normalised) shows no missing hooks and every service chain', async () => {
  const ipt = createIptables({ netns: ns });
  const s = scenarioState();
  const plan = buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: true, changedServices: s.changed, existingChains: new Set(), missingJumps: JUMP_RULES });
  await ipt.restore(plan.payload);
  const [nat, filter] = [await ipt.save('nat'), await ipt.save('filter')];
  assert.deepEqual(missingJumps({ nat, filter }), []);
  assert.deepEqual([...ownedChainsFromSave(nat)].sort(), [...plan.chains].sort());
  // A second full sync must not duplicate the hooks.
  const again = buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: true, changedServices: new Set(), existingChains: plan.chains, missingJumps: missingJumps({ nat, filter }) });
  await ipt.restore(again.payload);
  assert.equal((await ipt.save('nat')).split('\n').filter((l) => l.startsWith('-A PREROUTING') && l.includes('SX-SERVICES')).length, 1);
});
