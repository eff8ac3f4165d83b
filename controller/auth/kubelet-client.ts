/**
 * The link between the API server and the node agents' endpoint (`pods/log`, `pods/exec`), secured
 * as kube-apiserver and the kubelet do: the agent serves HTTPS and accepts only a client
 * certificate signed by the cluster CA for the API server's kubelet-client identity; the API
 * server mints that certificate from the CA at start and presents it on every request to an agent.
 *
 * The agent's serving certificate is ephemeral and self-signed (made at each start); the API
 * server does not verify it, as kube-apiserver does not verify kubelet serving certificates unless
 * `--kubelet-certificate-authority` is given (see SECURITY.md, known gaps).
 */
import { constants } from 'node:crypto';
import type https from 'node:https';
import type tls from 'node:tls';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../server/identity.js';
import { clientCertificateUser } from './authenticator.js';
import { issueCertificate, type Pki } from './pki.js';
import { buildCertificate, KEY_USAGE, newKeyPair, privateKeyPem } from './x509/certificate.js';

/** kube-apiserver's `--kubelet-client-certificate` identity (as kubeadm issues it). */
export const KUBELET_CLIENT = { user: 'kube-apiserver-kubelet-client', groups: ['system:masters'] } as const;

/** The API server's client credential for node agents (PEM). */
export interface KubeletClientCredential {
  cert: string;
  key: string;
}

/** Mints the API server's kubelet-client certificate from the cluster CA (at each server start). */
export function issueKubeletClientCredential(pki: Pick<Pki, 'caKey'>): KubeletClientCredential {
  const c = issueCertificate(pki, { commonName: KUBELET_CLIENT.user, organizations: [...KUBELET_CLIENT.groups], usage: 'client', days: 30 });
  return { cert: c.certPem, key: c.keyPem };
}

/** TLS options of a connection from the API server to a node agent. */
export function kubeletTlsOptions(cred: KubeletClientCredential): tls.ConnectionOptions {
  // The agent's serving certificate is self-signed: not verified (kube-apiserver's default).
  return { cert: cred.cert, key: cred.key, rejectUnauthorized: false, minVersion: 'TLSv1.2' };
}

/** The same for an HTTPS request (pods/log). */
export const kubeletRequestOptions = (cred: KubeletClientCredential): https.RequestOptions => kubeletTlsOptions(cred);

/**
 * TLS options of the agent's endpoint: a fresh self-signed serving certificate for `host`, and
 * client certificates required and verified against the cluster CA `caPem` (a connection without
 * one, or with one from another CA, fails in the handshake).
 */
export function kubeletServingOptions(caPem: string, host: string): https.ServerOptions {
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
  return {
    key: privateKeyPem(key.privateKey),
    cert: cert.pem,
    ca: caPem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    handshakeTimeout: 10_000,
    // the caller is checked per request from the connection's certificate: no renegotiation may change it
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
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
