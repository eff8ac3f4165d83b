/**
 * The API load generator the api and ha benchmarks share: a real `sextant server` child process,
 * Pod creates POSTed by concurrent keep-alive clients, and watchers timing each event's arrival.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parse as parseYaml } from 'yaml';
import { Http1Pool } from '../../controller/api/http1-pool.js';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sextantCommand } from './sextant-binary.js';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The API server alone (the controllers are measured by their own benchmark). */
export const NO_CONTROLLERS =
  '*,-endpointslice,-node-ipam,-deployment,-replicaset,-garbage-collector,-scheduler,-node-lifecycle,-kubernetes-service,-service-allocation';

export const podDoc = (name: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'bench', tier: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ containerPort: 80, protocol: 'TCP' }] }] },
});

export const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
export const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

export interface BenchServer {
  url: URL;
  pid: number;
  /** What the clients connect over: plain HTTP (`--insecure-http`) or HTTPS with a client certificate. */
  transport: 'http' | 'https';
  /** A keep-alive agent for `clients` connections that carries the credentials for `transport`. */
  agent(clients: number): http.Agent;
  stop(): Promise<void>;
}

/** The transport a benchmark uses: SX_BENCH_TRANSPORT=https for the server's secure default. */
export const benchTransport = (): 'http' | 'https' => (process.env.SX_BENCH_TRANSPORT === 'https' ? 'https' : 'http');

interface TlsCredentials {
  ca: string;
  cert: string;
  key: string;
}

/** CA and client certificate of the admin kubeconfig a secure server writes. */
function kubeconfigCredentials(path: string): TlsCredentials {
  const kc = parseYaml(readFileSync(path, 'utf8')) as {
    clusters: { cluster: { 'certificate-authority-data': string } }[];
    users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
  };
  const b64 = (x: string) => Buffer.from(x, 'base64').toString('utf8');
  return {
    ca: b64(kc.clusters[0]!.cluster['certificate-authority-data']),
    cert: b64(kc.users[0]!.user['client-certificate-data']),
    key: b64(kc.users[0]!.user['client-key-data']),
  };
}

/** TLS options an agent was made with (none for plain HTTP). */
const tlsOf = (agent: http.Agent): Partial<TlsCredentials> => {
  const o = (agent as https.Agent).options ?? {};
  return { ...(o.ca ? { ca: o.ca as string } : {}), ...(o.cert ? { cert: o.cert as string } : {}), ...(o.key ? { key: o.key as string } : {}) };
};
const moduleFor = (url: URL) => (url.protocol === 'https:' ? https : http);

/**
 * Starts `sextant server` on plain HTTP on loopback with the given extra flags.
 * `SX_BENCH_SERVER_NODE_ARGS` adds node flags to the server process (space-separated), e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the server (NODE_OPTIONS refuses --cpu-prof).
 */
