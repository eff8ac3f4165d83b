/**
 * The request authenticator `sextant server` plugs into the API server's identity seam. In
 * order: a bearer token (a service-account JWT, else the static token file), else a TLS client
 * certificate that chains to the cluster CA and allows client authentication (user = CN,
 * groups = O). Wrong credentials, and no credentials outside the public paths, answer null (401).
 * Anonymous callers of `/healthz`, `/livez`, `/readyz` and `/version` are `system:anonymous`.
 */
import type http from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Authenticator, UserInfo } from '../server/identity.js';
import { looksLikeJwt, verifyServiceAccountToken } from './service-account-token.js';
import { tokenDigest, type TokenTable } from './token-file.js';

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);

/** Paths an unauthenticated caller may reach (health subpaths included, as Kubernetes does). */
export function isPublicPath(url: string | undefined): boolean {
  const path = (url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
  if (PUBLIC_PATHS.has(path)) return true;
  return /^\/(healthz|livez|readyz)\/[\w-]+$/.test(path);
}

export interface AuthenticatorOptions {
  tokens?: TokenTable;
  serviceAccountKey?: KeyObject;
  /** Called with the reason a presented credential was refused (logged at debug). */
  onReject?: (reason: string) => void;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/** The user of a verified client certificate on this TLS connection, or undefined. */
export function clientCertificateUser(socket: TLSSocket): UserInfo | undefined | null {
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  if (!socket.authorized) return null;
  if (peer.ext_key_usage && !peer.ext_key_usage.includes(CLIENT_AUTH)) return null;
  const cn = peer.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (!name) return null;
  const o = peer.subject?.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { name, groups: [...groups, 'system:authenticated'] };
}

export function createAuthenticator(o: AuthenticatorOptions): Authenticator {
  // A connection's client certificate is fixed once its handshake is done (the server refuses
  // renegotiation), so it is read and parsed once per connection, not once per request.
  const certUsers = new WeakMap<object, UserInfo | undefined | null>();
  const certUser = (socket: TLSSocket): UserInfo | undefined | null => {
    if (certUsers.has(socket)) return certUsers.get(socket);
    const user = clientCertificateUser(socket);
    certUsers.set(socket, user);
    return user;
  };
  return (req: http.IncomingMessage) => {
    const header = req.headers.authorization;
    if (header !== undefined) {
      const m = /^Bearer +([^\s]+) *$/i.exec(header);
      if (!m) {
        o.onReject?.('unsupported Authorization scheme');
        return null;
      }
      const token = m[1]!;
      if (o.serviceAccountKey && looksLikeJwt(token)) {
        const sa = verifyServiceAccountToken(o.serviceAccountKey, token);
        if (sa) return { name: sa.name, groups: sa.groups };
      }
      const u = o.tokens?.get(tokenDigest(token));
      if (u) return { name: u.name, groups: u.groups };
      o.onReject?.('invalid bearer token');
      return null;
    }
    const cert = certUser(req.socket as TLSSocket);
    if (cert) return cert;
    if (cert === null) {
      o.onReject?.('client certificate not valid for this cluster');
      return null;
    }
    return isPublicPath(req.url) ? ANONYMOUS : null;
  };
}

/** `--insecure-http`: like kube-apiserver's old insecure port, every caller is an administrator. */
export const insecureAuthenticator: Authenticator = () => ({ name: 'system:unsecured', groups: ['system:masters', 'system:authenticated'] });
