/**
 * Builds signed X.509 v3 certificates (RFC 5280) from Node `crypto` keys: the cluster CA, the API
 * server's serving certificate and client certificates whose subject carries the user (CN) and
 * groups (O), as Kubernetes reads them. ECDSA P-256 with SHA-256 by default; RSA keys are signed
 * with sha256WithRSAEncryption. Output is DER and PEM; `crypto.X509Certificate` parses the result.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { bitString, boolean, explicit, implicitPrimitive, integer, namedBits, nullValue, octetString, oid, sequence, setOf, time, utf8String } from './der.js';

export const OIDS = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

/** KeyUsage bit positions (RFC 5280 4.2.1.3). */
export const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

export interface DistinguishedName {
  commonName: string;
  /** One RDN per organization (Kubernetes groups). */
  organizations?: readonly string[];
}

export interface CertificateSpec {
  subject: DistinguishedName;
  /** The key being certified. */
  publicKey: KeyObject;
  /** Issuer name and signing key; omit both for a self-signed certificate (then `signingKey` is the private half of `publicKey`). */
  issuer?: DistinguishedName;
  issuerPublicKey?: KeyObject;
  signingKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  isCA?: boolean;
  keyUsage: readonly number[];
  extKeyUsage?: readonly ('serverAuth' | 'clientAuth')[];
  /** DNS names and IP addresses (v4 or v6 text). */
  dnsNames?: readonly string[];
  ipAddresses?: readonly string[];
  /** Positive serial; 16 random bytes when omitted. */
  serial?: Buffer;
}

export interface Certificate {
  der: Buffer;
  pem: string;
}

function name(dn: DistinguishedName): Buffer {
  const rdn = (type: string, value: string) => setOf(sequence(oid(type), utf8String(value)));
  return sequence(...(dn.organizations ?? []).map((o) => rdn(OIDS.organization, o)), rdn(OIDS.commonName, dn.commonName));
}

const extension = (id: string, critical: boolean, value: Buffer) =>
  critical ? sequence(oid(id), boolean(true), octetString(value)) : sequence(oid(id), octetString(value));

/** SHA-1 of the subjectPublicKey bits: the key identifier method 1 of RFC 5280 4.2.1.2. */
export function keyIdentifier(key: KeyObject): Buffer {
  const spki = key.export({ type: 'spki', format: 'der' });
  // The BIT STRING is the last element of the SPKI SEQUENCE; hash its content after the unused-bits byte.
  const bits = lastTlvContent(spki).subarray(1);
  return createHash('sha1').update(bits).digest();
}

/** The content of the last TLV inside a DER SEQUENCE (enough to find the SPKI key bits). */
function lastTlvContent(seq: Buffer): Buffer {
  const header = (buf: Buffer, at: number) => {
    const first = buf[at + 1]!;
    if (first < 0x80) return { len: first, hdr: 2 };
    const n = first & 0x7f;
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[at + 2 + i]!;
    return { len, hdr: 2 + n };
  };
  const outer = header(seq, 0);
  let at = outer.hdr;
  let last: Buffer = Buffer.alloc(0);
  while (at < seq.length) {
    const h = header(seq, at);
    last = seq.subarray(at + h.hdr, at + h.hdr + h.len);
    at += h.hdr + h.len;
  }
  return last;
}

function ipBytes(ip: string): Buffer {
  const v = isIP(ip);
  if (v === 4) return Buffer.from(ip.split('.').map(Number));
  if (v === 6) {
    const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, undefined];
    const parse = (s: string | undefined) => (s ? s.split(':') : []);
    let groups = parse(head);
    if (tail !== undefined) {
      const t = parse(tail);
      groups = [...groups, ...Array<string>(8 - groups.length - t.length).fill('0'), ...t];
    }
    const out = Buffer.alloc(16);
    groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
    return out;
  }
  throw new Error(`x509: not an IP address: ${ip}`);
}

function signatureAlgorithm(key: KeyObject): { id: Buffer; hash: string } {
  if (key.asymmetricKeyType === 'ec') return { id: sequence(oid(OIDS.ecdsaWithSha256)), hash: 'sha256' };
  if (key.asymmetricKeyType === 'rsa') return { id: sequence(oid(OIDS.sha256WithRsa), nullValue()), hash: 'sha256' };
  throw new Error(`x509: unsupported signing key type ${key.asymmetricKeyType ?? 'unknown'}`);
}

/** A positive 128-bit serial (top bit cleared so the INTEGER needs no sign byte). */
export function randomSerial(): Buffer {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b;
}

/** Builds and signs one certificate. */
export function buildCertificate(spec: CertificateSpec): Certificate {
  const alg = signatureAlgorithm(spec.signingKey);
  const issuerPublic = spec.issuerPublicKey ?? (spec.issuer ? undefined : spec.publicKey);
  if (!issuerPublic) throw new Error('x509: issuerPublicKey is required with issuer');
  const exts: Buffer[] = [
    extension(OIDS.basicConstraints, true, spec.isCA ? sequence(boolean(true)) : sequence()),
    extension(OIDS.keyUsage, true, namedBits(spec.keyUsage)),
  ];
  if (spec.extKeyUsage?.length) exts.push(extension(OIDS.extKeyUsage, false, sequence(...spec.extKeyUsage.map((u) => oid(OIDS[u])))));
  const sans = [
    ...(spec.dnsNames ?? []).map((d) => implicitPrimitive(2, Buffer.from(d, 'ascii'))),
    ...(spec.ipAddresses ?? []).map((ip) => implicitPrimitive(7, ipBytes(ip))),
  ];
  if (sans.length) exts.push(extension(OIDS.subjectAltName, false, sequence(...sans)));
  exts.push(extension(OIDS.subjectKeyIdentifier, false, octetString(keyIdentifier(spec.publicKey))));
  exts.push(extension(OIDS.authorityKeyIdentifier, false, sequence(implicitPrimitive(0, keyIdentifier(issuerPublic)))));
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(spec.serial ?? randomSerial()),
    alg.id,
    name(spec.issuer ?? spec.subject),
    sequence(time(spec.notBefore), time(spec.notAfter)),
    name(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...exts)),
  );
  const signature = sign(alg.hash, tbs, spec.signingKey);
  const der = sequence(tbs, alg.id, bitString(signature));
  return { der, pem: toPem('CERTIFICATE', der) };
}

export function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** A fresh ECDSA P-256 key pair. */
export function newKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

/** PKCS#8 PEM of a private key (what kubeconfig `client-key-data` and TLS `key` accept). */
export const privateKeyPem = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();

export const publicKeyOf = (privateKey: KeyObject): KeyObject => createPublicKey(privateKey);
