import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createFakeConntrack } from '../kernel/conntrack.js';
import { createFakeIptables } from '../kernel/iptables-fake.js';
import { createLogger } from '../daemon/logger.js';
import { CONFIG, SERVICES, SLICES } from './core/test-scenario.js';
import { slice, svc } from './core/test-fixtures.js';
import { SyncEngine, type SyncResult } from './sync-engine.js';

const log = createLogger('proxy-test', { silent: true });

function setup(minSyncPeriodMs = 5, maxChainsPerRestore?: number) {
  const iptables = createFakeIptables();
  const conntrack = createFakeConntrack();
  const engine = new SyncEngine({ iptables, conntrack, config: CONFIG, log, minSyncPeriodMs, syncPeriodMs: 60_000, ...(maxChainsPerRestore !== undefined ? { maxChainsPerRestore } : {}) });
  const results: SyncResult[] = [];
  const waiters: (() => void)[] = [];
  engine.onSynced = (r) => {
    results.push(r);
    waiters.splice(0).forEach((w) => w());
  };
  const nextSync = () => new Promise<void>((resolve) => waiters.push(resolve));
  return { iptables, conntrack, engine, results, nextSync };
}

test('a burst of changes before start becomes one full sync', async () => {
  const { iptables, engine, results, nextSync } = setup();
  for (const s of SERVICES) engine.onServiceChange(undefined, s);
  for (const s of SLICES) engine.onSliceChange(s, false);
  const done = nextSync();
  engine.start();
  await done;
  await engine.stop();
  assert.equal(results.length, 1);
  assert.equal(results[0]!.full, true);
  // The fake is an nft backend: the service chains go in one prelude (fewer than 1,000), then the main payload.
  assert.equal(results[0]!.restores, 2);
  assert.equal(iptables.restores.length, 2);
  assert.ok(await engine.canaryIntact());
});

