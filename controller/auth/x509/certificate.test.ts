import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildCertificate, KEY_USAGE, newKeyPair, publicKeyOf } from './certificate.js';
import { integer, namedBits, oid, time, tlv } from './der.js';

const hex = (b: Buffer) => b.toString('hex');

test('DER primitives encode as X.690 specifies', () => {
  const cases: [string, Buffer, string][] = [
    ['OID rsadsi', oid('1.2.840.113549'), '06062a864886f70d'],
    ['OID commonName', oid('2.5.4.3'), '0603550403'],
    ['INTEGER 0', integer(0), '020100'],
    ['INTEGER 127', integer(127), '02017f'],
    ['INTEGER 128 needs a sign byte', integer(128), '02020080'],
    ['INTEGER 256', integer(256), '02020100'],
    ['INTEGER strips leading zeros', integer(Buffer.from([0, 0, 5])), '020105'],
    ['KeyUsage CA bits 0,5,6', namedBits([0, 5, 6]), '03020186'],
    ['KeyUsage digitalSignature', namedBits([0]), '03020780'],
    ['KeyUsage bit 8 spans two bytes', namedBits([0, 8]), '0303078080'],
    ['UTCTime before 2050', time(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), '170d3234303130323033303430355a'],
    ['GeneralizedTime from 2050', time(new Date(Date.UTC(2050, 0, 1))), '180f32303530303130313030303030305a'],
  ];
  for (const [name, got, want] of cases) assert.equal(hex(got), want, name);
  assert.equal(hex(tlv(0x04, Buffer.alloc(200))).slice(0, 6), '0481c8', 'long form length');
  assert.equal(hex(tlv(0x04, Buffer.alloc(300))).slice(0, 8), '0482012c', 'two length bytes');
});

function chain() {
  const ca = newKeyPair();
  const now = Date.now();
  const caCert = buildCertificate({
    subject: { commonName: 'sextant-ca' },
    publicKey: ca.publicKey,
    signingKey: ca.privateKey,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 10 * 365 * 86400_000),
    isCA: true,
    keyUsage: [KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign],
  });
  const leaf = newKeyPair();
  const leafCert = buildCertificate({
    subject: { commonName: 'jane', organizations: ['dev', 'system:masters'] },
    publicKey: leaf.publicKey,
    issuer: { commonName: 'sextant-ca' },
    issuerPublicKey: ca.publicKey,
    signingKey: ca.privateKey,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 365 * 86400_000),
    keyUsage: [KEY_USAGE.digitalSignature],
    extKeyUsage: ['serverAuth', 'clientAuth'],
    dnsNames: ['localhost', 'kubernetes.default.svc'],
    ipAddresses: ['127.0.0.1', '10.96.0.1', '::1', 'fd00::1:2'],
  });
  return { ca, caCert, leaf, leafCert };
}

test('a CA and a leaf certificate parse, verify and carry what was asked', () => {
  const { ca, caCert, leafCert } = chain();
  const c = new X509Certificate(caCert.pem);
  assert.equal(c.ca, true);
  assert.equal(c.subject, 'CN=sextant-ca');
  assert.ok(c.verify(ca.publicKey), 'self-signature verifies');
  const l = new X509Certificate(leafCert.pem);
  assert.equal(l.ca, false);
  assert.ok(l.verify(publicKeyOf(ca.privateKey)), 'leaf signed by the CA');
  assert.ok(l.checkIssued(c));
  assert.equal(l.subject, 'O=dev\nO=system:masters\nCN=jane');
  assert.equal(l.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(l.checkIP('10.96.0.1'), '10.96.0.1');
  assert.equal(l.checkIP('::1'), '::1');
  assert.equal(l.checkIP('10.96.0.2'), undefined);
  assert.equal(l.checkHost('kubernetes.default.svc'), 'kubernetes.default.svc');
  assert.equal(l.checkHost('evil.example'), undefined);
  assert.deepEqual(l.keyUsage, ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
  assert.match(l.subjectAltName ?? '', /IP Address:FD00:0:0:0:0:0:1:2/i);
  assert.equal(l.serialNumber.length, 32);
});

test('openssl verifies the chain and parses every extension', () => {
  const { caCert, leafCert } = chain();
  const dir = mkdtempSync(join(tmpdir(), 'sx-x509-'));
  try {
    writeFileSync(join(dir, 'ca.crt'), caCert.pem);
    writeFileSync(join(dir, 'leaf.crt'), leafCert.pem);
    const out = execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), '-purpose', 'sslserver', join(dir, 'leaf.crt')]).toString();
    assert.match(out, /leaf\.crt: OK/);
    const text = execFileSync('openssl', ['x509', '-in', join(dir, 'leaf.crt'), '-noout', '-text']).toString();
    assert.match(text, /Digital Signature/);
    assert.match(text, /CA:FALSE/);
    assert.match(text, /TLS Web Client Authentication/);
    assert.match(text, /X509v3 Authority Key Identifier/);
    const caText = execFileSync('openssl', ['x509', '-in', join(dir, 'ca.crt'), '-noout', '-text']).toString();
    assert.match(caText, /CA:TRUE/);
    assert.match(caText, /Certificate Sign, CRL Sign/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
