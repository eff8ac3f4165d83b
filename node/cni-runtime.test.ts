/**
 * The node agent's CNI runtime against real plugin executables (a recording plugin, installed
 * twice as `rec-a` and `rec-b`): ADD chains the conflist's plugins in order, each getting the
 * previous result; the final result is cached as libcni does; DEL runs the chain in reverse, each
 * plugin getting the cached result as prevResult and the cached config even after the conf dir
 * changed; a failed ADD is rolled back with DEL; the env carries CNI_PATH and K8S_POD_* args.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CniRuntime } from './cni-runtime.js';

const DIR = mkdtempSync(join(tmpdir(), 'sx-cni-runtime-'));
const BIN = join(DIR, 'bin');
const CONF = join(DIR, 'conf');
const LOG = join(BIN, 'calls.log');

const PLUGIN = `#!${process.execPath}
const fs = require('fs'), path = require('path');
const cfg = JSON.parse(fs.readFileSync(0, 'utf8'));
const type = path.basename(process.argv[1]);
const e = process.env;
fs.appendFileSync(path.join(path.dirname(process.argv[1]), 'calls.log'), JSON.stringify({ type, cmd: e.CNI_COMMAND, id: e.CNI_CONTAINERID, netns: e.CNI_NETNS, ifname: e.CNI_IFNAME, args: e.CNI_ARGS, path: e.CNI_PATH, name: cfg.name, version: cfg.cniVersion, marker: cfg.marker, prev: cfg.prevResult ?? null }) + '\\n');
if (e.CNI_COMMAND === 'ADD') {
  if (cfg.fail) { console.log(JSON.stringify({ cniVersion: cfg.cniVersion, code: 11, msg: 'asked to fail' })); process.exit(1); }
  const r = cfg.prevResult ?? { cniVersion: cfg.cniVersion, ips: [] };
  r.ips = [...r.ips, { address: type === 'rec-a' ? '10.1.0.5/24' : '10.2.0.5/24' }];
  console.log(JSON.stringify(r));
}
`;

interface Call { type: string; cmd: string; id: string; netns: string; ifname: string; args: string; path: string; name: string; version: string; marker: number; prev: { ips: { address: string }[] } | null }
const calls = (): Call[] => (existsSync(LOG) ? readFileSync(LOG, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Call) : []);
const conflist = (plugins: Record<string, unknown>[]) => JSON.stringify({ cniVersion: '1.0.0', name: 'testnet', plugins });

const attachment = { containerId: 'a'.repeat(64), netnsPath: '/run/netns/sx-pod-0000000000', ifName: 'eth0', pod: { namespace: 'ns1', name: 'p1', uid: 'uid-1' } };

describe('CNI runtime (libcni behaviour) with real plugin executables', () => {
  after(() => rmSync(DIR, { recursive: true, force: true }));

  it('ADD chains in order with prevResult, caches the result; DEL runs in reverse with the cached result and config', async () => {
    mkdirSync(BIN, { recursive: true });
    mkdirSync(CONF, { recursive: true });
    for (const t of ['rec-a', 'rec-b']) {
      writeFileSync(join(BIN, t), PLUGIN);
      chmodSync(join(BIN, t), 0o755);
    }
    writeFileSync(join(CONF, '10-chain.conflist'), conflist([{ type: 'rec-a', marker: 1 }, { type: 'rec-b', marker: 2 }]));
    writeFileSync(join(CONF, '20-ignored.conflist'), conflist([{ type: 'rec-b', marker: 99 }]));
    const rt = new CniRuntime({ binDirs: ['/nonexistent', BIN], confDir: CONF, cacheDir: join(DIR, 'cache') });

    const added = await rt.add(attachment);
    assert.deepEqual(added.ips, ['10.1.0.5/24', '10.2.0.5/24']);
    const adds = calls();
    assert.deepEqual(adds.map((c) => `${c.cmd} ${c.type} ${c.marker}`), ['ADD rec-a 1', 'ADD rec-b 2'], 'the first conflist in lexical order, plugins in order');
    assert.equal(adds[0]!.prev, null, 'the first plugin gets no prevResult');
    assert.deepEqual(adds[1]!.prev?.ips, [{ address: '10.1.0.5/24' }], 'the second gets the first one’s result');
    for (const c of adds) {
      assert.deepEqual([c.id, c.netns, c.ifname, c.name, c.version], [attachment.containerId, attachment.netnsPath, 'eth0', 'testnet', '1.0.0']);
      assert.equal(c.path, `/nonexistent:${BIN}`);
      assert.equal(c.args, `IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=p1;K8S_POD_INFRA_CONTAINER_ID=${attachment.containerId};K8S_POD_UID=uid-1`);
    }
    const cachePath = join(DIR, 'cache', 'results', `testnet-${attachment.containerId}-eth0`);
    assert.ok(existsSync(cachePath), 'result cached under results/<network>-<id>-<ifname>');
    assert.deepEqual(rt.cached(attachment)?.result, added.result);

    // the conf dir changes: DEL must still tear down what ADD set up
    writeFileSync(join(CONF, '10-chain.conflist'), conflist([{ type: 'rec-b', marker: 3 }]));
    rmSync(LOG);
    await rt.del(attachment);
    const dels = calls();
    assert.deepEqual(dels.map((c) => `${c.cmd} ${c.type} ${c.marker}`), ['DEL rec-b 2', 'DEL rec-a 1'], 'reverse order, the cached config');
    for (const c of dels) assert.deepEqual(c.prev, added.result, 'prevResult = the final ADD result');
    assert.equal(existsSync(cachePath), false, 'cache entry removed');
  });

  it('a failed ADD is rolled back (DEL through the chain) and reported with the plugin’s message; nothing is cached', async () => {
    writeFileSync(join(CONF, '10-chain.conflist'), conflist([{ type: 'rec-a', marker: 1 }, { type: 'rec-b', marker: 2, fail: true }]));
    rmSync(LOG, { force: true });
    const rt = new CniRuntime({ binDirs: [BIN], confDir: CONF, cacheDir: join(DIR, 'cache') });
    await assert.rejects(rt.add(attachment), /CNI ADD rec-b: code 11: asked to fail/);
    assert.deepEqual(calls().map((c) => `${c.cmd} ${c.type}`), ['ADD rec-a', 'ADD rec-b', 'DEL rec-b', 'DEL rec-a']);
    assert.equal(rt.cached(attachment), undefined);
  });
});
