/**
 * forward and loop against real sockets in a namespace: an upstream that refuses (nothing
 * listening) and one that never answers both end in SERVFAIL within dig's 4 s wait (the budget is
 * 2 s); a server told to forward to itself detects the loop with its HINFO probe.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsNamespace, SERVER_IP, status } from './harness.js';

const ns = new DnsNamespace();
before(() => ns.setup());
after(() => ns.cleanup());

test('forward: upstream down (port closed) and upstream silent both give SERVFAIL, not silence', async () => {
  await ns.startServer({ listen: `${SERVER_IP}:53`, errors: {}, cache: {}, kubernetes: {}, forward: { upstreams: [`${SERVER_IP}:5399`, `${SERVER_IP}:5300`] } }, `${SERVER_IP}:5300`);
  try {
    for (const name of ['drop-me.example.net', 'drop-again.example.net']) {
      const out = ns.dig([name, 'A', '+time=4']);
      assert.equal(status(out), 'SERVFAIL', out);
    }
    assert.equal(status(ns.dig(['ok.example.net', 'A', '+time=4'])), 'NOERROR', 'the live upstream still answers');
  } finally {
    await ns.stopServer();
  }
});

test('loop: a server forwarding to itself detects it', async () => {
  await ns.startServer({ listen: `${SERVER_IP}:53`, errors: {}, loop: {}, kubernetes: {}, forward: { upstreams: [`${SERVER_IP}:53`] } });
  try {
    const e = await ns.waitFor((x) => x.event === 'loop', 15_000);
    assert.match(String(e.probe), /^\d+\.\d+$/);
  } finally {
    await ns.stopServer();
  }
});