export async function startServer(dir: string, extraArgs: string[], transport: 'http' | 'https' = 'http'): Promise<BenchServer> {
  const kubeconfig = join(dir, 'kubeconfig');
  const nodeArgs = (process.env.SX_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(
    process.execPath,
    [...nodeArgs, ...sextantCommand(), 'server', '--data-dir', join(dir, 'data'), '--listen', '127.0.0.1:0', '--write-kubeconfig', kubeconfig, ...(transport === 'http' ? ['--insecure-http'] : []), ...extraArgs],
    { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SX_LOG_LEVEL: 'warn' } },
  );
  for (let i = 0; i < 600 && !existsSync(kubeconfig); i++) {
    if (child.exitCode !== null) throw new Error('server exited');
    await new Promise((r) => setTimeout(r, 100));
  }
  const server = /server: (\S+)/.exec(readFileSync(kubeconfig, 'utf8'))![1]!;
  const tls = transport === 'https' ? kubeconfigCredentials(kubeconfig) : undefined;
  return {
    url: new URL(server),
    pid: child.pid!,
    transport,
    agent: (clients) => (tls ? new https.Agent({ keepAlive: true, maxSockets: clients, ...tls }) : new http.Agent({ keepAlive: true, maxSockets: clients })),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** CPU time (user + system) the process has used, in ms, from /proc (clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Which client POSTs the creates: by default the HTTP/1.1 keep-alive pool every Sextant daemon's
 * ApiClient uses (controller/api/http1-pool.ts, about a third of node:http's CPU per request, so
 * the load generator takes less of the two cores from the server it measures);
 * SX_BENCH_CLIENT=node-http uses node:http agents, as the benches did before 2026-12-03.
 */
const useNodeHttp = () => process.env.SX_BENCH_CLIENT === 'node-http';

/** The client the creates go through, for the JSON output. */
export const loadClientName = (): string => (useNodeHttp() ? 'node:http agents' : 'Sextant http1-pool (ApiClient transport)');

/** POSTs `body` over `pool`; resolves with the status code once the answer is read. */
function poolPost(pool: Http1Pool, path: string, body: string): Promise<number> {
  return new Promise((resolveReq, reject) => {
    let status = 0;
    pool.send({
      method: 'POST',
      target: path,
      headers: 'Content-Type: application/json\r\n',
      body,
      timeoutMs: 60_000,
      onHead: (h) => (status = h.status),
      onBody: () => undefined,
      onDone: () => resolveReq(status),
      onError: reject,
    });
  });
}

function post(agent: http.Agent, url: URL, path: string, body: string): Promise<number> {
  return new Promise((resolveReq, reject) => {
    const req = moduleFor(url).request(
      { host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolveReq(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface StormResult {
  secs: number;
  latencies: number[];
  failures: number;
}

/** `count` Pod creates named `<prefix>-<i>` by `clients` concurrent clients; `sent` records each start. */
export async function createStorm(agent: http.Agent, url: URL, clients: number, prefix: string, count: number, sent?: Map<string, number>): Promise<StormResult> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const pool = useNodeHttp() ? undefined : new Http1Pool(url, { ...tlsOf(agent), rejectUnauthorized: true }, clients);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const name = `${prefix}-${i}`;
        const body = JSON.stringify(podDoc(name));
        const start = performance.now();
        sent?.set(name, start);
        const path = '/api/v1/namespaces/default/pods';
        const code = await (pool ? poolPost(pool, path, body) : post(agent, url, path, body));
        latencies.push(performance.now() - start);
        if (code !== 201) failures++;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  pool?.close();
  return { secs, latencies, failures };
}

function getJson(agent: http.Agent, url: URL, path: string): Promise<unknown> {
  return new Promise((resolveGet, reject) => {
    const req = moduleFor(url).get({ host: url.hostname, port: url.port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolveGet(JSON.parse(body)) : reject(new Error(`GET ${path}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
  });
}

function openWatcher(url: URL, tls: Partial<TlsCredentials>, rv: string, onEvent: (name: string, at: number) => void): Promise<http.ClientRequest> {
  return new Promise((resolveW, reject) => {
    const req = moduleFor(url).get({ host: url.hostname, port: url.port, path: `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}`, ...tls }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        const at = performance.now();
        buf += c;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          const m = /"name":"([^"]+)"/.exec(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (m) onEvent(m[1]!, at);
        }
      });
      resolveW(req);
    });
    req.on('error', reject);
  });
}

/**
 * Opens `watchers` watches from the current revision, runs `creates` more creates, and returns,
 * for every (event, watcher), the delay from the create request's start to the event's arrival
 * (an upper bound: it includes the write) and the fan-out spread (arrival minus the first
 * watcher's arrival of the same event).
 */
export async function measureWatch(agent: http.Agent, url: URL, clients: number, watchers: number, creates: number) {
  const list = (await getJson(agent, url, '/api/v1/namespaces/default/pods?limit=1')) as { metadata: { resourceVersion: string } };
  const rv = list.metadata.resourceVersion;
  const tls = tlsOf(agent);
  const sent = new Map<string, number>();
  const delays: number[] = [];
  const arrivals = new Map<string, number[]>();
  let delivered = 0;
  const open = await Promise.all(
    Array.from({ length: watchers }, () =>
      openWatcher(url, tls, rv, (name, at) => {
        const t = sent.get(name);
        if (t !== undefined) delays.push(at - t);
        let a = arrivals.get(name);
        if (!a) arrivals.set(name, (a = []));
        a.push(at);
        delivered++;
      }),
    ),
  );
  const watched = await createStorm(agent, url, clients, 'watched', creates, sent);
  const expected = creates * watchers;
  for (let i = 0; i < 600 && delivered < expected; i++) await new Promise((r) => setTimeout(r, 50));
  for (const w of open) w.destroy();
  const spread: number[] = [];
  for (const a of arrivals.values()) {
    const first = Math.min(...a);
    for (const x of a) spread.push(x - first);
  }
  return {
    watchers,
    creates,
    creates_per_sec_with_watchers: Math.round(creates / watched.secs),
    events_expected: expected,
    events_delivered: delivered,
    delivery_latency_from_request_start_ms: { p50: round(pct(delays, 50)), p99: round(pct(delays, 99)) },
    fanout_spread_ms: { p50: round(pct(spread, 50)), p99: round(pct(spread, 99)) },
  };
}
