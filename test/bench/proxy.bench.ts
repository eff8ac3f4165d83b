/**
 * Service-proxy benchmark (one JSON document on stdout), in scratch network namespaces:
 * - full sync of N Services × E endpoints next to a bare `iptables-restore --noflush` of the same
 *   payload into an empty namespace (ratio target ≤ 1.2), payload size;
 * - one endpoint change at N services: time from the change event to the restore having returned
 *   (rule in the kernel), p50/p99 over C changes (target p99 ≤ 50 ms);
 * - RSS after the full sync (target ≤ 300 MB), and the peak RSS of each phase (VmHWM, reset
 *   between phases through /proc/self/clear_refs): the first full sync, the bare replay, the
 *   changes, and a full resync of the populated table (what the hourly resync and a canary repair
 *   do: it reads the 170k-rule nat table back before rewriting everything).
 * - the floor: a bare `iptables-restore --noflush` of a minimal payload (one service's SVC chain
 *   rewritten with the same rules) into the same 10,000-service table, p50/p99 over 20 runs;
 * - CPU of the iptables processes (user+sys of reaped children, /proc/self/stat) per restore, which
 *   a loaded machine skews far less than wall time.
 * A full sync with iptables-nft is several restores (SyncEngine maxChainsPerRestore); the bare
 * reference replays the same restores. One restore of the whole payload with iptables-nft 1.8.9 is
 * quadratic in the chains it names (minutes at 10,000 services) and is not run here.
 * Env: SX_SERVICES (10000), SX_ENDPOINTS (5), SX_CHANGES (100), SX_IPTABLES_MODE (nft|legacy; nft),
 * SX_TOP_LEVEL (when-changed, the default; always: rewrite top-level chains on every partial sync, as kube-proxy).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createLogger } from '../../daemon/logger.js';
import { createFakeConntrack } from '../../kernel/conntrack.js';
import { createIptables, type Iptables, type IptablesMode } from '../../kernel/iptables.js';
import { joinedLength } from '../../kernel/iptables-exec.js';
import { endpointChain, type EndpointSliceLike, type ServiceLike } from '../../proxy/core/index.js';
import { SyncEngine, type SyncResult } from '../../proxy/sync-engine.js';

const N = Number(process.env.SX_SERVICES ?? 10_000);
const E = Number(process.env.SX_ENDPOINTS ?? 5);
const CHANGES = Number(process.env.SX_CHANGES ?? 100);
const mode = (process.env.SX_IPTABLES_MODE ?? 'nft') as IptablesMode;
const topLevel = process.env.SX_TOP_LEVEL === 'always' ? 'always' : 'when-changed';
const id = randomBytes(3).toString('hex');
const nsEngine = `sx-pxb-${id}`;
const nsBare = `sx-pxr-${id}`;

const ip = (i: number) => `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
const podIp = (i: number, j: number) => `10.${128 + ((i * E + j) >> 16)}.${((i * E + j) >> 8) & 255}.${(i * E + j) & 255}`;
const service = (i: number): ServiceLike => ({
  metadata: { namespace: 'bench', name: `svc-${i}` },
  spec: { type: 'ClusterIP', clusterIP: ip(i), ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
});
const endpointSlice = (i: number, gen = 0): EndpointSliceLike => ({
  metadata: { namespace: 'bench', name: `svc-${i}-abc`, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: Array.from({ length: E }, (_, j) => ({
    addresses: [j === 0 && gen > 0 ? `10.250.${(gen >> 8) & 255}.${gen & 255}` : podIp(i, j)],
    nodeName: j % 2 ? 'node-b' : 'node-a',
    conditions: { ready: true },
  })),
});

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round = (x: number) => Math.round(x * 100) / 100;

/** Peak RSS so far (VmHWM), bytes. */
const vmHwm = (): number => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024;
let wholeRunPeak = 0;
/** Peak RSS since the last call (MB), then resets the kernel's high-water mark to the current RSS. */
const phasePeakMB = (): number => {
  const hwm = vmHwm();
  wholeRunPeak = Math.max(wholeRunPeak, hwm);
  writeFileSync('/proc/self/clear_refs', '5');
  return Math.round((hwm / 2 ** 20) * 100) / 100;
};

/** CPU ms (user+sys) of every child process reaped so far: the iptables tools' own cost. */
const childCpuMs = (): number => {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100; // cutime, cstime (fields 16, 17) in 1/100 s
};

