import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createFakeIptables } from '../../kernel/iptables-fake.js';
import { createIptables, IptablesError, type Iptables } from '../../kernel/iptables.js';
import { JUMP_RULES, KernelStateScan, buildRules } from '../../proxy/core/index.js';
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
  test(`${impl}: saveLines hands over the same lines as save, one at a time`, async (t) => {
    // Its own namespace: the tests after this one expect an empty one.
    const own = `${ns}-lines`;
    if (impl === 'real') {
      execFileSync('ip', ['netns', 'add', own]);
      t.after(() => execFileSync('ip', ['netns', 'del', own]));
    }
    const ipt = impl === 'real' ? createIptables({ netns: own }) : createFakeIptables();
    const s = scenarioState();
    const plan = buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: true, changedServices: s.changed, existingChains: new Set(), missingJumps: JUMP_RULES });
    await ipt.restore(plan.payload);
    // The real tool stamps the time in its '#' lines: compare the rest.
    const noStamps = (lines: string[]) => lines.filter((l) => !l.startsWith('#'));
    const lines: string[] = [];
    await ipt.saveLines('nat', (l) => lines.push(l));
    assert.ok(lines.length > 20 && lines.every((l) => !l.includes('\n')));
    assert.deepEqual(noStamps(lines), noStamps((await ipt.save('nat')).replace(/\n$/, '').split('\n')));
    await assert.rejects(
      ipt.saveLines('nat', () => {
        throw new Error('reader gave up');
      }),
      /reader gave up/,
    );
  });
}

test('real: saveLines of a table that does not exist rejects with the tool\'s reason', async () => {
  await assert.rejects(createIptables({ netns: ns }).saveLines('nosuch', () => {}), (e: unknown) => e instanceof IptablesError && /nosuch/.test(e.stderr));
});

test('KernelStateScan: the chains and hooks read line by line are the ones read from whole dumps', async () => {
  const ipt = createFakeIptables();
  const s = scenarioState();
  const plan = buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: true, changedServices: s.changed, existingChains: new Set(), missingJumps: JUMP_RULES.slice(1) });
  await ipt.restore(plan.payload);
  const scan = new KernelStateScan();
  for (const t of ['nat', 'filter']) await ipt.saveLines(t, (l) => scan.line(t, l));
  const [nat, filter] = [await ipt.save('nat'), await ipt.save('filter')];
  assert.deepEqual([...scan.ownedChains].sort(), [...plan.chains].sort());
  assert.deepEqual(scan.missingJumps(), [JUMP_RULES[0]]);
  const whole = new KernelStateScan().text('nat', nat).text('filter', filter);
  assert.deepEqual([...scan.ownedChains], [...whole.ownedChains]);
  assert.deepEqual(scan.missingJumps(), whole.missingJumps());
  // Rules of our own chains never count as hooks, even when they jump to one of our chains.
  const own = new KernelStateScan().text('nat', `*nat\n:SX-SERVICES - [0:0]\n-A SX-SERVICES -m comment --comment "sextant service portals" -j SX-SERVICES\nCOMMIT\n`);
  assert.equal(own.missingJumps().length, JUMP_RULES.length);
});

test('real: after a full sync, iptables-save (normalised) shows no missing hooks and every service chain', async () => {
  const ipt = createIptables({ netns: ns });
  const s = scenarioState();
  const plan = buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: true, changedServices: s.changed, existingChains: new Set(), missingJumps: JUMP_RULES });
  await ipt.restore(plan.payload);
  const [nat, filter] = [await ipt.save('nat'), await ipt.save('filter')];
  const scan = new KernelStateScan().text('nat', nat).text('filter', filter);
  assert.deepEqual(scan.missingJumps(), []);
  assert.deepEqual([...scan.ownedChains].sort(), [...plan.chains].sort());
  // A second full sync must not duplicate the hooks.
  const again = buildRules(CONFIG, { services: s.services, endpoints: s.endpoints, full: true, changedServices: new Set(), existingChains: plan.chains, missingJumps: scan.missingJumps() });
  await ipt.restore(again.payload);
  assert.equal((await ipt.save('nat')).split('\n').filter((l) => l.startsWith('-A PREROUTING') && l.includes('SX-SERVICES')).length, 1);
});
