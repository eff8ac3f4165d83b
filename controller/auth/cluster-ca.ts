/**
 * The cluster's signing material — the CA (ca.crt, ca.key) and the service-account key (sa.key) —
 * in one directory that several API servers may share (`--ca-dir`), so a client certificate or
 * service-account token from one server is valid on every server of an HA control plane. The first
 * server to start creates what is missing; servers starting at the same moment agree on one CA:
 * ca.key is published with link(2), which fails when another server already did, and the loser
 * waits for the winner's ca.crt.
 *
 *   <ca-dir>/ca.crt ca.key sa.key
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthError } from './errors.js';
import { buildCertificate, KEY_USAGE, newKeyPair, privateKeyPem, publicKeyOf } from './x509/certificate.js';

const DAY = 86_400_000;
export const CA_NAME = 'sextant-ca';
/** How long a server waits (default) for another server that is writing the CA at the same moment. */
const PARTNER_WAIT_MS = 10_000;

export interface ClusterCa {
  dir: string;
  caCertPem: string;
  caCert: X509Certificate;
  caKey: KeyObject;
  serviceAccountKey: KeyObject;
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function tempFile(dir: string, name: string, text: string, mode: number): string {
  const tmp = join(dir, `.${name}.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  return tmp;
}

/** Publishes `text` as `dir/name` unless it exists; true when this call created it. */
function publishOnce(dir: string, name: string, text: string, mode: number): boolean {
  const tmp = tempFile(dir, name, text, mode);
  try {
    linkSync(tmp, join(dir, name));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new AuthError('AUTH_PKI', `cannot write ${join(dir, name)}: ${(err as Error).message}`, { cause: err });
  } finally {
    unlinkSync(tmp);
  }
}

function waitFor(path: string, because: string, waitMs: number): void {
  const deadline = Date.now() + waitMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new AuthError('AUTH_PKI', `${because}, and ${path} did not appear within ${waitMs / 1000} s (an interrupted CA creation: remove ca.key and ca.crt to make a new CA)`);
    sleepSync(50);
  }
}

function read<T>(path: string, what: string, parse: (b: Buffer) => T): T {
  try {
    return parse(readFileSync(path));
  } catch (err) {
    throw new AuthError('AUTH_PKI', `cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function newCa(): { keyPem: string; certPem: string } {
  const ca = newKeyPair();
  const now = Date.now();
  const cert = buildCertificate({
    subject: { commonName: CA_NAME },
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 10 * 365 * DAY),
    isCA: true,
    keyUsage: [KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign],
  });
  return { keyPem: privateKeyPem(ca.privateKey), certPem: cert.pem };
}

/** Loads the CA and service-account key from `dir`, creating what is missing (safe against concurrent servers). */
export function ensureClusterCa(dir: string, opts: { partnerWaitMs?: number } = {}): ClusterCa {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const p = (f: string) => join(dir, f);
  if (!existsSync(p('ca.key'))) {
    if (existsSync(p('ca.crt'))) throw new AuthError('AUTH_PKI', `${p('ca.crt')} exists without ${p('ca.key')}: give the CA key too, or remove ca.crt to make a new CA`);
    const ca = newCa();
    if (publishOnce(dir, 'ca.key', ca.keyPem, 0o600)) {
      const tmp = tempFile(dir, 'ca.crt', ca.certPem, 0o644);
      renameSync(tmp, p('ca.crt'));
    }
  }
  waitFor(p('ca.crt'), `${p('ca.key')} exists without ca.crt`, opts.partnerWaitMs ?? PARTNER_WAIT_MS);
  publishOnce(dir, 'sa.key', privateKeyPem(newKeyPair().privateKey), 0o600);
  const caKey = read(p('ca.key'), 'private key', (b) => createPrivateKey(b));
  const caCert = read(p('ca.crt'), 'certificate', (b) => new X509Certificate(b));
  if (!caCert.ca || !caCert.verify(publicKeyOf(caKey))) throw new AuthError('AUTH_PKI', `${p('ca.crt')} is not a CA certificate for ${p('ca.key')}`);
  for (const f of ['ca.key', 'sa.key']) chmodSync(p(f), 0o600);
  return {
    dir,
    caCertPem: readFileSync(p('ca.crt'), 'utf8'),
    caCert,
    caKey,
    serviceAccountKey: read(p('sa.key'), 'private key', (b) => createPrivateKey(b)),
  };
}