type Payload = string | readonly string[];
const newlines = (t: string): number => {
  let n = 0;
  for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) n++;
  return n;
};
/** Bytes and newlines of a payload given as text or as lines (without joining them). */
const measure = (p: Payload): { bytes: number; lines: number } =>
  typeof p === 'string' ? { bytes: p.length, lines: newlines(p) } : { bytes: joinedLength(p), lines: p.reduce((n, l) => n + newlines(l), Math.max(0, p.length - 1)) };

function recording(inner: Iptables): Iptables & { payloads: Payload[]; last: Payload; restoreMs: number[]; restoreCpuMs: number[]; keep: boolean } {
  const payloads: Payload[] = [];
  const restoreMs: number[] = [];
  const restoreCpuMs: number[] = [];
  const rec = {
    mode: inner.mode,
    payloads,
    last: '' as Payload,
    restoreMs,
    restoreCpuMs,
    /** Keep the full sync's payloads (for the bare reference); afterwards only the last one. */
    keep: true,
    save: (t?: string, o?: { counters?: boolean }) => inner.save(t, o),
    saveLines: (t: string, f: (line: string) => void) => inner.saveLines(t, f),
    listChain: (t: string, c: string) => inner.listChain(t, c),
    async restore(p: Payload) {
      const t0 = performance.now();
      const c0 = childCpuMs();
      await inner.restore(p);
      restoreMs.push(performance.now() - t0);
      restoreCpuMs.push(childCpuMs() - c0);
      if (rec.keep) payloads.push(p);
      rec.last = p;
    },
  };
  return rec;
}

