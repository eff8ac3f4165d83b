/**
 * The cluster PKI, made at first start and reused after: the CA and the service-account signing
 * key (cluster-ca.ts; in the data dir, or in a `--ca-dir` several API servers share) and this
 * server's own serving certificate, signed by that CA and reissued when the wanted SANs or the CA
 * change. Private keys are written 0600 in a 0700 directory, atomically.
 *
 *   <data-dir>/pki/ca.crt ca.key sa.key      (unless --ca-dir)
 *   <data-dir>/pki/apiserver.crt apiserver.key
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CA_NAME, ensureClusterCa } from './cluster-ca.js';
import { AuthError } from './errors.js';
import { buildCertificate, KEY_USAGE, newKeyPair, privateKeyPem, publicKeyOf } from './x509/certificate.js';

const DAY = 86_400_000;
export { CA_NAME };

export interface Pki {
  /** Where this server's serving certificate lives (`<data-dir>/pki`). */
  dir: string;
  /** Where the CA and the service-account key live (the same dir, or a shared `--ca-dir`). */
  caDir: string;
  caCertPem: string;
  caCert: X509Certificate;
  caKey: KeyObject;
  servingCertPem: string;
  servingKeyPem: string;
  serviceAccountKey: KeyObject;
}

export interface ServingNames {
  dnsNames: string[];
  ipAddresses: string[];
}

/** Writes a file atomically with `mode` (temp file + rename). */
export function writeSecretFile(path: string, text: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

function readCert(path: string): X509Certificate {
  try {
    return new X509Certificate(readFileSync(path));
  } catch (err) {
    throw new AuthError('AUTH_PKI', `cannot read certificate ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** The SANs a certificate carries, normalised for comparison. */
function sansOf(cert: X509Certificate): Set<string> {
  const out = new Set<string>();
  for (const part of (cert.subjectAltName ?? '').split(', ')) {
    const m = /^(DNS|IP Address):(.*)$/.exec(part);
    if (m) out.add(m[1] === 'DNS' ? `dns:${m[2]}` : `ip:${m[2]!.toLowerCase()}`);
  }
  return out;
}

function wantsReissue(cert: X509Certificate, names: ServingNames, ca: X509Certificate): boolean {
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return true;
  if (Date.parse(cert.validTo) - Date.now() < 30 * DAY) return true;
  const have = sansOf(cert);
  for (const d of names.dnsNames) if (!have.has(`dns:${d}`)) return true;
  for (const ip of names.ipAddresses) if (cert.checkIP(ip) === undefined) return true;
  return false;
}

/** Issues a certificate signed by the CA; `client` certs carry the user (CN) and groups (O). */
export function issueCertificate(
  pki: Pick<Pki, 'caKey'>,
  o: { commonName: string; organizations?: string[]; usage: 'client' | 'server'; names?: ServingNames; days?: number },
): { certPem: string; keyPem: string } {
  const key = newKeyPair();
  const now = Date.now();
  const cert = buildCertificate({
    subject: { commonName: o.commonName, ...(o.organizations ? { organizations: o.organizations } : {}) },
    publicKey: key.publicKey,
    issuer: { commonName: CA_NAME },
    issuerPublicKey: publicKeyOf(pki.caKey),
    signingKey: pki.caKey,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + (o.days ?? 365) * DAY),
    keyUsage: [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment],
    extKeyUsage: [o.usage === 'client' ? 'clientAuth' : 'serverAuth'],
    ...(o.names ? { dnsNames: o.names.dnsNames, ipAddresses: o.names.ipAddresses } : {}),
  });
  return { certPem: cert.pem, keyPem: privateKeyPem(key.privateKey) };
}

/**
 * Loads the PKI: the CA from `caDir` (default `<dataDir>/pki`), creating what is missing, and the
 * serving certificate from `<dataDir>/pki`, reissuing it when stale, for other SANs or another CA.
 */
export function ensurePki(dataDir: string, names: ServingNames, caDir?: string): Pki {
  const dir = join(dataDir, 'pki');
  const ca = ensureClusterCa(caDir ?? dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const p = (f: string) => join(dir, f);
  if (!existsSync(p('apiserver.crt')) || !existsSync(p('apiserver.key')) || wantsReissue(readCert(p('apiserver.crt')), names, ca.caCert)) {
    const { certPem, keyPem } = issueCertificate({ caKey: ca.caKey }, { commonName: 'kube-apiserver', usage: 'server', names });
    writeSecretFile(p('apiserver.key'), keyPem);
    writeSecretFile(p('apiserver.crt'), certPem, 0o644);
  }
  chmodSync(p('apiserver.key'), 0o600);
  return {
    dir,
    caDir: ca.dir,
    caCertPem: ca.caCertPem,
    caCert: ca.caCert,
    caKey: ca.caKey,
    servingCertPem: readFileSync(p('apiserver.crt'), 'utf8'),
    servingKeyPem: readFileSync(p('apiserver.key'), 'utf8'),
    serviceAccountKey: ca.serviceAccountKey,
  };
}

/** Default SANs: loopback names and addresses, the `kubernetes` service names, plus extras. */
export function servingNames(o: { advertiseHost?: string; listenHost?: string; extraSans?: string[]; serviceIP?: string }): ServingNames {
  const dns = new Set(['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']);
  const ips = new Set(['127.0.0.1', '::1']);
  const add = (v: string | undefined) => {
    if (!v) return;
    const h = v.replace(/^\[|\]$/g, '');
    if (h === '0.0.0.0' || h === '::' || h === '') return;
    if (/^[\d.]+$/.test(h) || h.includes(':')) ips.add(h);
    else dns.add(h);
  };
  add(o.advertiseHost);
  add(o.listenHost);
  add(o.serviceIP);
  for (const s of o.extraSans ?? []) add(s);
  return { dnsNames: [...dns], ipAddresses: [...ips] };
}
