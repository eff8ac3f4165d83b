/**
 * What `sextant server` calls to be secure by default: the PKI in the data dir, an HTTPS listener
 * factory (client certificates requested, verified against the CA), the authenticator, the
 * authorizer, node restriction, request limits, role credentials, and an administrator
 * credential for the in-process controllers. With `--insecure-http` (loopback only): plain HTTP
 * and every caller an administrator, as kube-apiserver's old insecure port.
 */
import { constants as cryptoConstants, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../daemon/logger.js';
import type { ApiClientOptions } from '../api/client.js';
import type { AdmissionHook } from '../server/admission.js';
import type { Authenticator, Authorizer } from '../server/identity.js';
import type { Store } from '../store/store.js';
import { createAuthenticator, insecureAuthenticator } from './authenticator.js';
import { staticAuthorizer } from './authorizer.js';
import { credentialKubeconfig, writeIdentityKubeconfig, writeRoleCredentials, ROLE_IDENTITIES, type Identity } from './credentials.js';
import { AuthError } from './errors.js';
import type { SecurityFlagValues } from './flags.js';
import { createGuard, type Guard } from './guard.js';
import type { UpgradeListener } from '../server/exec-proxy.js';
import { nodeRestriction } from './node-restriction.js';
import { ensurePki, issueCertificate, servingNames, type Pki } from './pki.js';
import { loadTokenFile } from './token-file.js';

export interface Security {
  scheme: 'http' | 'https';
  /** The listener factory for the TCP listener and the unix socket alike; `upgrade` (pods/exec) goes behind the guard too. */
  createServer(handler: http.RequestListener, upgrade?: UpgradeListener): http.Server;
  authenticate: Authenticator;
  authorize: Authorizer;
  admission: AdmissionHook[];
  /** Credentials for in-process clients (the controllers): CA and an administrator certificate. */
  loopbackClient: Partial<ApiClientOptions>;
  pki?: Pki;
  /** Writes the admin kubeconfig to `path` (when given) and the role credentials; returns what was written. */
  writeCredentials(serverUrl: string, path?: string): Record<string, string>;
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

export interface SecuritySetupOptions {
  flags: SecurityFlagValues;
  dataDir: string;
  listenHost: string;
  advertiseHost?: string;
  store: Store;
  log: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** Writes an unauthenticated kubeconfig (the plain-HTTP case). */
  writePlainKubeconfig: (path: string, server: string) => void;
}

/** Installs `upgrade` (pods/exec) on `server` behind the guard's per-user limit. */
function guarded(server: http.Server, guard: Guard, upgrade: UpgradeListener | undefined): http.Server {
  if (upgrade) server.on('upgrade', guard.wrapUpgrade(upgrade));
  return server;
}

export function setupSecurity(o: SecuritySetupOptions): Security {
  const limits = { maxWatchesPerUser: o.flags.maxWatchesPerUser, requestTimeoutMs: o.flags.requestTimeout };
  if (o.flags.insecureHttp) {
    if (!isLoopbackHost(o.listenHost)) {
      throw new AuthError('AUTH_INSECURE_LISTEN', `--insecure-http serves without authentication and is allowed only on a loopback address, not "${o.listenHost}" (drop --insecure-http to serve HTTPS)`);
    }
    const guard = createGuard({ authenticate: insecureAuthenticator, authorize: staticAuthorizer, ...limits });
    return {
      scheme: 'http',
      createServer: (h, upgrade) => guarded(http.createServer(guard.wrap(h)), guard, upgrade),
      authenticate: guard.authenticate,
      authorize: staticAuthorizer,
      admission: [],
      loopbackClient: {},
      writeCredentials: (url, path) => {
        if (path) o.writePlainKubeconfig(path, url);
        const written: Record<string, string> = {};
        if (path) written.kubeconfig = path;
        return written;
      },
    };
  }
  const pki = ensurePki(o.dataDir, servingNames({ listenHost: o.listenHost, ...(o.advertiseHost ? { advertiseHost: o.advertiseHost } : {}), extraSans: o.flags.tlsSan, serviceIP: '10.96.0.1' }), o.flags.caDir);
  const tokens = o.flags.tokenAuthFile ? loadTokenFile(o.flags.tokenAuthFile) : undefined;
  const authn = createAuthenticator({ ...(tokens ? { tokens } : {}), serviceAccountKey: pki.serviceAccountKey, onReject: (reason) => o.log.debug('authentication failed', { reason }) });
  const guard = createGuard({ authenticate: authn, authorize: staticAuthorizer, ...limits, tokens: { key: pki.serviceAccountKey, store: o.store } });
  const tlsOptions: https.ServerOptions = {
    key: pki.servingKeyPem,
    cert: pki.servingCertPem,
    ca: pki.caCertPem,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.2',
    handshakeTimeout: 10_000,
    // The authenticator reads a connection's client certificate once; no renegotiation may change it.
    secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
  };
  const controllerCert = issueCertificate(pki, { commonName: 'system:kube-controller-manager', organizations: ['system:masters'], usage: 'client', days: 30 });
  return {
    scheme: 'https',
    createServer: (h, upgrade) => guarded(https.createServer(tlsOptions, guard.wrap(h)) as unknown as http.Server, guard, upgrade),
    authenticate: guard.authenticate,
    authorize: staticAuthorizer,
    admission: [nodeRestriction],
    loopbackClient: { ca: pki.caCertPem, cert: controllerCert.certPem, key: controllerCert.keyPem },
    pki,
    writeCredentials: (url, path) => {
      const servers = o.flags.kubeconfigServers.length > 0 ? { server: url, servers: o.flags.kubeconfigServers } : url;
      const written = writeRoleCredentials(pki, o.dataDir, servers, o.flags.nodeCredentials);
      if (path) {
        writeIdentityKubeconfig(pki, path, servers, { user: ROLE_IDENTITIES.admin.user, groups: [...ROLE_IDENTITIES.admin.groups] });
        written.kubeconfig = path;
      }
      return written;
    },
  };
}

/**
 * For tools next to the server (the local cluster): a kubeconfig for `id` signed by the CA of the
 * server whose data dir is `dataDir` (the PKI must exist: the server made it at first start).
 */
export function kubeconfigFromDataDir(dataDir: string, server: string, id: Identity): string {
  const dir = join(dataDir, 'pki');
  let caKey;
  let caCertPem: string;
  try {
    caKey = createPrivateKey(readFileSync(join(dir, 'ca.key')));
    caCertPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
  } catch (err) {
    throw new AuthError('AUTH_PKI', `cannot read the cluster CA in ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const cert = issueCertificate({ caKey }, { commonName: id.user, organizations: id.groups, usage: 'client' });
  return credentialKubeconfig({ server, caPem: caCertPem, user: id.user, cert });
}