async function main() {
  for (const ns of [nsEngine, nsBare]) execFileSync('ip', ['netns', 'add', ns]);
  try {
    const iptables = recording(createIptables({ mode, netns: nsEngine, waitSeconds: 30 }));
    const engine = new SyncEngine({
      iptables,
      conntrack: createFakeConntrack(),
      config: { nodeName: 'node-a', clusterCIDRs: ['10.244.0.0/16'], nodePortCIDRs: [] },
      log: createLogger('proxy-bench', { silent: true }),
      minSyncPeriodMs: 0,
      syncPeriodMs: 3_600_000,
      skipUnchangedTopLevel: topLevel === 'when-changed',
    });
    for (let i = 0; i < N; i++) {
      engine.onServiceChange(undefined, service(i));
      engine.onSliceChange(endpointSlice(i), false);
    }
    const t0 = performance.now();
    const fu0 = process.cpuUsage();
    const full = await engine.syncNow();
    const fullMs = performance.now() - t0;
    const fu = process.cpuUsage(fu0);
    if (!full.ok) throw new Error('full sync failed');
    const fullPayloads = iptables.payloads.splice(0);
    iptables.keep = false;
    const fullCpuMs = iptables.restoreCpuMs.reduce((a, b) => a + b, 0);
    const rssAfterFull = process.memoryUsage().rss;
    const peakFull = phasePeakMB();

    const bare = createIptables({ mode, netns: nsBare, waitSeconds: 30 });
    const t1 = performance.now();
    const bc0 = childCpuMs();
    for (const p of fullPayloads) await bare.restore(p);
    const bareMs = performance.now() - t1;
    const bareCpuMs = childCpuMs() - bc0;
    let fullBytes = 0;
    let fullLines = 0;
    for (const p of fullPayloads) {
      const m = measure(p);
      fullBytes += m.bytes;
      fullLines += m.lines;
    }
    fullPayloads.length = 0;
    const peakBare = phasePeakMB();

    const waiters: ((r: SyncResult) => void)[] = [];
    engine.onSynced = (r) => waiters.splice(0).forEach((w) => w(r));
    engine.start();
    const latencies: number[] = [];
    const partialRestoreMs: number[] = [];
    const partialRestoreCpuMs: number[] = [];
    const engineCpuMs: number[] = [];
    let partialBytes = 0;
    for (let c = 1; c <= CHANGES; c++) {
      const i = (c * 97) % N;
      const done = new Promise<SyncResult>((resolve) => waiters.push(resolve));
      const start = performance.now();
      const u0 = process.cpuUsage();
      engine.onSliceChange(endpointSlice(i, c), false);
      const r = await done;
      latencies.push(performance.now() - start);
      const u = process.cpuUsage(u0);
      engineCpuMs.push((u.user + u.system) / 1000);
      if (!r.ok || r.full) throw new Error(`change ${c}: sync ok=${r.ok} full=${r.full}`);
      partialRestoreMs.push(iptables.restoreMs.at(-1)!);
      partialRestoreCpuMs.push(iptables.restoreCpuMs.at(-1)!);
      partialBytes = r.payloadBytes;
    }
    const peakChanges = phasePeakMB();
    // The floor's payload: the last changed service's SVC chain rewritten with the same rules
    // (taken before the resync, whose last restore holds no SVC chain).
    const lastText = iptables.last;
    if (typeof lastText !== 'string') throw new Error('the last partial sync was not one text payload');
    const svcLines = lastText.split('\n').filter((l) => /^(:|-A )SX-SVC-/.test(l));
    if (svcLines.length < 2) throw new Error('the last partial sync wrote no SVC chain');
    const minimal = ['*nat', ...svcLines, 'COMMIT', ''].join('\n');
    // A full resync of the populated table (hourly, or after a canary repair).
    const resyncDone = new Promise<SyncResult>((resolve) => waiters.push(resolve));
    const t2 = performance.now();
    engine.requestFullSync();
    const resync = await resyncDone;
    const resyncMs = performance.now() - t2;
    if (!resync.ok || !resync.full) throw new Error(`resync: ok=${resync.ok} full=${resync.full}`);
    const peakResync = phasePeakMB();
    await engine.stop();
    // The floor, bare, into the same table.
    const floorMs: number[] = [];
    const floorCpuMs: number[] = [];
    const direct = createIptables({ mode, netns: nsEngine, waitSeconds: 30 });
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      const c0 = childCpuMs();
      await direct.restore(minimal);
      floorMs.push(performance.now() - t);
      floorCpuMs.push(childCpuMs() - c0);
    }
    const last = `10.250.${(CHANGES >> 8) & 255}.${CHANGES & 255}:8080`;
    const lastSep = endpointChain(`bench/svc-${(CHANGES * 97) % N}:http`, 'tcp', last);
    const inKernel = ((await iptables.listChain('nat', lastSep)) ?? []).some((l) => l.includes(`--to-destination ${last}`));
    phasePeakMB();
    process.stdout.write(
      JSON.stringify(
        {
          benchmark: 'proxy',
          iptables: `${mode} (${execFileSync(`iptables-${mode}`, ['--version'], { encoding: 'utf8' }).trim()})`,
          services: N,
          endpointsPerService: E,
          partialTopLevel: topLevel,
          loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
          fullSync: {
            ms: round(fullMs),
            bareRestoreMs: round(bareMs),
            ratio: round(fullMs / bareMs),
            target: 1.2,
            restores: full.restores,
            restoreCpuMs: round(fullCpuMs),
            /** the proxy's own CPU for the full sync (node process; excludes iptables) */
            proxyCpuMs: round((fu.user + fu.system) / 1000),
            bareRestoreCpuMs: round(bareCpuMs),
            payloadBytes: fullBytes,
            payloadLines: fullLines,
          },
          endpointChange: {
            changes: CHANGES,
            p50Ms: round(pct(latencies, 50)),
            p99Ms: round(pct(latencies, 99)),
            maxMs: round(Math.max(...latencies)),
            target_p99Ms: 50,
            restoreP50Ms: round(pct(partialRestoreMs, 50)),
            restoreP99Ms: round(pct(partialRestoreMs, 99)),
            restoreCpuP50Ms: round(pct(partialRestoreCpuMs, 50)),
            /** the proxy's own CPU per change (node process, event to sync done; excludes iptables) */
            engineCpuP50Ms: round(pct(engineCpuMs, 50)),
            engineCpuP99Ms: round(pct(engineCpuMs, 99)),
            partialPayloadBytes: partialBytes,
            floor: {
              what: 'bare iptables-restore --noflush of one SVC chain rewritten with the same rules, same table, same run',
              payloadBytes: minimal.length,
              p50Ms: round(pct(floorMs, 50)),
              p99Ms: round(pct(floorMs, 99)),
              cpuP50Ms: round(pct(floorCpuMs, 50)),
            },
            lastChangeInKernel: inKernel,
          },
          resync: {
            what: 'full sync of the populated table (hourly resync, canary repair): reads the nat table back, rewrites everything',
            ms: round(resyncMs),
            restores: resync.restores,
          },
          memory: {
            rssAfterFullSyncMB: round(rssAfterFull / 2 ** 20),
            peakRssThroughFullSyncMB: peakFull,
            /** the bench holds the full sync's payloads through this phase (for the bare replay) */
            peakRssBareReplayMB: peakBare,
            peakRssChangesMB: peakChanges,
            peakRssResyncMB: peakResync,
            /** the highest of the phases above (and the final floor runs and check) */
            peakRssWholeRunMB: round(wholeRunPeak / 2 ** 20),
            targetMB: 300,
          },
        },
        null,
        2,
      ) + '\n',
    );
  } finally {
    for (const ns of [nsEngine, nsBare]) {
      try {
        execFileSync('ip', ['netns', 'del', ns]);
      } catch {
        /* gone */
      }
    }
  }
}

await main();
