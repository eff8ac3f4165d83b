/**
 * The link between the API server and the node agents' endpoint (`pods/log`, `pods/exec`), secured
 * both ways as kube-apiserver and the kubelet do with `--kubelet-certificate-authority`:
 *
 * - the agent serves HTTPS and accepts only a client certificate signed by the cluster CA for the
 *   API server's kubelet-client identity; the API server mints that certificate from the CA at
 *   start and presents it on every request to an agent;
 * - the agent's serving certificate is signed by the cluster CA for the node (CN
 *   `system:node:<node>`, O `system:nodes`, serverAuth, DNS SAN = the node name), minted with the
 *   node's credential (`sextant server --node-credentials`, files next to its kubeconfig) and
 *   given to the agent with `--tls-cert-file`/`--tls-private-key-file`. The API server verifies
 *   it against the cluster CA and the name of the pod's node and refuses any other certificate —
 *   self-signed, another CA's, another node's — with a message saying which.
 *
 * An agent started without a serving certificate serves a self-signed one, which the API server
 * refuses with a message saying so.
 */
import { constants } from 'node:crypto';
import { join } from 'node:path';
import type https from 'node:https';
import tls from 'node:tls';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../server/identity.js';
import { clientCertificateUser } from './authenticator.js';
import { issueCertificate, writeSecretFile, type Pki } from './pki.js';
import { buildCertificate, KEY_USAGE, newKeyPair, privateKeyPem } from './x509/certificate.js';

/** kube-apiserver's `--kubelet-client-certificate` identity (as kubeadm issues it). */
export const KUBELET_CLIENT = { user: 'kube-apiserver-kubelet-client', groups: ['system:masters'] } as const;

/** The API server's client credential for node agents (PEM), and the CA their serving certificates must chain to. */
export interface KubeletClientCredential {
  cert: string;
  key: string;
  /** The cluster CA (PEM): an agent's serving certificate is verified against it. */
  ca: string;
}

/** Mints the API server's kubelet-client certificate from the cluster CA (at each server start). */
export function issueKubeletClientCredential(pki: Pick<Pki, 'caKey' | 'caCertPem'>): KubeletClientCredential {
  const c = issueCertificate(pki, { commonName: KUBELET_CLIENT.user, organizations: [...KUBELET_CLIENT.groups], usage: 'client', days: 30 });
  return { cert: c.certPem, key: c.keyPem, ca: pki.caCertPem };
}

/** A node agent's serving credential (PEM). */
export interface KubeletServingCredential {
  cert: string;
  key: string;
}

/** The subject a node agent's serving certificate carries (as a kubelet serving certificate). */
export const kubeletServingCommonName = (node: string): string => `system:node:${node}`;

/** Mints node `node`'s agent serving certificate from the cluster CA: DNS SAN = the node name, plus `ips`. */
export function issueKubeletServingCredential(pki: Pick<Pki, 'caKey'>, node: string, ips: readonly string[] = []): KubeletServingCredential {
  const c = issueCertificate(pki, { commonName: kubeletServingCommonName(node), organizations: ['system:nodes'], usage: 'server', names: { dnsNames: [node], ipAddresses: [...ips] } });
  return { cert: c.certPem, key: c.keyPem };
}

/** Where `--node-credentials` writes node `node`'s agent serving certificate and key (next to its kubeconfig). */
export const kubeletServingFiles = (credentialsDir: string, node: string): { cert: string; key: string } => ({
  cert: join(credentialsDir, `node-${node}-serving.crt`),
  key: join(credentialsDir, `node-${node}-serving.key`),
});

/** Writes node `node`'s agent serving certificate (0644) and key (0600) into `credentialsDir`. */
export function writeKubeletServingCredential(pki: Pick<Pki, 'caKey'>, credentialsDir: string, node: string): { cert: string; key: string } {
  const files = kubeletServingFiles(credentialsDir, node);
  const c = issueKubeletServingCredential(pki, node);
  writeSecretFile(files.key, c.key);
  writeSecretFile(files.cert, c.cert, 0o644);
  return files;
}

const NOT_THIS_NODE = 'SX_KUBELET_NOT_THIS_NODE';

/**
 * Whether `cert` (already verified against the cluster CA by the handshake) is node `node`'s agent
 * certificate: a DNS SAN naming the node. Returns the reason it is not, or undefined.
 */
