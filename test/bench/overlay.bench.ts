// Pod-to-pod TCP throughput across nodes over the Sextant VXLAN overlay, next to — in the same
// run, rounds interleaved so the shared machine's load hits every path alike — node-to-node over
// the plain underlay and over a bare kernel VXLAN link between the same two node namespaces.
// iperf3 (Debian) on every path; prints one JSON document. Target: pod-to-pod ≥ 0.75× underlay.
// A fourth path is the pod path built by hand (test/node/bench-hand-overlay.ts: veth + node bridge
// + forwarding + kernel VXLAN in the same node namespaces, no Sextant code): podToHandBuilt shows
// what Sextant adds on top of those hops, handBuiltToBareVxlan what the hops themselves cost.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { KINDS, type Pod } from '../../controller/api/index.js';
import { podNetnsName } from '../../node/names.js';
import { benchCluster, machineLoad, type BenchCluster } from '../node/bench-cluster.js';
import { handOverlay, type HandOverlay } from '../node/bench-hand-overlay.js';

const execP = promisify(execFile);
const ROUNDS = Number(process.env.SX_BENCH_ROUNDS ?? 7);
const SECONDS = Number(process.env.SX_BENCH_SECONDS ?? 3);
const BARE = { dev: 'sx-bvx', vni: 4242, port: 4789, a: '192.168.254.1', b: '192.168.254.2' };

const ns = async (netns: string, ...argv: string[]) => (await execP('ip', ['netns', 'exec', netns, ...argv], { timeout: 60_000 })).stdout;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const gbps = (bps: number) => Number((bps / 1e9).toFixed(3));

async function waitPodIp(c: BenchCluster, name: string): Promise<string> {
  const until = Date.now() + 120_000;
  while (Date.now() < until) {
    const p = await c.client.get<Pod>(KINDS.Pod, 'default', name).catch(() => undefined);
    const ready = p?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
    if (ready && p?.status?.podIP) return p.status.podIP;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`pod ${name} did not become Ready with an IP`);
}

async function underlayDevice(netns: string, ip: string): Promise<string> {
  const addrs = JSON.parse(await ns(netns, 'ip', '-j', 'addr')) as { ifname: string; addr_info: { local: string }[] }[];
  const d = addrs.find((a) => a.addr_info.some((x) => x.local === ip));
  if (!d) throw new Error(`no device carries ${ip} in ${netns}`);
  return d.ifname;
}

/** Received bytes and packets of a device in a namespace (its rx counters). */
async function rxCounters(netns: string, dev: string): Promise<{ bytes: number; packets: number }> {
  const [bytes, packets] = (await ns(netns, 'cat', `/sys/class/net/${dev}/statistics/rx_bytes`, `/sys/class/net/${dev}/statistics/rx_packets`)).trim().split('\n').map(Number);
  if (!Number.isFinite(bytes) || !Number.isFinite(packets)) throw new Error(`unreadable rx counters of ${dev} in ${netns}`);
  return { bytes: bytes!, packets: packets! };
}

interface Run {
  bps: number;
  /**
   * Mean size of the packets the server node's underlay device received during the run (data
   * direction; the underlay path's ACKs leave through it). Near 64 KiB means the sender's GSO
   * packets crossed the underlay whole: nothing on the way segmented them in software.
   */
  underlayRxBytesPerPacket: number;
  retransmits: number;
  /**
   * CPU ms per GB received: iperf3's own rusage of client and server (user + system; without
   * IRQ time accounting, as here, the softirq work done in their context — all the hops of a
   * veth path — is charged to them). Less sensitive to the shared machine's load than bits/s.
   */
  cpuMsPerGB: number;
}

