/**
 * Kubeconfig loading: the standard file format (clusters, users, contexts, current-context), so
 * every daemon connects to Sextant's server or a real kube-apiserver the same way kubectl does.
 *
 * Several API servers: a cluster may list every server of an HA control plane in an extension
 * (kubectl ignores it and uses `server`; Sextant's daemons fail over between all of them):
 *
 *   clusters:
 *   - name: sextant
 *     cluster:
 *       server: https://10.0.0.1:6443
 *       extensions:
 *       - name: sextant.io/servers
 *         extension: { servers: [https://10.0.0.1:6443, https://10.0.0.2:6443] }
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { KubeconfigError } from './errors.js';
import { inClusterAvailable, inClusterConfig } from './in-cluster.js';

const kubeconfigSchema = z.looseObject({
  'current-context': z.string().optional(),
  clusters: z.array(z.looseObject({ name: z.string(), cluster: z.looseObject({
      server: z.string(),
      'certificate-authority': z.string().optional(),
      'certificate-authority-data': z.string().optional(),
      'insecure-skip-tls-verify': z.boolean().optional(),
      'tls-server-name': z.string().optional(),
      extensions: z.array(z.looseObject({ name: z.string(), extension: z.unknown() })).optional(),
    }) })).optional(),
  users: z.array(z.looseObject({ name: z.string(), user: z
      .looseObject({
        token: z.string().optional(),
        tokenFile: z.string().optional(),
        'client-certificate': z.string().optional(),
        'client-certificate-data': z.string().optional(),
        'client-key': z.string().optional(),
        'client-key-data': z.string().optional(),
        username: z.string().optional(),
        password: z.string().optional(),
      })
      .nullable().optional() })).optional(),
  contexts: z.array(z.looseObject({
    name: z.string(),
    context: z.looseObject({ cluster: z.string(), user: z.string().optional(), namespace: z.string().optional() }),
  })).optional(),
});
type KubeconfigFile = z.infer<typeof kubeconfigSchema>;

/** The cluster extension that lists every API server of an HA control plane. */
export const SERVERS_EXTENSION = 'sextant.io/servers';
const serversExtensionSchema = z.looseObject({ servers: z.array(z.string()).min(1, 'must list at least one server') });

/** What a client needs to reach one API server, resolved from a kubeconfig context. */
export interface ConnectionConfig {
  server: string;
  /** Further servers of the same cluster to fail over to (the `sextant.io/servers` extension). */
  servers?: string[];
  token?: string;
  /** PEM text of the CA bundle. */
  ca?: string;
  /** PEM text of the client certificate and key. */
  cert?: string;
  key?: string;
  insecureSkipTLSVerify?: boolean;
  tlsServerName?: string;
  username?: string;
  password?: string;
  /** The context's default namespace (`default` when unset). */
  namespace: string;
  /** Where a tokenFile lives, so the token can be re-read when it rotates. */
  tokenFile?: string;
}

/** The kubeconfig path kubectl would use: `$KUBECONFIG` (first entry) or `~/.kube/config`. */
export function defaultKubeconfigPath(): string {
  const env = process.env.KUBECONFIG;
  if (env) {
    const first = env.split(delimiter).find((p) => p !== '');
    if (first) return first;
  }
  return join(homedir(), '.kube', 'config');
}

function readFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new KubeconfigError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Parses kubeconfig text; `baseDir` resolves relative file references (as kubectl does). */
export function parseKubeconfig(text: string, baseDir: string, opts: { context?: string } = {}): ConnectionConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new KubeconfigError(`not valid YAML: ${(err as Error).message}`);
  }
  const r = kubeconfigSchema.safeParse(doc ?? {});
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new KubeconfigError(`${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const cfg: KubeconfigFile = r.data;
  const contextName = opts.context ?? cfg['current-context'];
  if (!contextName) throw new KubeconfigError('no current-context is set');
  const context = cfg.contexts?.find((c) => c.name === contextName)?.context;
  if (!context) throw new KubeconfigError(`context "${contextName}" not found`);
  const cluster = cfg.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new KubeconfigError(`cluster "${context.cluster}" of context "${contextName}" not found`);
  const user = context.user ? cfg.users?.find((u) => u.name === context.user)?.user ?? undefined : undefined;
  if (context.user && user === undefined && !cfg.users?.some((u) => u.name === context.user)) {
    throw new KubeconfigError(`user "${context.user}" of context "${contextName}" not found`);
  }
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const fromData = (data: string) => Buffer.from(data, 'base64').toString('utf8');
  if (!/^https?:\/\//.test(cluster.server)) throw new KubeconfigError(`cluster "${context.cluster}": server must be an http:// or https:// URL, got "${cluster.server}"`);
  const out: ConnectionConfig = { server: cluster.server.replace(/\/+$/, ''), namespace: context.namespace ?? 'default' };
  const listed = cluster.extensions?.find((e) => e.name === SERVERS_EXTENSION);
  if (listed) {
    const ext = serversExtensionSchema.safeParse(listed.extension);
    if (!ext.success) throw new KubeconfigError(`cluster "${context.cluster}": extension ${SERVERS_EXTENSION}: servers: ${ext.error.issues[0]?.message ?? 'invalid'}`);
    const bad = ext.data.servers.find((u) => !/^https?:\/\//.test(u));
    if (bad !== undefined) throw new KubeconfigError(`cluster "${context.cluster}": extension ${SERVERS_EXTENSION}: server must be an http:// or https:// URL, got "${bad}"`);
    const others = ext.data.servers.map((u) => u.replace(/\/+$/, '')).filter((u) => u !== out.server);
    if (others.length > 0) out.servers = [...new Set(others)];
  }
  if (cluster['certificate-authority-data']) out.ca = fromData(cluster['certificate-authority-data']);
  else if (cluster['certificate-authority']) out.ca = readFile(abs(cluster['certificate-authority']), 'certificate-authority');
  if (cluster['insecure-skip-tls-verify']) out.insecureSkipTLSVerify = true;
  if (cluster['tls-server-name']) out.tlsServerName = cluster['tls-server-name'];
  if (user) {
    if (user.token) out.token = user.token;
    else if (user.tokenFile) {
      out.tokenFile = abs(user.tokenFile);
      out.token = readFile(out.tokenFile, 'tokenFile').trim();
    }
    if (user['client-certificate-data']) out.cert = fromData(user['client-certificate-data']);
    else if (user['client-certificate']) out.cert = readFile(abs(user['client-certificate']), 'client-certificate');
    if (user['client-key-data']) out.key = fromData(user['client-key-data']);
    else if (user['client-key']) out.key = readFile(abs(user['client-key']), 'client-key');
    if ((out.cert === undefined) !== (out.key === undefined)) {
      throw new KubeconfigError(`user "${context.user}": client certificate and key must be given together`);
    }
    if (user.username !== undefined) out.username = user.username;
    if (user.password !== undefined) out.password = user.password;
  }
  return out;
}

/**
 * Loads a kubeconfig file (default: `$KUBECONFIG` or `~/.kube/config`). With no path and no
 * `$KUBECONFIG`, a process in a pod (service variables set, a mounted token) uses the in-cluster
 * config instead, as client-go's daemons do: pods share the host's file system, so the host's
 * `~/.kube/config` must not become every pod's credential.
 */
export function loadKubeconfig(path?: string, opts: { context?: string } = {}): ConnectionConfig {
  const p = path ?? defaultKubeconfigPath();
  if (path === undefined && !process.env.KUBECONFIG && inClusterAvailable()) return inClusterConfig();
  return parseKubeconfig(readFile(p, 'kubeconfig'), dirname(resolve(p)), opts);
}
