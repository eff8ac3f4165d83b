// CNI ADD/DEL wall time: our binary vs the reference bridge + host-local, and bare Node start-up.
// Every process runs under `ip netns exec <node-ns>`, so the same exec overhead is in each figure.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { REPO, run, TestNode } from '../cni/harness.js';

const N = Number(process.env.SX_BENCH_PODS ?? 50);
const PAR = 64;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(1));
};
const stats = (xs: number[]) => ({ p50: pct(xs, 50), p99: pct(xs, 99), n: xs.length });

/**
 * CPU time of every waited-for descendant so far (cutime + cstime of /proc/self/stat, ms): the
 * `ip netns exec` wrapper waits for the plugin, the plugin for its own children, so one run's
 * delta is all the CPU that run cost. Clock ticks (10 ms) per read; the means over N are precise
 * enough, and unlike wall time they hardly move when other work loads the machine.
 */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
}

const cpu: Record<string, number[]> = {};
async function timed<T>(fn: () => Promise<T>, cpuKey?: string): Promise<[number, T]> {
  const c = childrenCpuMs();
  const t = process.hrtime.bigint();
  const r = await fn();
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (cpuKey) (cpu[cpuKey] ??= []).push(childrenCpuMs() - c);
  return [ms, r];
}
const meanCpu = (k: string) => Number(((cpu[k] ?? []).reduce((a, b) => a + b, 0) / Math.max(1, (cpu[k] ?? []).length)).toFixed(1));

async function main() {
  const loadStart = loadavg().map((x) => Number(x.toFixed(2)));
  execFileSync(process.execPath, ['tools/build.mjs'], { cwd: REPO, stdio: 'ignore' });
  const node = await TestNode.create();
  try {
    const pods: string[] = [];
    for (let i = 0; i < Math.max(N, PAR); i++) pods.push(await node.newPod());
    const env = (cmd: string, id: string, netns: string, ifName = 'eth0') => ({ CNI_COMMAND: cmd, CNI_CONTAINERID: id, CNI_NETNS: netns, CNI_IFNAME: ifName });
    const plugins = (masq: boolean) => ({
      sextant: { type: 'sextant', ifName: 'eth0', conf: { cniVersion: '1.0.0', name: `sx${masq ? 'm' : ''}`, type: 'sextant', bridge: 'sxb0', ipMasq: masq, subnetFile: node.subnetFile, ipam: { dataDir: node.dataDir, ranges: [[{ subnet: '10.250.0.0/16' }]] } } },
      reference: { type: 'bridge', ifName: 'eth1', conf: { cniVersion: '1.0.0', name: `ref${masq ? 'm' : ''}`, type: 'bridge', bridge: 'refb0', isGateway: true, isDefaultGateway: true, ipMasq: masq, ipam: { type: 'host-local', ranges: [[{ subnet: '10.251.0.0/16' }]], dataDir: node.dataDir } } },
    });

    // The plugin gets a runtime's minimal env, so bare start-up is measured with the same env
    // (no NODE_EXTRA_CA_CERTS & co., which alone cost Node tens of ms at start-up).
    const bareStart = () => run('ip', ['netns', 'exec', node.nodeNs, process.execPath, '-e', '0'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const bare: number[] = [];
    const version: number[] = [];

    // Interleaved per pod (bare, ours, reference) so the machine's load hits every series alike.
    const sequential = async (masq: boolean) => {
      const ps = plugins(masq);
      const add: Record<string, number[]> = { sextant: [], reference: [] };
      const del: Record<string, number[]> = { sextant: [], reference: [] };
      const failures: Record<string, number> = { sextant: 0, reference: 0 };
      for (let i = 0; i < N; i++) {
        if (!masq) {
          bare.push((await timed(bareStart, 'bare'))[0]);
          version.push((await timed(() => node.plugin('sextant', { CNI_COMMAND: 'VERSION' }, { cniVersion: '1.0.0' })))[0]);
        }
        for (const [name, p] of Object.entries(ps)) {
          const [ms, r] = await timed(() => node.plugin(p.type, env('ADD', `b-${i}`, pods[i]!, p.ifName), p.conf), `${name} ADD${masq ? ' ipMasq' : ''}`);
          if (r.code !== 0) failures[name]!++;
          add[name]!.push(ms);
        }
      }
      for (let i = 0; i < N; i++)
        for (const [name, p] of Object.entries(ps)) {
          const [ms, r] = await timed(() => node.plugin(p.type, env('DEL', `b-${i}`, pods[i]!, p.ifName), p.conf), `${name} DEL${masq ? ' ipMasq' : ''}`);
          if (r.code !== 0) failures[name]!++;
          del[name]!.push(ms);
        }
      const out: Record<string, { add: ReturnType<typeof stats>; del: ReturnType<typeof stats>; failures: number }> = {};
      for (const name of Object.keys(ps)) out[name] = { add: stats(add[name]!), del: stats(del[name]!), failures: failures[name]! };
      return out;
    };
    const plain = await sequential(false);
    const withMasq = await sequential(true);

    const parallel: Record<string, { totalMs: number; failures: number }> = {};
    for (const [name, p] of Object.entries(plugins(false))) {
      const [ms, rs] = await timed(() => Promise.all(pods.slice(0, PAR).map((pod, i) => node.plugin(p.type, env('ADD', `p-${i}`, pod), p.conf))));
      parallel[name] = { totalMs: Number(ms.toFixed(0)), failures: rs.filter((r) => r.code !== 0).length };
      await Promise.all(pods.slice(0, PAR).map((pod, i) => node.plugin(p.type, env('DEL', `p-${i}`, pod), p.conf)));
    }

    const bareP50 = pct(bare, 50);
    const ours = plain.sextant!.add.p50;
    const ref = plain.reference!.add.p50;
    process.stdout.write(
      JSON.stringify(
        {
          benchmark: 'cni',
          pods: N,
          bareNodeStartup: stats(bare),
          sextantVersionCommand: stats(version),
          sequential: plain,
          sequentialWithIpMasq: withMasq,
          parallel64: parallel,
          // Mean CPU per run (ms), the process and all its children, `ip netns exec` included.
          cpuMsPerRun: Object.fromEntries(Object.keys(cpu).map((k) => [k, meanCpu(k)])),
          cpuTarget: {
            rule: 'sextant ADD cpu - bare node cpu <= reference ADD cpu (informative; the target is on wall time)',
            sextantAddMinusBare: Number((meanCpu('sextant ADD') - meanCpu('bare')).toFixed(1)),
            referenceAdd: meanCpu('reference ADD'),
          },
          loadAverage: { start: loadStart, end: loadavg().map((x) => Number(x.toFixed(2))) },
          target: {
            rule: 'sextant ADD p50 - bare node p50 <= reference ADD p50',
            sextantAddMinusBare: Number((ours - bareP50).toFixed(1)),
            referenceAdd: ref,
            met: ours - bareP50 <= ref,
            sextantAddOverBarePlusReference: Number((ours - (bareP50 + ref)).toFixed(1)),
          },
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    await node.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`cni bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
