import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDnsConfig, resolvConfUpstreams } from './config.js';
import { configFromFlags } from './command.js';

test('config: problems name the field', () => {
  assert.throws(() => parseDnsConfig({ forward: { upstreams: [] }, kubernetes: { pods: 'maybe' } }), (e: Error) => {
    assert.match(e.message, /forward\.upstreams: needs at least one upstream/);
    assert.match(e.message, /kubernetes\.pods:/);
    return true;
  });
});

test('config: flags give the default chain with resolv.conf upstreams', () => {
  const cfg = configFromFlags({ listen: '0.0.0.0:53', clusterDomain: 'cluster.local', ttl: 5, metricsListen: ':9153', healthListen: ':8080', readyListen: ':8181', pods: 'insecure', workers: 1, logQueries: false, lameduck: 5000 },
    () => 'search x\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\n');
  assert.deepEqual(cfg.forward?.upstreams, ['192.0.2.53:53', '[fe80::1]:53']);
  assert.equal(cfg.kubernetes?.ttl, 5);
  assert.ok(cfg.errors && cfg.cache && cfg.loop && cfg.health && cfg.ready && cfg.metrics && cfg.loadbalance);
  assert.equal(cfg.log, undefined);
});

test('resolv.conf: nameserver lines only', () => {
  assert.deepEqual(resolvConfUpstreams('# c\nnameserver 10.0.0.2\noptions ndots:5\n'), ['10.0.0.2:53']);
});
