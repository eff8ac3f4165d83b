/**
 * A real etcd cluster for tests: Debian's `etcd` (3.4) members on loopback ports picked at
 * random, data in a temp dir, fast elections (heartbeat 50 ms, election 500 ms) so fault tests
 * stay quick. Members are started, stopped (SIGKILL by PID, as a crash) and restarted by the
 * test; `destroy()` kills every member this helper started and removes the directory, also
 * when the test failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { Store } from '../store.js';
import { openEtcdStore, type EtcdStoreOptions } from './index.js';
import { freePort } from '../../../test/free-port.js';

export const ETCD_BINARY = process.env.SX_ETCD_BINARY ?? '/usr/bin/etcd';

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  process?: ChildProcess;
}

export interface EtcdCluster {
  readonly members: EtcdMember[];
  /** Client URLs of every member, for `openEtcdStore({ endpoints })`. */
  readonly endpoints: string[];
  /** Kills member `i` (SIGKILL, by PID) and waits for it to exit. */
  stop(i: number): Promise<void>;
  /** Starts member `i` again on its data dir (same ports, same identity). */
  start(i: number): Promise<void>;
  /** Resolves once member `i` answers /health with a leader. */
  waitHealthy(i: number, timeoutMs?: number): Promise<void>;
  destroy(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Client TLS for the members' client URLs (PEM files): etcd then requires a client certificate signed by `caFile`. */
export interface EtcdTestTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

async function healthy(clientUrl: string, tls?: EtcdTestTls): Promise<boolean> {
  if (tls) return healthyTls(clientUrl, tls);
  try {
    const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return body.health === 'true';
  } catch {
    return false;
  }
}

function healthyTls(clientUrl: string, tls: EtcdTestTls): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(
      `${clientUrl}/health`,
      { ca: readFileSync(tls.caFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), timeout: 1000 },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(/"health":\s*"true"/.test(body)));
        res.on('error', () => resolve(false));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

export interface EtcdClusterOptions {
  /** Client URLs are https and need a client certificate (peers stay plain http on loopback). */
  tls?: EtcdTestTls;
  /** Extra environment of every member (e.g. GOMAXPROCS for the benchmark). */
  env?: Record<string, string>;
  /** Extra command-line flags of every member (after the helper's own). */
  args?: string[];
}

/** Starts `size` members and waits until the cluster has a leader. */
export async function startEtcdCluster(size = 1, opts: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const { tls } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'sx-etcd-'));
  const members: EtcdMember[] = [];
  for (let i = 0; i < size; i++) {
    const name = `m${i}`;
    members.push({
      name,
      clientUrl: `${tls ? 'https' : 'http'}://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(dir, name),
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const token = `sx-${process.pid}-${Date.now()}`;

  const launch = (m: EtcdMember): void => {
    mkdirSync(m.dataDir, { recursive: true });
    const logFd = openSync(join(dir, `${m.name}.log`), 'a');
    try {
      m.process = spawn(
        ETCD_BINARY,
        [
          '--name', m.name,
          '--data-dir', m.dataDir,
          '--listen-client-urls', m.clientUrl,
          '--advertise-client-urls', m.clientUrl,
          '--listen-peer-urls', m.peerUrl,
          '--initial-advertise-peer-urls', m.peerUrl,
          '--initial-cluster', initialCluster,
          '--initial-cluster-state', 'new',
          '--initial-cluster-token', token,
          '--heartbeat-interval', '50',
          '--election-timeout', '500',
          '--logger', 'zap',
          '--log-level', 'warn',
          ...(tls ? ['--cert-file', tls.certFile, '--key-file', tls.keyFile, '--trusted-ca-file', tls.caFile, '--client-cert-auth'] : []),
          ...(opts.args ?? []),
        ],
        { stdio: ['ignore', logFd, logFd], ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}) },
      );
    } finally {
      closeSync(logFd);
    }
  };

  const waitHealthy = async (i: number, timeoutMs = 20_000): Promise<void> => {
    const m = members[i]!;
    const deadline = Date.now() + timeoutMs;
    while (!(await healthy(m.clientUrl, tls))) {
      if (m.process && m.process.exitCode !== null) throw new Error(`etcd ${m.name} exited with ${m.process.exitCode} (log: ${dir}/${m.name}.log)`);
      if (Date.now() > deadline) throw new Error(`etcd ${m.name} not healthy within ${timeoutMs} ms`);
      await sleep(50);
    }
  };

  const stop = async (i: number): Promise<void> => {
    const p = members[i]!.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    if (p.pid !== undefined) process.kill(p.pid, 'SIGKILL');
    await exited;
  };

  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    stop,
    async start(i) {
      launch(members[i]!);
    },
    waitHealthy,
    async destroy() {
      for (let i = 0; i < members.length; i++) await stop(i).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const m of members) launch(m);
    for (let i = 0; i < members.length; i++) await waitHealthy(i);
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}

/**
 * A test file's etcd: a cluster of `size` members started before the file's tests and destroyed
 * after them, with every store opened through `openStore` closed first. `openStore` gives each
 * store its own random key prefix (named after `prefix`) so tests never see each other's keys.
 */
export function etcdForTestFile(size: number): {
  cluster(): EtcdCluster;
  openStore(prefix: string, extra?: Partial<EtcdStoreOptions>): Promise<Store>;
} {
  let cluster: EtcdCluster | undefined;
  const stores: Store[] = [];
  before(async () => {
    cluster = await startEtcdCluster(size);
  });
  after(async () => {
    for (const s of stores) await s.close();
    await cluster?.destroy();
  });
  const started = () => {
    if (!cluster) throw new Error('the etcd test cluster has not started');
    return cluster;
  };
  return {
    cluster: started,
    openStore: async (prefix, extra = {}) => {
      const s = await openEtcdStore({ endpoints: started().endpoints, prefix: `/${prefix}-${randomBytes(4).toString('hex')}`, history: { ageMs: 0, intervalMs: 0 }, ...extra });
      stores.push(s);
      return s;
    },
  };
}
