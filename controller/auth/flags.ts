/** The security flags of `sextant server`, spread into its flag specs. */
import { z } from 'zod';
import { flagTypes } from '../../daemon/flags.js';

export const securityFlags = {
  'insecure-http': {
    help: 'serve plain HTTP without authentication (every caller is an administrator); only on a loopback address',
    schema: z.boolean().default(false),
    boolean: true,
  },
  'tls-san': { help: 'extra DNS names or IP addresses for the serving certificate (comma-separated)', schema: flagTypes.list().default([]) },
  'token-auth-file': { help: 'static bearer tokens, CSV lines: token,user,uid,"group1,group2"', schema: z.string().min(1, 'must not be empty').optional() },
  'node-credentials': { help: 'write a node kubeconfig (credentials/node-NAME.kubeconfig) for each of these node names (comma-separated)', schema: flagTypes.list().default([]) },
  'max-watches-per-user': { help: 'concurrent watch streams one user may hold', schema: z.coerce.number().int('must be an integer').min(1, 'must be at least 1').default(100) },
  'request-timeout': { help: 'non-watch requests answer 504 after this', schema: flagTypes.duration().prefault('60s') },
};

export interface SecurityFlagValues {
  insecureHttp: boolean;
  tlsSan: string[];
  tokenAuthFile?: string | undefined;
  nodeCredentials: string[];
  maxWatchesPerUser: number;
  requestTimeout: number;
}
