/**
 * A throw-away local cluster for the node-side benchmarks (`test/bench/overlay.bench.ts`,
 * `test/bench/pod-start.bench.ts`): `sextant cluster up` with the control plane and two workers in
 * network namespaces, an API client on its admin kubeconfig, and `down()` that removes everything.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { ApiClient } from '../../controller/api/index.js';

const execP = promisify(execFile);
const REPO = new URL('../../', import.meta.url).pathname;

export interface BenchHost {
  nodeName: string;
  netns: string;
  ip: string;
  role: string;
}

export interface BenchCluster {
  name: string;
  kubeconfig: string;
  client: ApiClient;
  workers: BenchHost[];
  /** Daemon logs (`agent-<node>.log`, `server.log`). */
  logDir: string;
  down(): Promise<void>;
}

/** The machine's 1-minute load average and core count (benchmarks report them: the machine is shared). */
export const machineLoad = () => ({ loadavg1: Number(loadavg()[0]!.toFixed(2)), loadavg5: Number(loadavg()[1]!.toFixed(2)), cpus: Number(execFileSync('nproc').toString().trim()) });

export async function benchCluster(subnet: string): Promise<BenchCluster> {
  if (process.getuid?.() !== 0) throw new Error('the node benchmarks need root (network namespaces)');
  execFileSync(process.execPath, ['tools/build.mjs'], { cwd: REPO, stdio: 'ignore' });
  const name = `sxb${randomBytes(2).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'sx-node-bench-'));
  const sextant = (...args: string[]) => execP(process.execPath, [join(REPO, 'dist/sextant.mjs'), ...args, '--state-dir', join(dir, 'state')], { maxBuffer: 16 << 20 });
  const down = async () => {
    await sextant('cluster', 'down', '--name', name).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const up = await sextant('cluster', 'up', '--name', name, '--nodes', '3', '--data-dir', join(dir, 'data'), '--subnet', subnet, '--dns-replicas', '1', '--timeout', '120s', '--retain').catch((e: { stdout: string; stderr: string }) => e);
    if (!/✓ nodes Ready/.test(up.stdout)) throw new Error(`cluster up failed:\n${up.stdout}\n${up.stderr}`);
    const kubeconfig = join(dir, 'state', name, 'kubeconfig');
    const state = JSON.parse(readFileSync(join(dir, 'state', name, 'state.json'), 'utf8')) as { layout: { hosts: (BenchHost & { nodeName?: string })[] } };
    const workers = state.layout.hosts.filter((h) => h.nodeName && h.role !== 'control-plane').map((h) => ({ nodeName: h.nodeName!, netns: h.netns, ip: h.ip, role: h.role }));
    return { name, kubeconfig, client: ApiClient.fromKubeconfig(kubeconfig), workers, logDir: join(dir, 'data', name, 'logs'), down };
  } catch (err) {
    await down();
    throw err;
  }
}
