/**
 * The reference for the pod-start benchmark, measured in the same run on a worker of the bench
 * cluster: what a bare runtime spends on one pod without any API, scheduling or status — `ip
 * netns add`, the reference CNI plugins (Debian's bridge + host-local, run inside the worker's
 * namespace as the agent runs ours), and the container process started by `ip netns exec`.
 * Each sample is torn down (process, CNI DEL, namespace) before the next.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

const execP = promisify(execFile);
const CNI_BIN = '/usr/lib/cni';

function plugin(workerNetns: string, command: 'ADD' | 'DEL', podNetns: string, id: string, conf: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_COMMAND: command, CNI_CONTAINERID: id, CNI_NETNS: `/run/netns/${podNetns}`, CNI_IFNAME: 'eth0', CNI_PATH: CNI_BIN };
    const child = execFile('nsenter', [`--net=/run/netns/${workerNetns}`, '--', join(CNI_BIN, 'bridge')], { env, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`reference ${command}: ${stdout}${stderr}${err.message}`)) : resolve()));
    child.stdin?.end(JSON.stringify(conf));
  });
}

/** `n` sequential bare pod starts on `workerNetns`: ms per start (netns + reference CNI ADD + process spawned). */
export async function bareSandboxStarts(workerNetns: string, n: number): Promise<{ totalMs: number[]; cniAddMs: number[] }> {
  if (!existsSync(join(CNI_BIN, 'bridge'))) throw new Error(`${CNI_BIN}/bridge missing (Debian containernetworking-plugins)`);
  const dir = mkdtempSync(join(tmpdir(), 'sx-bench-bare-'));
  const conf = { cniVersion: '1.0.0', name: 'sxbare', type: 'bridge', bridge: 'sxbare0', isGateway: true, ipMasq: false, ipam: { type: 'host-local', ranges: [[{ subnet: '10.252.0.0/24' }]], dataDir: dir } };
  const tag = randomBytes(2).toString('hex');
  const totalMs: number[] = [];
  const cniAddMs: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const ns = `sx-bare-${tag}-${i}`;
      const id = `bare${tag}${i}`.padEnd(16, '0');
      const t0 = performance.now();
      await execP('ip', ['netns', 'add', ns]);
      let added = false;
      try {
        const t1 = performance.now();
        await plugin(workerNetns, 'ADD', ns, id, conf);
        added = true;
        cniAddMs.push(performance.now() - t1);
        const proc = spawn('ip', ['netns', 'exec', ns, '/usr/bin/sleep', '3600'], { stdio: 'ignore', detached: true });
        await new Promise<void>((resolve, reject) => {
          proc.once('spawn', resolve);
          proc.once('error', reject);
        });
        totalMs.push(performance.now() - t0);
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGKILL');
        await gone;
      } finally {
        if (added) await plugin(workerNetns, 'DEL', ns, id, conf).catch(() => undefined);
        await execP('ip', ['netns', 'del', ns]).catch(() => undefined);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { totalMs, cniAddMs };
}
