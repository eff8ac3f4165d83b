// CNI ADD/DEL wall time: our binary vs the reference bridge + host-local, and bare Node start-up.
// Every process runs under `ip netns exec <node-ns>`, so the same exec overhead is in each figure.
import { execFileSync } from 'node:child_process';
import { REPO, run, TestNode } from '../cni/harness.js';

const N = Number(process.env.SX_BENCH_PODS ?? 50);
const PAR = 64;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(1));
};
const stats = (xs: number[]) => ({ p50: pct(xs, 50), p99: pct(xs, 99), n: xs.length });

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = process.hrtime.bigint();
  const r = await fn();
  return [Number(process.hrtime.bigint() - t) / 1e6, r];
}

async function main() {
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
          bare.push((await timed(bareStart))[0]);
          version.push((await timed(() => node.plugin('sextant', { CNI_COMMAND: 'VERSION' }, { cniVersion: '1.0.0' })))[0]);
        }
        for (const [name, p] of Object.entries(ps)) {
          const [ms, r] = await timed(() => node.plugin(p.type, env('ADD', `b-${i}`, pods[i]!, p.ifName), p.conf));
          if (r.code !== 0) failures[name]!++;
          add[name]!.push(ms);
        }
      }
      for (let i = 0; i < N; i++)
        for (const [name, p] of Object.entries(ps)) {
          const [ms, r] = await timed(() => node.plugin(p.type, env('DEL', `b-${i}`, pods[i]!, p.ifName), p.conf));
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
