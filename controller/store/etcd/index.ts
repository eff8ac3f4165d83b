/**
 * `openEtcdStore`: the Store on an etcd v3 cluster, for control planes with several API
 * servers. See etcd-store.ts for the mapping and README.md (in ../) for the semantics.
 */
import { readFileSync } from 'node:fs';
import { Etcd3, type IOptions } from 'etcd3';
import { z } from 'zod';
import { StoreError } from '../errors.js';
import type { HistoryWindow } from '../core/history.js';
import type { Store } from '../store.js';
import { EtcdStore } from './etcd-store.js';
import { EtcdKvClient } from './etcd-kv-client.js';

export interface EtcdTlsFiles {
  /** CA bundle that signed the etcd server certificates. */
  caFile: string;
  /** Client certificate and key, when etcd requires client authentication. */
  certFile?: string;
  keyFile?: string;
}

export interface EtcdStoreOptions {
  /** Client URLs of the members (`http://host:2379`, or `https://` with `tls`). */
  endpoints: string[];
  tls?: EtcdTlsFiles;
  /** Every key is stored under this prefix (default `/sextant`); several clusters can share etcd. */
  prefix?: string;
  /** Upper bound of every request; on quorum loss callers get `Unavailable` after it. Default 5 s. */
  requestTimeoutMs?: number;
  /** History kept for watches and continue tokens (as the SQLite store's); default 1000 revisions / 5 min, checked every 30 s. */
  history?: HistoryWindow;
  /**
   * One etcd watch per key range shared by every watch of that range (default true); false gives
   * each watch its own etcd watch (for comparison).
   */
  shareWatches?: boolean;
  /**
   * The member (one of `endpoints`) unary calls go to while it answers, failing over to the
   * others (etcd-kv-client.ts). Default: the raft leader, looked up with Maintenance/Status and
   * again after a term change or a failure (no follower-to-leader forwarding of writes).
   */
  preferredEndpoint?: string;
  onBackgroundError?: (err: Error) => void;
}

const optionsSchema = z.object({
  endpoints: z
    .array(z.string().regex(/^https?:\/\/[^/\s]+\/?$/, 'must be http://HOST:PORT or https://HOST:PORT'))
    .min(1, 'needs at least one endpoint'),
  tls: z.object({ caFile: z.string().min(1), certFile: z.string().min(1).optional(), keyFile: z.string().min(1).optional() }).optional(),
  prefix: z.string().regex(/^\/[^\0]*$/, 'must start with "/" and contain no NUL').refine((p) => !p.endsWith('/'), 'must not end in "/"').default('/sextant'),
  requestTimeoutMs: z.number().int().min(100).max(600_000).default(5000),
  history: z.object({ revisions: z.number().int().min(0).optional(), ageMs: z.number().int().min(0).optional(), intervalMs: z.number().int().min(0).optional() }).optional(),
  shareWatches: z.boolean().default(true),
  preferredEndpoint: z.string().optional(),
});

/** A watch-stream reconnect backoff in the shape etcd3 expects: 100 ms doubling to 2 s. */
function watchBackoff(duration = 100): NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']> {
  return { duration, next: () => watchBackoff(Math.min(duration * 2, 2000)) };
}

/**
 * Connects to etcd and returns the Store. Does not wait for the cluster: the first call fails
 * with `Unavailable` (after the request timeout) when no member answers. Bad options →
 * `BadRequest` naming the field; unreadable TLS files → `BadRequest` naming the file.
 */
export async function openEtcdStore(opts: EtcdStoreOptions): Promise<Store> {
  const parsed = optionsSchema.safeParse(opts);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StoreError('BadRequest', `etcd options ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const o = parsed.data;
  const read = (field: string, path: string | undefined): Buffer | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new StoreError('BadRequest', `etcd options tls.${field}: cannot read ${path}: ${(err as Error).message}`);
    }
  };
  let credentials: IOptions['credentials'];
  let memberTls: { ca: Buffer; cert?: Buffer; key?: Buffer } | undefined;
  if (o.tls) {
    const certChain = read('certFile', o.tls.certFile);
    const privateKey = read('keyFile', o.tls.keyFile);
    if ((certChain === undefined) !== (privateKey === undefined)) throw new StoreError('BadRequest', 'etcd options tls: certFile and keyFile go together');
    const rootCertificate = read('caFile', o.tls.caFile)!;
    credentials = { rootCertificate, ...(certChain ? { certChain } : {}), ...(privateKey ? { privateKey } : {}) };
    memberTls = { ca: rootCertificate, ...(certChain ? { cert: certChain } : {}), ...(privateKey ? { key: privateKey } : {}) };
  }
  const hosts = o.endpoints.map((e) => e.replace(/\/$/, ''));
  let preferred: string | undefined;
  if (o.preferredEndpoint !== undefined) {
    preferred = o.preferredEndpoint.replace(/\/$/, '');
    if (!hosts.includes(preferred)) throw new StoreError('BadRequest', `etcd options preferredEndpoint: ${o.preferredEndpoint} is not one of the endpoints`);
  }
  // etcd3 (@grpc/grpc-js) for watches; the unary calls go through EtcdKvClient (our own HTTP/2 client, h2/).
  const client = new Etcd3({
    hosts,
    ...(credentials ? { credentials } : {}),
    dialTimeout: o.requestTimeoutMs,
    faultHandling: { watchBackoff: watchBackoff() },
    grpcOptions: { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5000 },
  });
  const kv = new EtcdKvClient({ endpoints: hosts, ...(memberTls ? { tls: memberTls } : {}), ...(preferred !== undefined ? { preferred } : {}) });
  return new EtcdStore({
    client,
    kv,
    prefix: o.prefix,
    requestTimeoutMs: o.requestTimeoutMs,
    ...(o.history ? { history: o.history } : {}),
    shareWatches: o.shareWatches,
    ...(opts.onBackgroundError ? { onBackgroundError: opts.onBackgroundError } : {}),
  });
}
