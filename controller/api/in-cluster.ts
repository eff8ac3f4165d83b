/**
 * In-cluster configuration, as client-go's `rest.InClusterConfig`: a process started by a node
 * agent finds the API server in `KUBERNETES_SERVICE_HOST`/`KUBERNETES_SERVICE_PORT` (the service
 * variables of the `kubernetes` Service) and its credential in the service-account directory the
 * agent mounts (`token`, `ca.crt`, `namespace`). The token is re-read when it rotates.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { KubeconfigError } from './errors.js';
import type { ConnectionConfig } from './kubeconfig.js';

/** Where Kubernetes mounts a pod's service-account token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** True when the process looks like it runs in a pod: the service variables and a token file. */
export function inClusterAvailable(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(`${dir}/token`));
}

/** The connection of an in-cluster client; throws KubeconfigError naming what is missing. */
export function inClusterConfig(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): ConnectionConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new KubeconfigError('in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set');
  if (!/^\d{1,5}$/.test(port)) throw new KubeconfigError(`in-cluster: KUBERNETES_SERVICE_PORT: must be a port number, got "${port}"`);
  const read = (name: string): string | undefined => {
    try {
      return readFileSync(`${dir}/${name}`, 'utf8');
    } catch {
      return undefined;
    }
  };
  const token = read('token')?.trim();
  if (!token) throw new KubeconfigError(`in-cluster: cannot read ${dir}/token`);
  const ca = read('ca.crt');
  const namespace = read('namespace')?.trim();
  return {
    server: `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`,
    token,
    tokenFile: `${dir}/token`,
    ...(ca ? { ca } : {}),
    namespace: namespace || 'default',
  };
}
