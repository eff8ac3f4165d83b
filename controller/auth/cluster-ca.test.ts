/**
 * The shared cluster CA directory: servers started at the same moment on one `--ca-dir` (real
 * processes racing) end up with one CA and one service-account key; each server's own serving
 * certificate is signed by it; an interrupted creation is reported, not papered over.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureClusterCa } from './cluster-ca.js';
import { AuthError } from './errors.js';
import { ensurePki, servingNames } from './pki.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const dir = mkdtempSync(join(tmpdir(), 'sx-cluster-ca-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs ensureClusterCa(caDir) in a fresh node process; resolves with the CA fingerprint and SA key. */
function inProcess(caDir: string): Promise<string> {
  const code = `import { ensureClusterCa } from ${JSON.stringify(join(here, 'cluster-ca.ts'))};
const ca = ensureClusterCa(${JSON.stringify(caDir)});
process.stdout.write(ca.caCert.fingerprint256 + ' ' + ca.serviceAccountKey.export({ type: 'pkcs8', format: 'pem' }).toString().length);`;
  return new Promise((res, rej) => {
    execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repo, timeout: 60_000 }, (err, stdout, stderr) => (err ? rej(new Error(`${err.message}\n${stderr}`)) : res(String(stdout))));
  });
}

test('servers racing on one --ca-dir agree on one CA and one service-account key', async () => {
  const caDir = join(dir, 'race');
  const seen = await Promise.all(Array.from({ length: 4 }, () => inProcess(caDir)));
  assert.equal(new Set(seen).size, 1, `one CA: ${seen.join(', ')}`);
  const ca = ensureClusterCa(caDir);
  assert.equal(seen[0]!.split(' ')[0], ca.caCert.fingerprint256);
  assert.deepEqual(readdirSync(caDir).sort(), ['ca.crt', 'ca.key', 'sa.key'], 'no temp files left');
  for (const f of ['ca.key', 'sa.key']) assert.equal(statSync(join(caDir, f)).mode & 0o777, 0o600, f);
});

test('each server keeps its own serving certificate, signed by the shared CA, with its own SANs', () => {
  const caDir = join(dir, 'shared');
  const a = ensurePki(join(dir, 'a'), servingNames({ listenHost: '10.1.0.1' }), caDir);
  const b = ensurePki(join(dir, 'b'), servingNames({ listenHost: '10.1.0.2' }), caDir);
  assert.equal(a.caCertPem, b.caCertPem);
  assert.equal(a.caDir, caDir);
  for (const [pki, ip] of [[a, '10.1.0.1'], [b, '10.1.0.2']] as const) {
    const cert = new X509Certificate(pki.servingCertPem);
    assert.ok(cert.checkIssued(pki.caCert) && cert.verify(pki.caCert.publicKey));
    assert.equal(cert.checkIP(ip), ip);
  }
  // a data dir that had its own CA before moves to the shared one: its serving cert is reissued
  const own = ensurePki(join(dir, 'c'), servingNames({ listenHost: '10.1.0.3' }));
  const moved = ensurePki(join(dir, 'c'), servingNames({ listenHost: '10.1.0.3' }), caDir);
  assert.notEqual(own.caCertPem, moved.caCertPem);
  assert.ok(new X509Certificate(moved.servingCertPem).checkIssued(moved.caCert));
});

test('an interrupted or half-given CA is reported with what to do', () => {
  const caDir = join(dir, 'broken');
  ensureClusterCa(caDir);
  unlinkSync(join(caDir, 'ca.key'));
  assert.throws(() => ensureClusterCa(caDir), (err: unknown) => err instanceof AuthError && /ca\.crt exists without .*ca\.key/.test(err.message));
  const other = join(dir, 'no-crt');
  mkdirSync(other);
  ensureClusterCa(other);
  const key = readFileSync(join(other, 'ca.key'));
  assert.ok(key.length > 0);
  unlinkSync(join(other, 'ca.crt'));
  assert.throws(() => ensureClusterCa(other, { partnerWaitMs: 300 }), (err: unknown) => err instanceof AuthError && /ca\.crt did not appear within 0\.3 s/.test(err.message));
});