export function checkKubeletServingIdentity(node: string, cert: tls.PeerCertificate): Error | undefined {
  if (!tls.checkServerIdentity(node, cert)) return undefined;
  const names = cert.subjectaltname || `CN=${cert.subject?.CN ?? '?'}`;
  return Object.assign(new Error(`it presented a certificate for ${names}, not for node "${node}"`), { code: NOT_THIS_NODE });
}

/**
 * TLS options of a connection from the API server to the agent of node `node`: mTLS, the agent's
 * certificate verified against the cluster CA and the node name (also sent as SNI, which keeps
 * pooled connections of different nodes apart).
 */
export function kubeletTlsOptions(cred: KubeletClientCredential, node: string): tls.ConnectionOptions {
  return {
    cert: cred.cert,
    key: cred.key,
    ca: cred.ca,
    rejectUnauthorized: true,
    servername: node,
    minVersion: 'TLSv1.2',
    checkServerIdentity: (_host, cert) => checkKubeletServingIdentity(node, cert),
  };
}

/** The same for an HTTPS request (pods/log). */
export const kubeletRequestOptions = (cred: KubeletClientCredential, node: string): https.RequestOptions => kubeletTlsOptions(cred, node);

/** OpenSSL's codes for a peer certificate the trusted CA did not sign. */
const UNTRUSTED = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED']);

/**
 * A connection error to node `node`'s agent as a sentence: a serving certificate the cluster CA did
 * not sign, or one for another node, is named as such; anything else is "not reachable".
 */
export function kubeletConnectError(err: Error & { code?: string }, node: string, where: string): string {
  if (err.code && UNTRUSTED.has(err.code))
    return `the node agent of "${node}" at ${where} presented a serving certificate the cluster CA did not sign (${err.code}: ${err.message}); refused`;
  if (err.code === NOT_THIS_NODE) return `the node agent of "${node}" at ${where} is not that node's agent: ${err.message}; refused`;
  if (err.code === 'CERT_HAS_EXPIRED' || err.code === 'CERT_NOT_YET_VALID') return `the node agent of "${node}" at ${where} presented a serving certificate outside its validity (${err.code}); refused`;
  return `the node agent of "${node}" at ${where} is not reachable: ${err.message}`;
}

/**
 * TLS options of the agent's endpoint: the node's serving certificate of the cluster CA (`serving`;
 * without one a fresh self-signed certificate for `host`, which API servers refuse), and client
 * certificates required and verified against the cluster CA `caPem` (a connection without one, or
 * with one from another CA, fails in the handshake).
 */
export function kubeletServingOptions(caPem: string, host: string, serving?: KubeletServingCredential): https.ServerOptions {
  const own = serving ?? selfSigned(host);
  return {
    key: own.key,
    cert: own.cert,
    ca: caPem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    handshakeTimeout: 10_000,
    // the caller is checked per request from the connection's certificate: no renegotiation may change it
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
}

function selfSigned(host: string): KubeletServingCredential {
  const key = newKeyPair();
  const now = Date.now();
  const isIp = /^[\d.]+$/.test(host) || host.includes(':');
  const cert = buildCertificate({
    subject: { commonName: `sextant-agent@${host}` },
    publicKey: key.publicKey,
    signingKey: key.privateKey,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 365 * 86_400_000),
    keyUsage: [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment],
    extKeyUsage: ['serverAuth'],
    ...(isIp ? { ipAddresses: [host] } : { dnsNames: [host] }),
  });
  return { key: privateKeyPem(key.privateKey), cert: cert.pem };
}

/**
 * Whether the caller on this TLS connection is the API server: a verified client certificate for
 * the kubelet-client identity. Any other identity of the cluster (a node, an administrator) is
 * refused: only the API server, which authorizes `pods/log` and `pods/exec` itself, may ask.
 */
export function kubeletCaller(socket: TLSSocket): { ok: true; user: UserInfo } | { ok: false; code: 401 | 403; reason: string } {
  const user = clientCertificateUser(socket);
  if (!user) return { ok: false, code: 401, reason: 'Unauthorized: a client certificate of the cluster CA is required' };
  if (user.name !== KUBELET_CLIENT.user) return { ok: false, code: 403, reason: `Forbidden: user "${user.name}" may not use the node agent's endpoint (only ${KUBELET_CLIENT.user})` };
  return { ok: true, user };
}