/** One iperf3 client run: received bits/s, sender retransmits and CPU cost per GB. */
async function iperf(netns: string, host: string, port: number): Promise<Omit<Run, 'underlayRxBytesPerPacket'>> {
  const out = await ns(netns, 'iperf3', '-c', host, '-p', String(port), '-t', String(SECONDS), '-O', '1', '-J');
  const j = JSON.parse(out) as {
    end: {
      sum_received: { bits_per_second: number; bytes: number; seconds: number };
      sum_sent: { retransmits?: number };
      cpu_utilization_percent: { host_total: number; remote_total: number };
    };
  };
  const { sum_received: rx, cpu_utilization_percent: cpu } = j.end;
  const cpuMs = ((cpu.host_total + cpu.remote_total) / 100) * rx.seconds * 1000;
  return { bps: rx.bits_per_second, retransmits: j.end.sum_sent.retransmits ?? 0, cpuMsPerGB: cpuMs / (rx.bytes / 1e9) };
}

async function main() {
  const loadBefore = machineLoad();
  const c = await benchCluster('172.29.97.0/24');
  const servers: ChildProcess[] = [];
  let hand: HandOverlay | undefined;
  try {
    const [w1, w2] = c.workers;
    if (!w1 || !w2) throw new Error('need two workers');
    const pod = (name: string, node: string, command: string[]): Pod => ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
      spec: { nodeName: node, containers: [{ name: 'main', image: 'debian/iperf3', command }] },
    });
    await c.client.create(KINDS.Pod, pod('iperf-server', w1.nodeName, ['/usr/bin/iperf3', '-s', '-p', '5201']));
    await c.client.create(KINDS.Pod, pod('iperf-client', w2.nodeName, ['/usr/bin/sleep', '86400']));
    const serverIp = await waitPodIp(c, 'iperf-server');
    await waitPodIp(c, 'iperf-client');
    const clientPod = await c.client.get<Pod>(KINDS.Pod, 'default', 'iperf-client');
    const clientNetns = podNetnsName(clientPod.metadata.uid ?? '');

    // the bare kernel VXLAN link: same node namespaces, same underlay, same MTU as the overlay
    const [d1, d2] = [await underlayDevice(w1.netns, w1.ip), await underlayDevice(w2.netns, w2.ip)];
    const podMtu = Number((await ns(clientNetns, 'cat', '/sys/class/net/eth0/mtu')).trim());
    for (const [h, dev, peer, addr] of [[w1, d1, w2.ip, BARE.a], [w2, d2, w1.ip, BARE.b]] as const) {
      await ns(h.netns, 'ip', 'link', 'add', BARE.dev, 'type', 'vxlan', 'id', String(BARE.vni), 'dstport', String(BARE.port), 'local', h.ip, 'remote', peer, 'dev', dev, 'nolearning');
      await ns(h.netns, 'ip', 'link', 'set', BARE.dev, 'mtu', String(podMtu), 'up');
      await ns(h.netns, 'ip', 'addr', 'add', `${addr}/30`, 'dev', BARE.dev);
    }
    for (const port of [5202, 5203]) servers.push(spawn('ip', ['netns', 'exec', w1.netns, 'iperf3', '-s', '-p', String(port)], { stdio: 'ignore' }));
    hand = await handOverlay([{ netns: w1.netns, ip: w1.ip, device: d1 }, { netns: w2.netns, ip: w2.ip, device: d2 }], podMtu);
    const handPods = hand;
    servers.push(spawn('ip', ['netns', 'exec', handPods.podA.netns, 'iperf3', '-s', '-p', '5204'], { stdio: 'ignore' }));
    await new Promise((r) => setTimeout(r, 500));

    // each run also counts what the server node's underlay device received meanwhile
    const measured = (client: string, host: string, port: number) => async (): Promise<Run> => {
      const before = await rxCounters(w1.netns, d1);
      const run = await iperf(client, host, port);
      const after = await rxCounters(w1.netns, d1);
      return { ...run, underlayRxBytesPerPacket: Math.round((after.bytes - before.bytes) / Math.max(1, after.packets - before.packets)) };
    };
    const paths = {
      underlay: measured(w2.netns, w1.ip, 5202),
      bareVxlan: measured(w2.netns, BARE.a, 5203),
      podToPod: measured(clientNetns, serverIp, 5201),
      handBuiltPodPath: measured(handPods.podB.netns, handPods.podA.ip, 5204),
    };
    const runs: Record<keyof typeof paths, Run[]> = { underlay: [], bareVxlan: [], podToPod: [], handBuiltPodPath: [] };
    // one unmeasured round first: the freshly built cluster's controllers and agents settle
    for (const f of Object.values(paths)) await f();
    // the order rotates every round: no path always runs first in a round or always right after
    // the same other path
    const order = Object.entries(paths) as [keyof typeof paths, () => Promise<Run>][];
    for (let r = 0; r < ROUNDS; r++) for (let i = 0; i < order.length; i++) {
      const [k, f] = order[(r + i) % order.length]!;
      runs[k].push(await f());
    }

    const med = (k: keyof typeof paths) => median(runs[k].map((x) => x.bps));
    const cost = (k: keyof typeof paths) => median(runs[k].map((x) => x.cpuMsPerGB));
    const summary = (k: keyof typeof paths) => ({
      medianGbps: gbps(med(k)),
      runsGbps: runs[k].map((x) => gbps(x.bps)),
      retransmits: runs[k].map((x) => x.retransmits),
      medianUnderlayRxBytesPerPacket: median(runs[k].map((x) => x.underlayRxBytesPerPacket)),
      medianCpuMsPerGB: Math.round(cost(k)),
    });
    const ratio = (a: number, b: number) => Number((a / b).toFixed(3));
    const podToUnderlay = ratio(med('podToPod'), med('underlay'));
    // per-round ratios (the paths of a round ran back to back, under about the same load)
    const paired = (a: keyof typeof paths, b: keyof typeof paths) => ratio(median(runs[a].map((x, i) => x.bps / runs[b][i]!.bps)), 1);
    console.log(
      JSON.stringify(
        {
          bench: 'overlay',
          what: 'TCP throughput, one iperf3 stream, worker2 → worker1 (pods: client pod on worker2, server pod on worker1); path order rotated every round',
          rounds: ROUNDS,
          secondsPerRun: SECONDS,
          mtu: { pod: podMtu, bareVxlan: podMtu },
          underlay: summary('underlay'),
          bareVxlan: summary('bareVxlan'),
          podToPod: summary('podToPod'),
          handBuiltPodPath: summary('handBuiltPodPath'),
          ratios: {
            podToUnderlay,
            bareVxlanToUnderlay: ratio(med('bareVxlan'), med('underlay')),
            podToBareVxlan: ratio(med('podToPod'), med('bareVxlan')),
            handBuiltToUnderlay: ratio(med('handBuiltPodPath'), med('underlay')),
            handBuiltToBareVxlan: ratio(med('handBuiltPodPath'), med('bareVxlan')),
            podToHandBuilt: ratio(med('podToPod'), med('handBuiltPodPath')),
          },
          medianOfRoundRatios: {
            podToUnderlay: paired('podToPod', 'underlay'),
            bareVxlanToUnderlay: paired('bareVxlan', 'underlay'),
            podToBareVxlan: paired('podToPod', 'bareVxlan'),
            handBuiltToBareVxlan: paired('handBuiltPodPath', 'bareVxlan'),
            podToHandBuilt: paired('podToPod', 'handBuiltPodPath'),
          },
          // CPU cost per GB of the underlay over that of the path: what the throughput ratio would
          // be if every path were bound by the same CPU budget (the load-robust view)
          cpuCostRatios: {
            underlayToPod: ratio(cost('underlay'), cost('podToPod')),
            underlayToBareVxlan: ratio(cost('underlay'), cost('bareVxlan')),
            bareVxlanToPod: ratio(cost('bareVxlan'), cost('podToPod')),
            handBuiltToPod: ratio(cost('handBuiltPodPath'), cost('podToPod')),
          },
          // met only when both views agree: on the shared machine one of them alone has said "met"
          // on runs where the underlay lost to the bare VXLAN link (load noise)
          target: { podToUnderlay: 0.75, met: podToUnderlay >= 0.75 && paired('podToPod', 'underlay') >= 0.75 },
          load: { before: loadBefore, after: machineLoad() },
        },
        null,
        2,
      ),
    );
  } finally {
    for (const s of servers) if (s.pid && s.exitCode === null) process.kill(s.pid, 'SIGKILL');
    await hand?.down();
    c.client.close();
    await c.down();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
