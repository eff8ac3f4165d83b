/**
 * The HA test bed: a real 3-member etcd cluster (controller/store/etcd/etcd-cluster.test-helper)
 * and several real `sextant server --store etcd` processes on loopback random ports, each with
 * its own temp data dir and the same etcd endpoints. They serve HTTPS with one shared cluster CA
 * (`--ca-dir`), so one kubeconfig — one CA, one client certificate — is valid on every server;
 * `kubeconfigFor` writes such a kubeconfig listing every live server, as a node daemon would get.
 * Servers are killed by PID (SIGKILL, as a crash) and everything is removed by `destroy()`, also
 * after a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../controller/api/client.js';
import { credentialKubeconfig, ROLE_IDENTITIES, type Identity } from '../../controller/auth/credentials.js';
import { issueCertificate } from '../../controller/auth/pki.js';
import { startEtcdCluster, type EtcdCluster } from '../../controller/store/etcd/etcd-cluster.test-helper.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface HaServer {
  index: number;
  url: string;
  kubeconfig: string;
  client: ApiClient;
  process: ChildProcess;
  log(): string;
}

export interface HaBed {
  etcd: EtcdCluster;
  servers: (HaServer | undefined)[];
  /** The CA directory every server shares. */
  caDir: string;
  /**
   * Writes a kubeconfig for `id` (default: the administrator) signed by the shared CA, listing
   * `urls` (default: every live server, in index order) for failover; returns its path.
   */
  kubeconfigFor(name: string, opts?: { id?: Identity; urls?: string[] }): string;
  /** Starts server `i` (again, on a new port after a kill). */
  startServer(i: number, extra?: string[]): Promise<HaServer>;
  killServer(i: number): Promise<void>;
  destroy(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function startHaBed(opts: { etcdMembers: number; servers: number; serverArgs?: string[] }): Promise<HaBed> {
  const dir = mkdtempSync(join(tmpdir(), 'sx-ha-'));
  const caDir = join(dir, 'ca');
  const etcd = await startEtcdCluster(opts.etcdMembers);
  const servers: (HaServer | undefined)[] = [];
  const bed: HaBed = {
    etcd,
    servers,
    caDir,
    kubeconfigFor(name, o = {}) {
      const urls = o.urls ?? servers.filter((s) => s !== undefined).map((s) => s!.url);
      const id = o.id ?? { user: ROLE_IDENTITIES.admin.user, groups: [...ROLE_IDENTITIES.admin.groups] };
      const cert = issueCertificate({ caKey: createPrivateKey(readFileSync(join(caDir, 'ca.key'))) }, { commonName: id.user, organizations: id.groups, usage: 'client' });
      const path = join(dir, `${name}.kubeconfig`);
      writeFileSync(path, credentialKubeconfig({ server: { server: urls[0]!, servers: urls }, caPem: readFileSync(join(caDir, 'ca.crt'), 'utf8'), user: id.user, cert }), { mode: 0o600 });
      return path;
    },
    async startServer(i, extra = []) {
      const sdir = join(dir, `s${i}`);
      const kubeconfig = join(sdir, 'kubeconfig');
      rmSync(kubeconfig, { force: true });
      let log = '';
      const child = spawn(
        process.execPath,
        [
          '--import', 'tsx', join(repo, 'cli/main.ts'), 'server',
          '--data-dir', join(sdir, 'data'),
          '--listen', '127.0.0.1:0',
          '--write-kubeconfig', kubeconfig,
          '--store', 'etcd',
          '--etcd-endpoints', etcd.endpoints.join(','),
          '--etcd-request-timeout', '3s',
          '--leader-elect-lease-duration', '6s',
          '--ca-dir', caDir,
          ...(opts.serverArgs ?? []),
          ...extra,
        ],
        { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SX_LOG_LEVEL: 'info' } },
      );
      child.stdout!.on('data', (c: Buffer) => (log += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
      const deadline = Date.now() + 60_000;
      while (!existsSync(kubeconfig) || !/server: (\S+)/.test(readFileSync(kubeconfig, 'utf8'))) {
        if (child.exitCode !== null) throw new Error(`server ${i} exited (${child.exitCode}): ${log.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`server ${i} did not start: ${log.slice(-2000)}`);
        await sleep(100);
      }
      const url = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))![1]!;
      const s: HaServer = { index: i, url, kubeconfig, client: ApiClient.fromKubeconfig(kubeconfig), process: child, log: () => log };
      servers[i] = s;
      return s;
    },
    async killServer(i) {
      const s = servers[i];
      if (!s) return;
      servers[i] = undefined;
      s.client.close();
      const p = s.process;
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      process.kill(p.pid!, 'SIGKILL');
      await exited;
    },
    async destroy() {
      for (let i = 0; i < servers.length; i++) await bed.killServer(i).catch(() => undefined);
      await etcd.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(Array.from({ length: opts.servers }, (_, i) => bed.startServer(i)));
  } catch (err) {
    await bed.destroy();
    throw err;
  }
  return bed;
}
