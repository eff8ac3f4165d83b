/** The security flags of `sextant server`, spread into its flag specs. */
import { z } from 'zod';
import { flagTypes } from '../../daemon/flags.js';

export const securityFlags = {
  'insecure-http': {
    help: 'serve plain HTTP without authentication (every caller is an administrator); only on a loopback address',
    schema: z.boolean().default(false),
    boolean: true,
  },
  'ca-dir': {
    help: 'directory of the cluster CA and service-account key (ca.crt, ca.key, sa.key), created by the first server; API servers sharing it accept each other\'s credentials (default DATA-DIR/pki)',
    schema: z.string().min(1, 'must not be empty').optional(),
  },
  'kubeconfig-servers': {
    help: 'every API server URL of the cluster, listed in the kubeconfigs this server writes (HTTPS) so clients fail over between them (comma-separated; default: this server only)',
    schema: flagTypes.list().pipe(z.array(z.string().regex(/^https:\/\/\S+$/, 'must be https:// URLs'))).default([]),
  },
  'tls-san': { help: 'extra DNS names or IP addresses for the serving certificate (comma-separated)', schema: flagTypes.list().default([]) },
  'token-auth-file': { help: 'static bearer tokens, CSV lines: token,user,uid,"group1,group2"', schema: z.string().min(1, 'must not be empty').optional() },
  'node-credentials': { help: 'write a node kubeconfig (credentials/node-NAME.kubeconfig) for each of these node names (comma-separated)', schema: flagTypes.list().default([]) },
  'max-watches-per-user': { help: 'concurrent long-running requests (watch streams and exec sessions) one user may hold', schema: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').default(100) },
  'request-timeout': { help: 'non-watch requests answer 504 after this', schema: flagTypes.duration().prefault('60s') },
};

export interface SecurityFlagValues {
  insecureHttp: boolean;
  caDir?: string | undefined;
  kubeconfigServers: string[];
  tlsSan: string[];
  tokenAuthFile?: string | undefined;
  nodeCredentials: string[];
  maxWatchesPerUser: number;
  requestTimeout: number;
}
