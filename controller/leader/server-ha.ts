/**
 * The `sextant server` pieces for a highly available control plane, kept here so the command
 * only spreads the flags and calls two functions: `--store etcd` (with endpoints and client TLS
 * files) opens the etcd Store; controllers and the scheduler then run only while this server
 * holds the `kube-system/sextant-controller-manager` Lease (`--leader-elect`, on by default with
 * etcd), and stop when it loses it.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { flagTypes } from '../../daemon/flags.js';
import { ApiClient, type ApiClientOptions } from '../api/client.js';
import { storeClaims, type AllocationClaims } from '../controllers/allocators/store-claims.js';
import { openEtcdStore } from '../store/etcd/index.js';
import type { Store } from '../store/store.js';
import { LeaderElector } from './lease-elector.js';

export const haServerFlags = {
  store: { help: 'sqlite (embedded, one server) or etcd (several servers on one etcd cluster)', schema: z.enum(['sqlite', 'etcd'], { message: 'must be sqlite or etcd' }).default('sqlite') },
  'etcd-endpoints': { help: 'etcd client URLs, comma-separated (with --store etcd)', schema: flagTypes.list().optional() },
  'etcd-cafile': { help: 'CA bundle of the etcd servers (https endpoints)', schema: z.string().min(1, 'must not be empty').optional() },
  'etcd-certfile': { help: 'client certificate for etcd', schema: z.string().min(1, 'must not be empty').optional() },
  'etcd-keyfile': { help: 'client key for etcd', schema: z.string().min(1, 'must not be empty').optional() },
  'etcd-prefix': { help: 'key prefix in etcd (clusters sharing etcd need different ones)', schema: z.string().default('/sextant') },
  'etcd-shared-watches': {
    help: 'one etcd watch per key range for all API watches of it (false: one etcd watch per API watch)',
    schema: z.boolean().default(true),
    boolean: true,
  },
  'etcd-request-timeout': { help: 'upper bound of one etcd request; on quorum loss the API answers 503 after it', schema: flagTypes.duration().prefault('5s') },
  'leader-elect': {
    help: 'run controllers and scheduler only while holding the kube-system/sextant-controller-manager Lease (default: on with --store etcd)',
    schema: z.boolean().optional(),
    boolean: true,
  },
  'leader-elect-lease-duration': { help: 'how long a silent leader keeps the Lease', schema: flagTypes.duration().prefault('15s') },
};

export interface HaFlagValues {
  store: 'sqlite' | 'etcd';
  etcdEndpoints?: string[] | undefined;
  etcdCafile?: string | undefined;
  etcdCertfile?: string | undefined;
  etcdKeyfile?: string | undefined;
  etcdPrefix: string;
  etcdRequestTimeout: number;
  etcdSharedWatches?: boolean | undefined;
  leaderElect?: boolean | undefined;
  leaderElectLeaseDuration: number;
}

type Log = { info(m: string, meta?: object): void; warn(m: string, meta?: object): void };

/** The server's Store: etcd when `--store etcd`, else what `openSqlite` opens. */
export async function openServerStore(flags: HaFlagValues, log: Log, openSqlite: () => Promise<Store>): Promise<Store> {
  if (flags.store !== 'etcd') return openSqlite();
  if (!flags.etcdEndpoints?.length) throw new Error('server: --etcd-endpoints: needed with --store etcd');
  if ((flags.etcdCertfile || flags.etcdKeyfile) && !flags.etcdCafile) throw new Error('server: --etcd-certfile/--etcd-keyfile: need --etcd-cafile');
  const store = await openEtcdStore({
    endpoints: flags.etcdEndpoints,
    prefix: flags.etcdPrefix,
    requestTimeoutMs: flags.etcdRequestTimeout,
    shareWatches: flags.etcdSharedWatches !== false,
    ...(flags.etcdCafile
      ? { tls: { caFile: flags.etcdCafile, ...(flags.etcdCertfile ? { certFile: flags.etcdCertfile } : {}), ...(flags.etcdKeyfile ? { keyFile: flags.etcdKeyfile } : {}) } }
      : {}),
    onBackgroundError: (err) => log.warn('etcd store background task failed', { error: err.message }),
  });
  log.info('store: etcd', { endpoints: flags.etcdEndpoints, prefix: flags.etcdPrefix });
  return store;
}

/** Shared allocation claims when several servers share the store (etcd); none for SQLite. */
export function sharedAllocationClaims(flags: HaFlagValues, store: Store): AllocationClaims | undefined {
  return flags.store === 'etcd' ? storeClaims(store) : undefined;
}

export interface LeaderGatedControllers {
  start(url: string, advertiseAddress: string, client?: Partial<ApiClientOptions>): Promise<void>;
  stopLoops(): Promise<void>;
}

/**
 * Starts the control loops now (no leader election) or whenever this server becomes leader,
 * stopping them when it stops leading. `stop()` ends the campaign and releases the Lease.
 */
export async function startControllersWhileLeading(
  flags: HaFlagValues,
  log: Log,
  controllers: LeaderGatedControllers,
  url: string,
  advertiseAddress: string,
  client: Partial<ApiClientOptions> = {},
): Promise<{ stop(): Promise<void>; isLeader(): boolean }> {
  if (!(flags.leaderElect ?? flags.store === 'etcd')) {
    await controllers.start(url, advertiseAddress, client);
    return { stop: async () => undefined, isLeader: () => true };
  }
  const api = new ApiClient({ ...client, server: url, userAgent: 'sextant-leader-election', requestTimeoutMs: 5000 });
  const leaseSeconds = Math.max(2, Math.round(flags.leaderElectLeaseDuration / 1000));
  const elector = new LeaderElector({
    client: api,
    name: 'sextant-controller-manager',
    identity: `${hostname()}_${randomBytes(4).toString('hex')}`,
    leaseDurationSeconds: leaseSeconds,
    renewDeadlineMs: Math.round(leaseSeconds * 1000 * (2 / 3)),
    retryPeriodMs: Math.max(500, Math.round((leaseSeconds * 1000) / 7.5)),
    onStartedLeading: () => controllers.start(url, advertiseAddress, client),
    onStoppedLeading: () => controllers.stopLoops(),
    onNewLeader: (id) => log.info('leader: observed leader', { leader: id }),
    log,
  });
  elector.start();
  return {
    stop: async () => {
      await elector.stop();
      api.close();
    },
    isLeader: () => elector.isLeader(),
  };
}
