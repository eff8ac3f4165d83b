/**
 * `--kubeconfig-servers`: the flag takes https:// URLs only, and the kubeconfigs a server writes
 * with it list every server (sextant.io/servers) while `server` stays this server for kubectl.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig } from '../api/kubeconfig.js';
import { FlagError, parseFlags } from '../../daemon/flags.js';
import { credentialKubeconfig } from './credentials.js';
import { securityFlags } from './flags.js';

const dir = mkdtempSync(join(tmpdir(), 'sx-kc-servers-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

test('--kubeconfig-servers: a comma-separated list of https:// URLs, empty by default', () => {
  assert.deepEqual(parseFlags(securityFlags, []).flags.kubeconfigServers, []);
  assert.deepEqual(parseFlags(securityFlags, ['--kubeconfig-servers', 'https://10.0.0.1:6443, https://10.0.0.2:6443']).flags.kubeconfigServers, ['https://10.0.0.1:6443', 'https://10.0.0.2:6443']);
  assert.throws(() => parseFlags(securityFlags, ['--kubeconfig-servers', 'http://10.0.0.1:6443']), (err: unknown) => err instanceof FlagError && /--kubeconfig-servers: must be https:\/\/ URLs/.test(err.message));
});

test('a written kubeconfig lists every server for failover and keeps this server for kubectl', () => {
  const cases = [
    { name: 'several', target: { server: 'https://10.0.0.2:6443', servers: ['https://10.0.0.1:6443', 'https://10.0.0.2:6443'] }, server: 'https://10.0.0.2:6443', servers: ['https://10.0.0.1:6443'] },
    { name: 'only itself', target: { server: 'https://10.0.0.2:6443', servers: ['https://10.0.0.2:6443'] }, server: 'https://10.0.0.2:6443', servers: undefined },
    { name: 'one URL', target: 'https://10.0.0.3:6443', server: 'https://10.0.0.3:6443', servers: undefined },
  ];
  for (const c of cases) {
    const path = join(dir, c.name);
    writeFileSync(path, credentialKubeconfig({ server: c.target, caPem: pem, user: 'u', token: 't' }));
    const cfg = loadKubeconfig(path);
    assert.equal(cfg.server, c.server, c.name);
    assert.deepEqual(cfg.servers, c.servers, c.name);
    assert.equal(cfg.ca, pem, c.name);
  }
});