test('a full sync split into many small restores leaves exactly what one restore leaves', async () => {
  const dumps: string[] = [];
  for (const max of [0, 3]) {
    const { iptables, engine, results } = setup(5, max);
    for (const s of SERVICES) engine.onServiceChange(undefined, s);
    for (const s of SLICES) engine.onSliceChange(s, false);
    await engine.syncNow();
    // a second full sync over existing chains (':' declarations instead of -N) and a stale chain
    engine.onSliceChange(slice('ns1', 'web', 'web-a', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.2' }]), false);
    engine.requestFullSync();
    await engine.syncNow();
    await engine.stop();
    assert.ok(results.every((r) => r.ok && r.full));
    if (max === 0) assert.deepEqual(results.map((r) => r.restores), [1, 1]);
    else assert.ok(results.every((r) => r.restores > 3), `restores: ${results.map((r) => r.restores).join(',')}`);
    // chain creation order differs between the two; compare the dumps as sets of lines
    dumps.push((await iptables.save()).split('\n').sort().join('\n'));
  }
  assert.equal(dumps[1], dumps[0]);
});

test('a later change is a partial sync that writes only that service', async () => {
  const { iptables, engine, results, nextSync } = setup();
  for (const s of SERVICES) engine.onServiceChange(undefined, s);
  for (const s of SLICES) engine.onSliceChange(s, false);
  let done = nextSync();
  engine.start();
  await done;
  done = nextSync();
  engine.onSliceChange(slice('ns1', 'web', 'web-a', [{ name: 'http', port: 8080 }], [{ ip: '10.244.1.2' }]), false);
  await done;
  await engine.stop();
  assert.equal(results[1]!.full, false);
  const payload = iptables.restores.at(-1)!;
  assert.ok(!payload.includes('*mangle'));
  const written = payload.split('\n').filter((l) => /^:SX-(SVC|SEP|EXT|SVL)-/.test(l));
  // ns1/web: SVC + remaining SEP written, two stale SEPs declared for deletion.
  assert.equal(written.length, 4);
  assert.ok(!payload.includes('10.244.1.4:8080'));
});

test('a failed restore makes the next sync full; health turns bad only after 2x syncPeriod', async () => {
  let now = 1_000_000;
  const iptables = createFakeIptables();
  const engine = new SyncEngine({ iptables, conntrack: createFakeConntrack(), config: CONFIG, log, minSyncPeriodMs: 0, syncPeriodMs: 1000, now: () => now });
  engine.onServiceChange(undefined, SERVICES[0]!);
  assert.equal((await engine.syncNow()).full, true);
  engine.onSliceChange(SLICES[0]!, false);
  iptables.failNextRestore('Another app is currently holding the xtables lock');
  const failed = await engine.syncNow();
  assert.equal(failed.ok, false);
  assert.equal(engine.health().healthy, true);
  now += 2500;
  assert.equal(engine.health().healthy, false);
  const retry = await engine.syncNow();
  await engine.stop();
  assert.equal(retry.ok, true);
  assert.equal(retry.full, true);
  assert.equal(engine.health().healthy, true);
  assert.ok(iptables.restores[1]!.includes('10.244.1.2:8080'));
});

test('an external flush is detected by the canary and repaired', async () => {
  for (const flush of ['flushTable', 'flushRules'] as const) {
    const { iptables, engine } = setup();
    for (const s of SERVICES) engine.onServiceChange(undefined, s);
    for (const s of SLICES) engine.onSliceChange(s, false);
    await engine.syncNow();
    iptables[flush]('nat');
    assert.equal(await engine.canaryIntact(), false, flush);
    engine.requestFullSync();
    const r = await engine.syncNow();
    await engine.stop();
    assert.equal(r.full, true);
    assert.ok(await engine.canaryIntact());
    const pre = await iptables.listChain('nat', 'PREROUTING');
    assert.equal(pre!.filter((l) => l.includes('-j SX-SERVICES')).length, 1, flush);
  }
});

test('UDP endpoint removal deletes conntrack entries that reply from the removed endpoint', async () => {
  const { conntrack, engine } = setup();
  const dns = svc('ns1', 'dns', { type: 'NodePort', clusterIP: '10.96.0.53', ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }] });
  engine.onServiceChange(undefined, dns);
  engine.onSliceChange(slice('ns1', 'dns', 'd', [{ name: 'dns', port: 5353, protocol: 'UDP' }], [{ ip: '10.244.1.53' }, { ip: '10.244.1.54' }]), false);
  await engine.syncNow();
  assert.deepEqual(conntrack.deletions, [
    { origDst: '10.96.0.53', origDstPort: 53 },
    { origDstPort: 30053 },
  ]);
  conntrack.deletions.length = 0;
  engine.onSliceChange(slice('ns1', 'dns', 'd', [{ name: 'dns', port: 5353, protocol: 'UDP' }], [{ ip: '10.244.1.53' }]), false);
  await engine.syncNow();
  await engine.stop();
  assert.deepEqual(conntrack.deletions, [
    { origDst: '10.96.0.53', origDstPort: 53, replySrc: '10.244.1.54' },
    { origDstPort: 30053, replySrc: '10.244.1.54' },
  ]);
});

test('health-check targets count local endpoints of Local services', async () => {
  const { engine } = setup();
  for (const s of SERVICES) engine.onServiceChange(undefined, s);
  for (const s of SLICES) engine.onSliceChange(s, false);
  await engine.syncNow();
  await engine.stop();
  assert.deepEqual(engine.healthCheckTargets().sort((a, b) => a.port - b.port), [
    { namespace: 'ns1', name: 'np-local', port: 32081, localEndpoints: 1 },
    { namespace: 'ns1', name: 'np-local-none', port: 32082, localEndpoints: 0 },
  ]);
});

test('health is bad when the first sync never happens (e.g. the API is unreachable)', () => {
  let now = 5_000;
  const engine = new SyncEngine({ iptables: createFakeIptables(), conntrack: createFakeConntrack(), config: CONFIG, log, minSyncPeriodMs: 0, syncPeriodMs: 1000, now: () => now });
  assert.equal(engine.health().healthy, true);
  now += 2001;
  assert.equal(engine.health().healthy, false);
});
