/**
 * DNS benchmark (JSON on stdout): dnsperf on loopback against `sextant dns`'s server (1 and 2
 * worker processes) and, in the same run, against dnsmasq serving the same 1,000 names from a
 * hosts file; a query mix with ~20% search-path NXDOMAINs; UDP and TCP. Then the server's memory
 * with 10,000 services. dnsmasq is started here with its own config on a loopback port and killed
 * by PID afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import readline from 'node:readline';

const SERVICES = 1000;
const SECONDS = Number(process.env.SX_BENCH_SECONDS ?? 8);
const dir = mkdtempSync(join(tmpdir(), 'sx-dns-bench-'));
const children: ChildProcess[] = [];

function queryFile(): string {
  const lines: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const k = (i * 7919) % SERVICES;
    if (i % 5 === 4) lines.push(`svc-${k}.bench.svc.cluster.local.bench.svc.cluster.local A`);
    else lines.push(`svc-${k}.bench.svc.cluster.local A`);
  }
  const p = join(dir, 'queries.txt');
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

function dnsperf(port: number, mode: 'udp' | 'tcp', queries: string) {
  const r = spawnSync('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-m', mode, '-d', queries, '-l', String(SECONDS), '-c', mode === 'tcp' ? '8' : '4', '-q', '200', '-t', '2'], { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 });
  const out = r.stdout ?? '';
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  const sent = num(/Queries sent:\s+(\d+)/);
  const lost = num(/Queries lost:\s+(\d+)/);
  const hist = [...out.matchAll(/^#histogram\s+([\d.]+)\s+(\d+)/gm)].map((m) => ({ le: Number(m[1]), n: Number(m[2]) }));
  let p99: number | null = null;
  if (hist.length > 0) {
    const total = hist.reduce((a, h) => a + h.n, 0);
    let acc = 0;
    for (const h of hist) { acc += h.n; if (acc >= total * 0.99) { p99 = h.le * 1000; break; } }
  }
  const avg = num(/Average Latency \(s\):\s+([\d.]+)/) * 1000;
  const sd = num(/Latency StdDev \(s\):\s+([\d.]+)/) * 1000;
  return {
    mode, qps: num(/Queries per second:\s+([\d.]+)/), sent, lost, lossPercent: sent ? (100 * lost) / sent : null,
    nxdomain: num(/NXDOMAIN (\d+)/), avgLatencyMs: avg, stddevLatencyMs: sd,
    p99LatencyMs: p99 ?? Number((avg + 2.33 * sd).toFixed(3)), p99Source: p99 === null ? 'estimate avg+2.33*stddev' : 'dnsperf histogram',
    ...(r.status !== 0 ? { error: (r.stderr || out).slice(0, 300) } : {}),
  };
}

function startServer(port: number, services: number, workers: number): Promise<{ child: ChildProcess; memory(): Promise<Record<string, number>[]> }> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/bench/dns-bench-server.ts'], {
    env: { ...process.env, SX_SERVICES: String(services), SX_WORKERS: String(workers), SX_PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const events: Record<string, number>[] = [];
  let wake: (() => void) | undefined;
  readline.createInterface({ input: child.stdout! }).on('line', (l) => { try { events.push(JSON.parse(l)); wake?.(); } catch { /* ignore */ } });
  const waitFor = async (pred: (e: Record<string, number>) => boolean, n = 1) => {
    const deadline = Date.now() + 60_000;
    while (events.filter(pred).length < n) {
      if (Date.now() > deadline) throw new Error('bench server did not report');
      await new Promise<void>((r) => { wake = r; setTimeout(r, 200); });
    }
    return events.filter(pred);
  };
  return waitFor((e) => (e as unknown as { event: string }).event === 'listening').then(() => ({
    child,
    memory: async () => {
      const before = events.length;
      child.kill('SIGUSR2');
      await waitFor((e) => (e as unknown as { event: string }).event === 'memory' && events.indexOf(e) >= before, workers);
      return events.slice(before).filter((e) => (e as unknown as { event: string }).event === 'memory');
    },
  }));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

async function main() {
  const queries = queryFile();
  const base = 20000 + Math.floor(Math.random() * 20000);
  const results: Record<string, unknown> = { services: SERVICES, seconds: SECONDS, mix: '80% existing A, 20% search-path NXDOMAIN' };

  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, Array.from({ length: SERVICES }, (_, i) => `10.100.${i >> 8}.${i & 255} svc-${i}.bench.svc.cluster.local`).join('\n') + '\n');
  const dmPort = base + 1;
  const dm = spawn('dnsmasq', ['-k', '-C', '/dev/null', `--port=${dmPort}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--no-resolv', '--no-hosts', `--addn-hosts=${hosts}`, '--local=/cluster.local/', '--cache-size=10000', '--pid-file', '--user=root'], { stdio: 'ignore' });
  children.push(dm);
  await new Promise((r) => setTimeout(r, 500));
  results.dnsmasq = { udp: dnsperf(dmPort, 'udp', queries), tcp: dnsperf(dmPort, 'tcp', queries) };
  dm.kill('SIGTERM');

  for (const workers of [1, 2]) {
    const port = base + 10 + workers;
    const s = await startServer(port, SERVICES, workers);
    dnsperf(port, 'udp', queries); // warm-up: fills the packet cache
    results[`sextant_workers${workers}`] = { udp: dnsperf(port, 'udp', queries), tcp: dnsperf(port, 'tcp', queries) };
    await stop(s.child);
  }

  const big = await startServer(base + 20, 10_000, 1);
  const idle = await big.memory();
  results.memory10k = { afterLoad: idle[0], mb: Math.round((idle[0]?.rss ?? 0) / 1048576) };
  await stop(big.child);

  const dmUdp = (results.dnsmasq as { udp: { qps: number } }).udp.qps;
  const best = Math.max(...[1, 2].map((w) => (results[`sextant_workers${w}`] as { udp: { qps: number } }).udp.qps));
  results.ratioUdpQpsVsDnsmasq = Number((best / dmUdp).toFixed(3));
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`dns bench: ${String(err)}\n`);
  process.exitCode = 1;
}).finally(async () => {
  for (const c of children) if (c.exitCode === null && c.pid) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
